"""Batched ensembles against independently trained single networks and the dense reference model."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from quanta.sparse_parity.data import make_task, one_hot_inputs, sample_batch
from quanta.sparse_parity.model import MLPEnsemble, dense_mlp, n_params
from quanta.sparse_parity.reference import ReferenceRun
from quanta.sparse_parity.train import SweepConfig, member_seed, train_sweep

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _train(model, batches, shared=True):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    out = []
    for ids, bits, y in batches:
        logits = model(ids, bits)
        M = logits.shape[0]
        loss = F.cross_entropy(logits.transpose(1, 2), y.expand(M, -1), reduction="none").mean(1)
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        out.append(loss.detach().numpy())
    return np.array(out)  # (steps, M)


def test_param_count_matches_paper():
    # SPEC §2.2: n_tasks=500, n=100: w=500 -> 301,502; w=9 -> 5,429
    assert n_params(500, 500, 100) == 301_502 and n_params(9, 500, 100) == 5_429
    m = MLPEnsemble([9, 500], 500, 100, [1, 2])
    assert m.param_counts().tolist() == [5_429, 301_502]
    assert sum(p.numel() for p in m.parameters()) == 5_429 + 301_502


def test_ensemble_matches_single_models_step_for_step():
    task = make_task(20, 12, 3, 0.4, seed=0)
    g = torch.Generator().manual_seed(0)
    batches = [sample_batch(task, 256, g) for _ in range(40)]
    widths = [5, 17, 33]
    seeds = [member_seed(0, w, 0) for w in widths]
    ens = _train(MLPEnsemble(widths, 20, 12, seeds), batches)
    for m, (w, s) in enumerate(zip(widths, seeds)):
        single = _train(MLPEnsemble([w], 20, 12, [s]), batches)[:, 0]
        np.testing.assert_allclose(ens[:, m], single, rtol=2e-5, atol=2e-6)
    assert ens[-1].mean() < ens[0].mean()  # it trained


def test_ensemble_matches_dense_reference_model():
    """Task id as a row gather == one-hot input into nn.Linear; same Adam trajectory."""
    task = make_task(20, 12, 3, 0.4, seed=1)
    g = torch.Generator().manual_seed(1)
    batches = [sample_batch(task, 256, g) for _ in range(30)]
    ens = MLPEnsemble([24], 20, 12, [7])
    ours = _train(ens, batches)[:, 0]
    ref = ReferenceRun(task, 24, 7)
    theirs = [float(ref.step(one_hot_inputs(i, b, 20), y)) for i, b, y in batches]
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-6)
    for k, v in ens.member_state(0).items():
        np.testing.assert_allclose(v.numpy(), ref.net.state_dict()[k].numpy(), atol=1e-5)


def test_per_member_batches_match_shared_layout():
    """The per-member (data sweep) layout computes the same logits as the shared layout."""
    task = make_task(10, 8, 3, 0.4, seed=0)
    g = torch.Generator().manual_seed(0)
    ids, bits, _ = sample_batch(task, 64, g)
    m = MLPEnsemble([16, 16, 16], 10, 8, [1, 2, 3])
    shared = m(ids, bits)
    per = m(ids.expand(3, -1), bits.expand(3, -1, -1))
    np.testing.assert_allclose(shared.detach().numpy(), per.detach().numpy(), atol=1e-6)


def test_sweep_is_deterministic_and_members_independent_of_ensemble():
    cfg = SweepConfig(n_tasks=10, n=8, k=3, alpha=0.4, widths=(8, 16), steps=30, batch=128, n_logs=5,
                      test_per_task=20)
    a, b = train_sweep(cfg, show_progress=False), train_sweep(cfg, show_progress=False)
    np.testing.assert_array_equal(a["task_loss"], b["task_loss"])
    alone = train_sweep(SweepConfig(**{**cfg.__dict__, "widths": (16,)}), show_progress=False)
    np.testing.assert_allclose(alone["loss"][0], a["loss"][1], rtol=1e-5)


def test_finite_data_sweep_and_early_stopping():
    cfg = SweepConfig(n_tasks=10, n=8, k=3, alpha=0.4, widths=(16,), D=(50, 400), steps=40, batch=128,
                      n_logs=9, log_spacing="linear", test_per_task=20)
    r = train_sweep(cfg, show_progress=False)
    assert r["loss"].shape == (2, 9) and r["D"].tolist() == [50, 400]
    np.testing.assert_array_equal(r["best_index"], r["loss"].argmin(1))


@pytest.mark.parametrize("kw", [dict(widths=(0,)), dict(D=(0,), widths=(4,)), dict(alpha=0.0),
                                dict(alpha=-1.0), dict(k=9), dict(n_tasks=57), dict(device="tpu")])
def test_bad_input_fails_before_work(kw):
    base = dict(n_tasks=10, n=8, k=3, alpha=0.4, widths=(8,))
    with pytest.raises((ValueError, TypeError)) as e:
        SweepConfig(**{**base, **kw})
    name = next(iter(kw if "D" not in kw else {"D": 0}))
    assert name.split("_")[0] in str(e.value) or "width" in str(e.value)
