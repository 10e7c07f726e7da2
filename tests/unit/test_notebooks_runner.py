import subprocess
import sys

import pytest

from quanta import notebooks as nbs


def test_parameters_parsed_from_the_first_cell():
    params = nbs.parameters(nbs.read("theory"))
    assert list(params)[:3] == ["scale", "seed", "device"]
    assert params["seed"].type is int and params["scale"].help.startswith("smoke")


def test_validation_coerces_and_rejects():
    nb = nbs.read("theory")
    assert nbs.validate(nb, {"seed": "3", "scale": "smoke"}) == {"seed": 3, "scale": "smoke"}
    with pytest.raises(nbs.ParameterError, match="(?s)unknown parameter 'sed'.*seed \\(int"):
        nbs.validate(nb, {"sed": 1})
    with pytest.raises(nbs.ParameterError, match="wrong type: expected int"):
        nbs.validate(nb, {"seed": "three"})
    with pytest.raises(nbs.ParameterError, match="scale='huge'"):
        nbs.validate(nb, {"scale": "huge"})


def test_cli_exits_2_before_any_kernel_starts(tmp_path):
    out = tmp_path / "out.ipynb"
    r = subprocess.run([sys.executable, "-m", "quanta.cli", "run", "theory", "-p", "nope", "1", "-o", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "unknown parameter 'nope'" in r.stderr and "scale (str" in r.stderr
    assert not out.exists()
    r = subprocess.run([sys.executable, "-m", "quanta.cli", "run", "no_such_chapter"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "available:" in r.stderr
