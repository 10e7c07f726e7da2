"""Analyses of the per-token-loss chapter: power-law recovery, histograms, the paper artifact round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from quanta.lm import analysis
from quanta.lm.losses import TokenLosses


def _synthetic(alpha_n=0.1, alpha_s=0.3, T=20_000, seed=0):
    """Token losses whose mean is exactly N^-alpha_n · (S/S_end)^-alpha_s (exponential per-token spread)."""
    rng = np.random.default_rng(seed)
    n = np.array([1e4, 4e4, 1.6e5, 6.4e5])
    steps = np.array([10, 30, 100, 300, 1000])
    base = rng.exponential(1.0, size=T)
    base /= base.mean()
    cols, names, ns, ss = [], [], [], []
    for i, N in enumerate(n):
        for S in steps:
            cols.append(base * 1.0 * (N / 1e4) ** -alpha_n * (S / 1000) ** -alpha_s)
            names.append(f"m{i}")
            ns.append(N)
            ss.append(S)
    z = np.zeros(T, np.int32)
    return TokenLosses(np.stack(cols, 1).astype(np.float32), z, z + 1, z, None, np.array(ns, np.int64),
                       np.array(ss, np.int64), tuple(names), ("d",))


def test_size_scaling_recovers_the_exponent():
    sc = analysis.size_scaling(_synthetic(alpha_n=0.1), n_boot=200)
    assert sc.fit.exponent == pytest.approx(0.1, abs=1e-4)
    lo, hi = sc.fit.exponent_ci
    assert lo <= 0.1 + 1e-4 and hi >= 0.1 - 1e-4
    # p(L) is a density over the loss axis (in bits): integrates to the share of tokens inside (0, 18) bits
    width = np.diff(sc.edges_bits)
    assert np.allclose((sc.density * width[:, None]).sum(0), 1.0, atol=1e-6)
    # the area under L·p(L) is the mean loss in bits (up to binning and the 18-bit cut-off)
    area = (sc.centers_bits[:, None] * sc.density * width[:, None]).sum(0)
    assert np.allclose(area, sc.mean_bits, rtol=0.05)


def test_dynamics_recovers_the_step_exponent_per_member():
    dyn = analysis.dynamics(_synthetic(alpha_s=0.3), n_boot=200)
    assert dyn.member == "m3" and dyn.mean_bits.shape == (4, 5)
    assert np.allclose(dyn.exponents, 0.3, atol=1e-4)
    assert dyn.fit_steps == (50, 1000)  # after 5 % warm-up


def test_paper_artifact_round_trip(tmp_path):
    from quanta.lm import paper

    tl = _synthetic(T=3000).final()
    lengths = np.array([1001, 1000, 1001], np.int32)  # 3000 predicted tokens
    steps = np.array([10, 30, 100, 300, 1000])
    mean = np.stack([np.geomspace(8, 5, 5) - i * 0.3 for i in range(4)])
    arrays = {"losses": tl.losses.astype(np.float16), "n_params": tl.n_params, "token": np.zeros(3000, np.uint16),
              "doc_lengths": lengths, "ckpt_steps": steps, "ckpt_mean": mean,
              "ckpt_hist_bits": np.ones((4, 5, 1000), np.float32) / 18, "hist_edges_bits": np.linspace(0, 18, 1001),
              "mean_final": tl.mean}
    np.savez(tmp_path / "lm_paper.npz", **arrays)
    (tmp_path / "lm_paper.json").write_text(json.dumps({"device": "test", "names": list(tl.names)}))
    paper.freeze(tmp_path / "lm_paper.npz", tmp_path / "lm_paper.json", base=tmp_path / "results")
    assert paper.available(base=tmp_path / "results")
    tl2, sc, dyn, manifest = paper.load(base=tmp_path / "results")
    np.testing.assert_allclose(tl2.losses, tl.losses, rtol=1e-3)
    assert tl2.pos.max() == 1000 and tl2.doc.max() == 2
    assert sc.fit.exponent == pytest.approx(0.1, abs=2e-3)
    assert dyn.density.shape == (1000, 5) and manifest["device"] == "test"
    np.savez(tmp_path / "bad.npz", losses=arrays["losses"])
    with pytest.raises(ValueError, match="missing"):
        paper.freeze(tmp_path / "bad.npz", tmp_path / "lm_paper.json", base=tmp_path / "results")
