"""The monogenic chapter at smoke scale, through the runner: figures, gallery HTML, glued numbers.

The suites' per-token losses come from the shared result cache (the LLM-losses chapter trains the
same smoke suites), so only the figure folder is private to the test.
"""

import pytest

from quanta.notebooks import glued

FIGURES = ("gallery-stdlib", "gallery-planted", "criteria", "breakthroughness", "family-curves", "families",
           "drop-rank", "skill-families")


@pytest.fixture(scope="module")
def executed(run_smoke):
    return run_smoke("monogenic")


def test_figures_have_files_and_sidecars(executed, sidecars_ok):
    nb, figs = executed
    assert nb.metadata["quanta"]["parameters"]["scale"] == "smoke"
    sidecars_ok(figs, [f"fig-monogenic-{slug}" for slug in FIGURES])


def test_two_galleries_with_highlighted_contexts(executed):
    nb, _ = executed
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "text/html" in o.get("data", {}) and "quanta-gallery" in o["data"]["text/html"]]
    assert len(html) == 2
    for h in html:
        assert h.count("<mark") == h.count("<svg") == h.count("<tr>") >= 2
    assert "ground truth: " in html[1]  # planted examples name their skill


def test_glued_numbers_in_range(executed):
    nb, _ = executed
    g = {k: v.strip("'\"") for k, v in glued(nb).items()}
    assert float(g["mono_synthetic_accuracy"]) == 100.0
    for corpus in ("python_stdlib", "planted"):
        assert int(g[f"mono_{corpus}_models"]) >= 3 and int(g[f"mono_{corpus}_tokens"]) > 100
        for k in ("share_mono", "share_poly", "share_sharp"):
            assert 0.0 <= float(g[f"mono_{corpus}_{k}"]) <= 100.0
    assert int(g["mono_study_skills"]) >= 2 and int(g["mono_study_models"]) >= 2
    for k in ("mono_labelled_mono", "mono_unlabelled_sharp", "mono_skill_agreement_shuffled", "mono_study_mono"):
        assert 0.0 <= float(g[k]) <= 100.0
