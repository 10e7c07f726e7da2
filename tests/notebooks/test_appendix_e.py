import json

import nbformat

from quanta import studies
from quanta.notebooks import glued, run_notebook


def test_appendix_e_notebook_smoke(tmp_cache, tmp_path):
    out = run_notebook("appendix_e", scale="smoke", output=tmp_path / "appendix_e.ipynb")
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata["quanta"]["parameters"]["scale"] == "smoke"
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    side = json.loads((tmp_cache / "figures" / "fig-appendix-e-exponents.json").read_text())
    assert side["paper_analog"] == "Figure 18"
    for name in side["files"]:
        assert (tmp_cache / "figures" / name).stat().st_size > 1000
    values = glued(nb)
    # The figure's window holds every selected point except Ardalani et al.
    assert int(values["appe_n_in_window"]) == len(studies.SELECTIONS[0].rows) + 6
    assert int(values["appe_rosenfeld_below_identity"]) == 8
    assert 0 < float(values["appe_rmse_model"]) < float(values["appe_rmse_identity"]) < 1
    # The Ardalani point is glued as plain numbers (the paper's reading, axes swapped).
    assert (float(values["appe_ard_n"]), float(values["appe_ard_d"])) == (0.1, 4.0)
