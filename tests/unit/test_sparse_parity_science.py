"""Science checks: frequent subtasks are learned first; the analysis recovers planted exponents."""

import numpy as np
import pytest
from scipy import stats

from quanta.sparse_parity import analysis as an
from quanta.sparse_parity.data import zipf_probs
from quanta.sparse_parity.train import SweepConfig, log_schedule, train_sweep

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_small_net_learns_frequent_subtasks_before_rare_ones():
    cfg = SweepConfig(n_tasks=8, n=8, k=3, alpha=0.8, widths=(64,), steps=800, batch=500, lr=1e-2, n_logs=25,
                      test_per_task=200)
    r = train_sweep(cfg, show_progress=False)
    conv = an.convergence_steps(r["log_steps"], r["task_loss"][0])
    assert np.isfinite(conv[:2]).all()                       # the two most frequent are learned
    ok = np.isfinite(conv)
    assert ok.sum() >= 3
    rho = stats.spearmanr(np.arange(8)[ok], conv[ok]).statistic
    assert rho > 0.7                                          # learned in order of frequency
    assert r["loss"][0, -1] < 0.6 * r["loss"][0, 0]           # the mean loss fell


def test_convergence_fit_recovers_planted_one_over_p():
    p = zipf_probs(40, 0.5)
    steps = log_schedule(200_000, 300, "log")
    drop = 50.0 / p                                           # planted: subtask i learned at 50/p_i
    task_loss = np.where(steps[:, None] >= drop[None, :], 0.0, np.log(2))
    conv = an.convergence_steps(steps, task_loss)
    fit = an.fit_convergence(p, conv)
    assert abs(fit.slope + 1.0) < 0.03


def test_alpha_d_and_learned_count_recover_planted_model():
    # quantization-model learner: subtask i learned iff D p_i >= tau (SPEC §1.3); loss = tail mass in bits
    alpha, tau = 0.4, 20.0
    p = zipf_probs(1_000_000, alpha)  # many subtasks: the tail is not truncated
    Ds = np.geomspace(1e4, 1e6, 12).astype(int)
    learned = np.array([(D * p >= tau).sum() for D in Ds])
    fit = an.fit_learned_vs_d(Ds, learned)
    assert abs(fit.slope - 1 / (alpha + 1)) < 0.05
    loss_nats = np.array([[np.log(2) * p[n:].sum()] for n in learned])       # (K, T=1)
    res = {"loss": loss_nats, "D": Ds, "log_steps": np.array([1])}
    f = an.fit_alpha_d(res)
    assert abs(f.exponent - alpha / (alpha + 1)) < 0.05
