"""The per-token-loss chapter at smoke scale, through the runner: figures, glued numbers, tables.

The suites come from the shared result cache (other LLM chapters train the same smoke suites), so
only the figure folder is private to the test.
"""

import pytest

from quanta.notebooks import glued

FIGURES = ("size-stdlib", "dynamics-stdlib", "size-planted", "dynamics-planted")


@pytest.fixture(scope="module")
def executed(run_smoke):
    return run_smoke("llm_losses")


def test_figures_have_files_and_sidecars(executed, sidecars_ok):
    nb, figs = executed
    assert nb.metadata["quanta"]["parameters"]["scale"] == "smoke"
    sidecars_ok(figs, [f"fig-llm-losses-{slug}" for slug in FIGURES])


def test_glued_numbers_in_range(executed):
    nb, _ = executed
    g = {k: v.strip("'\"") for k, v in glued(nb).items()}
    # the fitted exponent lies inside its own bootstrap interval; larger models are better (α_N > 0)
    a, lo, hi = float(g["lm_alpha_n"]), float(g["lm_alpha_n_lo"]), float(g["lm_alpha_n_hi"])
    assert lo <= a <= hi and a > 0
    assert int(g["lm_n_models"]) == 3 and float(g["lm_decades"]) > 0.8
    assert int(g["lm_n_tokens"].replace(",", "")) > 300
    for k in ("lm_zero_small", "lm_zero_large", "lm_planted_labelled", "lm_planted_zero_large"):
        assert 0.0 <= float(g[k]) <= 100.0
    assert float(g["lm_planted_labelled"]) > 10  # planted test tokens carry skill labels
    assert int(g["lm_files"]) > 100 and g["lm_python"].count(".") == 2


def test_comparison_table_cites_the_paper(executed):
    nb, _ = executed
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "text/html" in o.get("data", {}) and "0.083" in o["data"]["text/html"]]
    assert len(html) == 1 and "α_N" in html[0] and "0.037 – 0.06" in html[0]
