import json

import nbformat

from quanta.notebooks import glued, run_notebook


def test_theory_notebook_smoke(tmp_cache, tmp_path):
    out = run_notebook("theory", scale="smoke", output=tmp_path / "theory.ipynb")
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata["quanta"]["parameters"]["scale"] == "smoke"
    figs = sorted((tmp_cache / "figures").glob("fig-theory-*.json"))
    assert len(figs) == 5
    for f in figs:
        side = json.loads(f.read_text())
        assert side["notebook_parameters"]["scale"] == "smoke"
        for name, digest in side["files"].items():
            assert (f.parent / name).stat().st_size > 1000 and len(digest) == 64
        assert side["bibtex"].startswith("@misc{quanta-" + side["id"])
    values = glued(nb)
    assert float(values["theory_max_abs_err"]) < 0.03
    assert abs(float(values["theory_alphaN_mid"]) - float(values["theory_alpha_mid"])) < 0.03
