import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from quanta import cache


@dataclass(frozen=True)
class Cfg:
    n: int = 3
    alpha: float = 0.4


def test_memo_computes_once_and_round_trips(tmp_cache):
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(5.0), "meta": {"a": 1}, "df": pd.DataFrame({"u": [1, 2]})}

    r1 = cache.memo("test.stage", Cfg(), compute, version=1)
    r2 = cache.memo("test.stage", Cfg(), compute, version=1)
    assert len(calls) == 1 and r1.status == "miss" and r2.status == "hit"
    np.testing.assert_array_equal(r2["x"], np.arange(5.0))
    assert r2["meta"] == {"a": 1} and list(r2["df"]["u"]) == [1, 2]
    # config, version and inputs change the key
    assert cache.memo("test.stage", Cfg(n=4), compute, version=1).status == "miss"
    assert cache.memo("test.stage", Cfg(), compute, version=2).status == "miss"
    assert cache.memo("test.stage", Cfg(), compute, version=1, inputs=[r1]).status == "miss"
    assert len(calls) == 4


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete_meta_file"])
def test_corrupt_entry_is_detected_and_recomputed(tmp_cache, damage, capsys):
    compute = lambda: {"x": np.arange(1000.0)}  # noqa: E731
    r = cache.memo("test.corrupt", Cfg(), compute, version=1)
    d = tmp_cache / "cache" / "test.corrupt" / r.key
    npz = d / "arrays.npz"
    if damage == "truncate":
        npz.write_bytes(npz.read_bytes()[:100])
    elif damage == "flip":
        b = bytearray(npz.read_bytes())
        b[len(b) // 2] ^= 0xFF
        npz.write_bytes(bytes(b))
    else:
        (d / "data.json").unlink()
    r2 = cache.memo("test.corrupt", Cfg(), compute, version=1)
    assert r2.status == "recomputed"
    assert "corrupt" in capsys.readouterr().out
    np.testing.assert_array_equal(r2["x"], np.arange(1000.0))
    assert cache.memo("test.corrupt", Cfg(), compute, version=1).status == "hit"


def test_failed_compute_leaves_nothing(tmp_cache):
    def boom():
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        cache.memo("test.fail", Cfg(), boom, version=1)
    d = tmp_cache / "cache" / "test.fail"
    assert not d.exists() or not any(d.iterdir())


def test_unserialisable_results_are_rejected(tmp_cache):
    with pytest.raises(TypeError, match="result\\['obj'\\]"):
        cache.memo("test.bad", Cfg(), lambda: {"obj": object()}, version=1)


def test_stage_dir_resume_and_verify(tmp_cache):
    sd = cache.stage_dir("test.train", Cfg(), version=1)
    (sd.path / "ckpt-10.bin").write_bytes(b"partial")
    assert not sd.complete
    sd2 = cache.stage_dir("test.train", Cfg(), version=1)
    assert (sd2.path / "ckpt-10.bin").read_bytes() == b"partial"  # kept for resuming
    sd2.mark_complete({"steps": 10})
    assert cache.stage_dir("test.train", Cfg(), version=1).verify()
    (sd2.path / "ckpt-10.bin").write_bytes(b"tampered")
    sd3 = cache.stage_dir("test.train", Cfg(), version=1)
    assert not sd3.complete and not (sd3.path / "ckpt-10.bin").exists()
    assert json.loads  # keep import used


def test_key_is_stable_and_canonical():
    k1 = cache.key("s", {"b": 1, "a": [1, 2]}, version=1)
    k2 = cache.key("s", {"a": (1, 2), "b": 1}, version=1)
    assert k1 == k2 and len(k1) == 24
    with pytest.raises(TypeError):
        cache.key("s", {"a": object()}, version=1)
