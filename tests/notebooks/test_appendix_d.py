"""Appendix D page at smoke scale.

The page reads the QDG chapter's cached envelope measurements, so it runs against the shared result
cache (as the book build does) and writes its figures to a temporary folder.
"""

import math

import pytest

from quanta.notebooks import glued

FIGURES = ("toy-sweep", "toy-envelope", "slope-vs-alpha", "correction", "parity-similarity",
           "parity-rank-frequency")


@pytest.mark.slow
def test_appendix_d_notebook_smoke(run_smoke, sidecars_ok):
    nb, figs = run_smoke("appendix_d")
    assert nb.metadata["quanta"]["parameters"]["scale"] == "smoke"
    sidecars_ok(figs, [f"fig-appendix-d-{slug}" for slug in FIGURES])
    v = {k: float(x) for k, x in glued(nb).items() if k.startswith("appd_") and _is_number(x)}
    # The toy generator and the measurement protocol are the QDG chapter's.
    assert v["appd_toy_S"] >= 140 and v["appd_toy_rlo"] < v["appd_toy_rhi"]
    # Planted structure: clustering clean (sigma = 0) toy data beats clustering noisy data.
    assert v["appd_sweep_ari_clean"] > v["appd_sweep_ari_noisy"]
    # The calibration increases with the planted exponent and is read back consistently.
    assert v["appd_cal_slope"] > 0
    assert v["appd_nat_lo"] <= v["appd_nat_corrected"] <= v["appd_nat_hi"]
    assert abs(v["appd_cal_intercept"] + v["appd_cal_slope"] * v["appd_nat_corrected"]
               - v["appd_nat_measured"]) < 1e-6
    # D.1: samples from the learned (frequent) subtasks, slopes negative, scores in range.
    assert v["appd_par_nsub"] >= 2 and 0 < v["appd_par_purity"] <= 1
    assert v["appd_par_slope"] < 0 and v["appd_par_planted"] == pytest.approx(-1.4)


def _is_number(x):
    try:
        return not math.isnan(float(x)) or True
    except ValueError:
        return False
