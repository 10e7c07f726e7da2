"""The QDG chapter at smoke scale, through the runner: figures, cluster browser, ground-truth numbers.

The suites' per-token losses come from the shared result cache (the LLM chapters train the same smoke
suites), so only the figure folder is private to the test.
"""

import pytest

from quanta.notebooks import glued

FIGURES = ("similarity", "rank-frequency-planted", "rank-frequency-stdlib", "solvers")


@pytest.fixture(scope="module")
def executed(run_smoke):
    return run_smoke("qdg")


def test_no_errors_and_figures_with_sidecars(executed, sidecars_ok):
    nb, figs = executed
    assert nb.metadata["quanta"]["parameters"]["scale"] == "smoke"
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    sidecars_ok(figs, [f"fig-qdg-{slug}" for slug in FIGURES])


def test_cluster_browser_highlights_predicted_tokens(executed):
    nb, _ = executed
    html = [o["data"]["text/html"] for c in nb.cells for o in c.get("outputs", [])
            if "text/html" in o.get("data", {}) and "qdg-b" in o["data"]["text/html"]]
    assert len(html) == 2  # planted and stdlib browsers
    assert all(h.count("<mark>") >= 8 and "<details" in h for h in html)
    assert "majority planted skill" in html[0]


def test_numbers_in_range(executed):
    nb, _ = executed
    v = {k: float(x) for k, x in glued(nb).items() if x.replace(".", "", 1).replace("-", "", 1).replace("e", "", 1).isdigit()}
    assert v["qdg_planted_S"] >= 50 and v["qdg_stdlib_S"] >= 50
    # clusters carry planted structure well above chance even at smoke scale
    assert 0.5 < v["qdg_purity"] <= 1 and 0.1 < v["qdg_ari"] <= 1
    assert v["qdg_true_slope"] == -(v["qdg_true_exponent"])
    for name in ("qdg_planted_slope", "qdg_envelope_slope"):
        assert -4 < v[name] < -0.2
        assert v[name + "_lo"] <= v[name] <= v[name + "_hi"]
    assert v["qdg_paper_slope"] == -1.24
    assert v["qdg_bench_exact_speedup"] > 10 and v["qdg_bench_sketch_speedup"] > v["qdg_bench_exact_speedup"]
