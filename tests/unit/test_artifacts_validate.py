import numpy as np
import pytest

from quanta import artifacts, validate
from quanta.device import resolve


def test_artifact_round_trip_and_tamper_detection(tmp_path):
    d = artifacts.write_artifact("demo", {"loss": np.linspace(1, 0, 5)}, {"steps": 5}, command="python x.py",
                                 device="cpu", base=tmp_path)
    arrays, manifest = artifacts.load_artifact("demo", base=tmp_path)
    np.testing.assert_array_equal(arrays["loss"], np.linspace(1, 0, 5))
    assert manifest["meta"]["steps"] == 5 and manifest["command"] == "python x.py"
    assert len(manifest["files"]["data.npz"]) == 64
    (d / "data.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match="sha256"):
        artifacts.load_artifact("demo", base=tmp_path)
    with pytest.raises(FileNotFoundError):
        artifacts.load_artifact("missing", base=tmp_path)


def test_validation_messages_name_parameter_value_and_allowed():
    with pytest.raises(ValueError, match=r"scale='huge'.*'smoke', 'small', 'paper'"):
        validate.check_scale("huge")
    with pytest.raises(ValueError, match=r"width=0 is out of range; allowed: >= 1"):
        validate.check_int("width", 0, min=1)
    with pytest.raises(TypeError, match="width=2.5 must be an integer"):
        validate.check_int("width", 2.5, min=1)
    with pytest.raises(ValueError, match="alpha=0.0"):
        validate.check_float("alpha", 0.0, min=0.0, min_inclusive=False)
    with pytest.raises(ValueError, match="device='tpu'"):
        resolve("tpu")
    assert resolve("cpu").type == "cpu"
