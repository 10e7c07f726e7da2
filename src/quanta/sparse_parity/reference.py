"""The reference approach to multitask sparse parity training, re-implemented for comparison.

Paper §3 / App. F (SPEC §2.1, §2.5). Intuition: this module does what the authors' ``sparse-parity-v4``
script does, in the same way, so that our trainer can be checked against it (same batches and same
initialisation give the same losses) and timed beside it (``benchmarks/sparse_parity_bench.py``):

* each batch is built with a Python loop over all subtasks (per-subtask counts from a histogram of
  Zipf draws, then ``randint`` bits, the parity and a one-hot control block for each subtask);
* the network reads the dense ``n_tasks + n`` input (``nn.Sequential(Linear, ReLU, Linear)``);
* each width is trained as its own model;
* at each logging step the mean test loss uses one batch with ``int(p_i · test_points)`` samples of
  subtask ``i``, and the per-subtask metrics loop over the subtasks, one batch of
  ``test_points_per_task`` samples each.

Our parameters use the paper's α (the authors' ``alpha`` is α + 1).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .data import Task, zipf_test_counts
from .model import dense_mlp


def loop_batch(task: Task, counts, device=None):
    """Build a batch subtask by subtask (the reference generator).

    Parameters
    ----------
    counts : sequence of int, length n_tasks
        Samples of each subtask.

    Returns
    -------
    x : torch.Tensor, shape (sum(counts), n_tasks + n), float32 (one-hot control block, then bits)
    y : torch.Tensor, shape (sum(counts),), int64
    """
    device = task.device if device is None else device
    subsets = task.subsets.cpu().tolist()
    total = int(sum(int(c) for c in counts))
    x = torch.zeros((total, task.n_tasks + task.n), device=device)
    y = torch.zeros((total,), dtype=torch.int64, device=device)
    start = 0
    for i, size in enumerate(counts):
        size = int(size)
        if size == 0:
            continue
        x[start:start + size], y[start:start + size] = one_task_batch(task, i, size, subsets[i], device)
        start += size
    return x, y


def one_task_batch(task: Task, i: int, size: int, subset, device):
    """``size`` samples of subtask ``i``: dense input (size, n_tasks + n) and labels (size,)."""
    bits = torch.randint(0, 2, (size, task.n), dtype=torch.float32, device=device)
    label = bits[:, subset].sum(1) % 2
    control = torch.zeros((size, task.n_tasks), device=device)
    control[:, i] = 1.0
    return torch.cat([control, bits], 1), label.long()


def sample_counts(task: Task, batch: int, rng: np.random.Generator) -> np.ndarray:
    """Per-subtask counts of a batch: inverse-CDF Zipf draws on the host, histogrammed (reference)."""
    cdf = np.cumsum(task.probs.cpu().numpy())
    ids = np.minimum(np.searchsorted(cdf, rng.random(batch)), task.n_tasks - 1)
    return np.bincount(ids, minlength=task.n_tasks)


class ReferenceRun:
    """One network trained the reference way.

    Parameters
    ----------
    task : Task
    width, init_seed : int
        Hidden width and the initialisation seed (as for :class:`~quanta.sparse_parity.model.MLPEnsemble`).
    lr : float
        AdamW learning rate (weight decay 0).
    """

    def __init__(self, task: Task, width: int, init_seed: int, *, lr: float = 1e-3, seed: int = 0):
        self.task = task
        self.net = dense_mlp(width, task.n_tasks, task.n, init_seed).to(task.device)
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=lr, weight_decay=0.0)
        self.rng = np.random.default_rng(seed)

    def step(self, x: torch.Tensor | None = None, y: torch.Tensor | None = None, batch: int = 0) -> float:
        """One optimizer step on ``(x, y)``, or on a fresh reference batch of ``batch`` samples."""
        if x is None:
            x, y = loop_batch(self.task, sample_counts(self.task, batch, self.rng))
        self.opt.zero_grad()
        loss = F.cross_entropy(self.net(x), y)
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def evaluate(self, test_points: int, test_points_per_task: int):
        """Reference logging step: Zipf-count mean test batch, then one batch per subtask.

        Returns
        -------
        loss : float; task_loss : numpy.ndarray, shape (n_tasks,)
        """
        x, y = loop_batch(self.task, zipf_test_counts(self.task, test_points))
        loss = F.cross_entropy(self.net(x), y).item()
        task_loss = np.zeros(self.task.n_tasks)
        subsets = self.task.subsets.cpu().tolist()
        for i in range(self.task.n_tasks):
            xi, yi = one_task_batch(self.task, i, test_points_per_task, subsets[i], self.task.device)
            out = self.net(xi)
            task_loss[i] = F.cross_entropy(out, yi).item()
            (out.argmax(1) == yi).float().mean().item()
        return loss, task_loss
