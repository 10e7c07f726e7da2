"""Appendix D.1 glue: configuration checks, sample selection and cluster scoring."""

import numpy as np
import pytest
import torch

from quanta import parity_qdg as pq


def test_presets_and_bad_input():
    assert pq.preset("paper").n_tasks == 500 and pq.preset("paper").width == 500
    assert pq.preset("paper").alpha == 0.4 and pq.preset("paper").n_samples == 10_000
    with pytest.raises(ValueError, match="scale"):
        pq.preset("huge")
    with pytest.raises(ValueError, match="fit_ranks"):
        pq.ParityQDGConfig(fit_ranks=(5, 6))
    with pytest.raises(ValueError, match="loss_threshold"):
        pq.ParityQDGConfig(loss_threshold=0.0)
    with pytest.raises(ValueError, match="device"):
        pq.ParityQDGConfig(device="tpu")


def test_selected_samples_have_low_loss():
    cfg = pq.ParityQDGConfig(n_tasks=6, n=6, k=3, width=8, steps=1, batch=8, n_samples=40,
                             loss_threshold=0.69, fit_ranks=(1, 4), device="cpu")
    from quanta.sparse_parity.model import dense_mlp

    net = dense_mlp(8, 6, 6, 0).eval()
    ids, bits, y, rate = pq.select_samples(net, cfg)
    assert len(ids) == 40 and 0 < rate <= 1
    with torch.no_grad():
        assert (pq._loss_fn(6)(net, (ids, bits, y)) < 0.69).all()
    strict = pq.ParityQDGConfig(**{**cfg.__dict__, "loss_threshold": 1e-9})
    with pytest.raises(RuntimeError, match="train longer"):
        pq.select_samples(net, strict, max_draws=2)


def test_purity_of_a_perfect_clustering_is_one():
    subtask = np.repeat(np.arange(5), [40, 20, 10, 6, 4])
    res = {"subtask": subtask, "ks": np.array([3, 5]),
           "labels": np.stack([np.minimum(subtask, 2), subtask])}
    tab = pq.purity_table(res)
    assert tab.loc[tab["k"] == 5, "purity"].item() == pytest.approx(1.0)
    assert tab.loc[tab["k"] == 5, "ARI"].item() == pytest.approx(1.0)
    assert tab.loc[tab["k"] == 3, "purity"].item() < 1.0
    env = pq.envelope(res, pq.ParityQDGConfig(fit_ranks=(1, 4), device="cpu"), n_boot=0)
    # Envelope: the largest size at each rank over k (k = 3 merges subtasks 2-4 into 20).
    np.testing.assert_array_equal(env.envelope, [40, 20, 20, 6, 4])
