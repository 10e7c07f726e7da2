"""Appendix E loader: the packaged table and the row selection behind the paper's Figure 18."""

import numpy as np
import pandas as pd
import pytest

from quanta import studies

# (study, task, alpha_N, alpha_D) exactly as SPEC §6 lists the plotted points.
EXPECTED = [
    ("Rosenfeld et al. 2019", "PTB", 0.81, 0.34),
    ("Rosenfeld et al. 2019", "WikiText-2", 1.01, 0.22),
    ("Rosenfeld et al. 2019", "WikiText-103", 0.74, 0.56),
    ("Rosenfeld et al. 2019", "ImageNet", 0.75, 0.61),
    ("Rosenfeld et al. 2019", "CIFAR10", 0.66, 0.53),
    ("Rosenfeld et al. 2019", "CIFAR100", 0.70, 0.51),
    ("Rosenfeld et al. 2019", "DTD", 0.40, 1.16),
    ("Rosenfeld et al. 2019", "Aircraft", 1.10, 0.83),
    ("Rosenfeld et al. 2019", "UCF101", 0.93, 0.54),
    ("Kaplan et al. 2020", None, 0.076, 0.095),
    ("Hoffmann et al. 2022", None, 0.34, 0.28),
    ("Gordon et al. 2021", "Ru-En", 0.11, 0.38),
    ("Gordon et al. 2021", "De-En", 0.13, 0.35),
    ("Gordon et al. 2021", "Zh-En", 0.12, 0.43),
    ("Droppo & Elibol 2021", None, 0.016, 0.019),
    ("Ardalani et al. 2022", None, 0.1, 4.0),
]


def test_table_shape_and_checksum():
    df = studies.load_scaling_laws()
    assert df.shape == (137, 25)
    assert df["Paper"].nunique() == 24


def test_row_selection_matches_spec_exactly():
    pts = studies.exponents_across_studies()
    assert len(pts) == len(EXPECTED)
    for (_, row), (study, task, an, ad) in zip(pts.iterrows(), EXPECTED):
        assert row["study"] == study
        if task is not None:
            assert row["task"] == task
        assert row["alpha_n"] == an and row["alpha_d"] == ad


def test_ardalani_axis_swap():
    paper = studies.exponents_across_studies(ardalani="paper").iloc[-1]
    csv = studies.exponents_across_studies(ardalani="csv").iloc[-1]
    assert (paper["alpha_n"], paper["alpha_d"]) == (0.1, 4.0) and paper["axes_swapped"]
    assert (csv["alpha_n"], csv["alpha_d"]) == (4.0, 0.1) and not csv["axes_swapped"]
    assert not paper["in_window"] and not csv["in_window"]  # off-scale either way, as the caption says
    df = studies.load_scaling_laws()
    assert df.iloc[122]["Scaling Variable 1"] == "Data"
    assert df.iloc[123]["Scaling Variable 1"] == "Parameters"


def test_prediction_is_the_quantization_model():
    pts = studies.exponents_across_studies()
    np.testing.assert_allclose(pts["alpha_d_predicted"], pts["alpha_n"] / (1 + pts["alpha_n"]))
    chin = pts[pts["study"] == "Hoffmann et al. 2022"].iloc[0]
    kap = pts[pts["study"] == "Kaplan et al. 2020"].iloc[0]
    assert chin["alpha_d_predicted"] == pytest.approx(0.254, abs=5e-4)  # SPEC §1.5
    assert kap["alpha_d_predicted"] == pytest.approx(0.0706, abs=5e-5)
    # SPEC §6: Chinchilla sits slightly closer to the model than to alpha_D = alpha_N.
    assert chin["closer_to"] == "model"
    assert studies.predicted_alpha_d(0.4) == pytest.approx(0.4 / 1.4)


def test_selection_checks_row_contents():
    df = studies.load_scaling_laws(verify=False)
    shuffled = pd.concat([df.iloc[1:], df.iloc[:1]], ignore_index=True)
    with pytest.raises(ValueError, match="row"):
        studies.exponents_across_studies(shuffled)


def test_bad_input():
    with pytest.raises(ValueError, match="ardalani"):
        studies.exponents_across_studies(ardalani="swap")
    with pytest.raises(TypeError, match="frame"):
        studies.exponents_across_studies(frame=[1, 2])
    with pytest.raises(ValueError, match="alpha_n"):
        studies.predicted_alpha_d(-1.0)
