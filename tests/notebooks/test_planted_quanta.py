import json

import nbformat

from quanta.notebooks import glued, run_notebook


def test_planted_quanta_notebook_smoke(tmp_cache, tmp_path):
    out = run_notebook("planted_quanta", scale="smoke", output=tmp_path / "planted_quanta.ipynb")
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata["quanta"]["parameters"]["scale"] == "smoke"
    figs = sorted((tmp_cache / "figures").glob("fig-planted-*.json"))
    assert [f.stem for f in figs] == ["fig-planted-alpha-n", "fig-planted-emergence", "fig-planted-frequencies",
                                      "fig-planted-order"]
    for f in figs:
        side = json.loads(f.read_text())
        assert side["notebook_parameters"]["scale"] == "smoke"
        for name in side["files"]:
            assert (f.parent / name).stat().st_size > 1000
    values = glued(nb)
    assert float(values["oracle_acc"]) == 1.0          # the oracle predicts every labelled token
    assert float(values["gof_min_p"]) > 1e-4           # skill use follows the planted Zipf law
    for tag in ("03", "06", "1"):                      # an exponent (with interval) for every α
        lo, est, hi = (float(values[f"alphaN_{tag}{s}"]) for s in ("_lo", "", "_hi"))
        assert lo <= est <= hi and -1 < est < 2
