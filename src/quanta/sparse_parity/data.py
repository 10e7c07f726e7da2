"""Multitask sparse parity data (paper §3; generator of the authors' ``sparse-parity-v4``).

Intuition: each input holds a one-hot *control* block naming one of ``n_tasks`` subtasks and ``n``
random *task bits*. Subtask ``i`` asks for the parity of its own fixed ``k``-subset ``S_i`` of the task
bits. Subtasks are drawn with Zipf frequencies ``p_i ∝ i^-(α+1)``, so each one is a planted "quantum"
whose use frequency we control: a network that learns subtask ``i`` drops its loss on a fraction
``p_i`` of the samples from ln 2 to about 0.

Conventions
-----------
* ``alpha`` everywhere in this package is the paper's α (``p_i ∝ i^-(α+1)``). The authors' scripts
  call the *full* exponent ``alpha``: their ``alpha=1.4`` is our ``alpha=0.4``.
* Everything is vectorized: a batch is a handful of tensor operations (task ids by sampling from the
  Zipf law, all bits with one ``randint``, the parity with one gather through the ``(n_tasks, k)``
  subset table); there is no Python loop over subtasks.
* The control block is never materialised: a sample is ``(task_id, bits)``; the model reads the task
  id as a row gather of its first-layer weights, which equals multiplying the one-hot block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..validate import check_float, check_int


def zipf_probs(n_tasks: int, alpha: float) -> np.ndarray:
    """Subtask frequencies ``p_i = i^-(α+1) / Σ_{j≤n_tasks} j^-(α+1)`` (paper §3, SPEC §2.1).

    Parameters
    ----------
    n_tasks : int
        Number of subtasks (>= 1).
    alpha : float
        The paper's α > 0. (The authors' code passes ``alpha_code = α + 1``.)

    Returns
    -------
    numpy.ndarray, shape (n_tasks,), float64
        Frequencies, decreasing, summing to 1 (finite normalisation over the subtasks, not ζ).
    """
    check_int("n_tasks", n_tasks, min=1)
    check_float("alpha", alpha, min=0.0, min_inclusive=False)
    w = np.arange(1, n_tasks + 1, dtype=np.float64) ** -(alpha + 1.0)
    return w / w.sum()


def check_task_shape(n_tasks: int, n: int, k: int) -> None:
    """Raise if ``n_tasks`` distinct ``k``-subsets of ``n`` bits cannot exist (before any work)."""
    check_int("n", n, min=1)
    check_int("k", k, min=1)
    check_int("n_tasks", n_tasks, min=1)
    if k > n:
        raise ValueError(f"k={k} is larger than n={n}; allowed: 1 <= k <= n")
    total = math.comb(n, k)
    if n_tasks > total:
        raise ValueError(
            f"n_tasks={n_tasks} needs {n_tasks} distinct {k}-subsets of n={n} bits but only C({n},{k})={total} "
            f"exist; allowed: n_tasks <= {total}")


def make_subsets(n_tasks: int, n: int, k: int, seed: int) -> np.ndarray:
    """Draw ``n_tasks`` distinct sorted ``k``-subsets of ``range(n)`` (vectorized rejection).

    Each round draws a batch of random ``k``-subsets (the first ``k`` columns of a random permutation
    of each row), sorts them and keeps the first occurrence of every new subset, in draw order, like
    the authors' loop (which keeps drawing until ``n_tasks`` distinct subsets were found).

    Returns
    -------
    numpy.ndarray, shape (n_tasks, k), int64
        Row ``i`` is ``S_i`` in increasing order.
    """
    check_task_shape(n_tasks, n, k)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5A17]))
    found = np.empty((0, k), dtype=np.int64)
    while found.shape[0] < n_tasks:
        m = max(2 * (n_tasks - found.shape[0]), 64)
        cand = np.sort(np.argsort(rng.random((m, n)), axis=1)[:, :k], axis=1).astype(np.int64)
        allrows = np.concatenate([found, cand])
        _, first = np.unique(allrows, axis=0, return_index=True)
        found = allrows[np.sort(first)]
    return np.ascontiguousarray(found[:n_tasks])


@dataclass(frozen=True)
class Task:
    """A multitask sparse parity problem on one device.

    Attributes
    ----------
    subsets : torch.Tensor, shape (n_tasks, k), int64
    probs : torch.Tensor, shape (n_tasks,), float64
        Zipf frequencies (paper α).
    n : int
        Number of task bits.
    alpha : float
        Paper α.
    """

    subsets: torch.Tensor
    probs: torch.Tensor
    n: int
    alpha: float

    @property
    def n_tasks(self) -> int:
        return int(self.subsets.shape[0])

    @property
    def k(self) -> int:
        return int(self.subsets.shape[1])

    @property
    def device(self) -> torch.device:
        return self.subsets.device


def make_task(n_tasks: int, n: int, k: int, alpha: float, seed: int, device="cpu") -> Task:
    """Build the subset table and the Zipf frequencies for one problem (validated first)."""
    check_task_shape(n_tasks, n, k)
    probs = zipf_probs(n_tasks, alpha)
    subsets = make_subsets(n_tasks, n, k, seed)
    dev = torch.device(device)
    return Task(subsets=torch.as_tensor(subsets, device=dev), probs=torch.as_tensor(probs, device=dev),
                n=int(n), alpha=float(alpha))


def parity(task: Task, task_ids: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Labels ``y = Σ_{j∈S_t} x_j mod 2`` for every sample.

    Parameters
    ----------
    task_ids : torch.Tensor, shape (..., B), int64
    bits : torch.Tensor, shape (..., B, n), uint8 or float

    Returns
    -------
    torch.Tensor, shape (..., B), int64
    """
    idx = task.subsets[task_ids]                        # (..., B, k)
    picked = torch.gather(bits, -1, idx)                # (..., B, k)
    return (picked.to(torch.int64).sum(-1) % 2)


def sample_task_ids(task: Task, size, generator: torch.Generator) -> torch.Tensor:
    """Draw subtask ids i.i.d. from the Zipf law (inverse CDF of uniforms).

    Returns
    -------
    torch.Tensor, shape ``size``, int64, values in ``[0, n_tasks)``.
    """
    cdf = torch.cumsum(task.probs, 0)
    u = torch.rand(size, generator=generator, device=task.device, dtype=torch.float64)
    return torch.searchsorted(cdf, u).clamp_(max=task.n_tasks - 1)


def sample_batch(task: Task, size, generator: torch.Generator, *, task_ids: torch.Tensor | None = None):
    """A batch of samples: Zipf task ids (unless given), uniform bits, parity labels.

    Parameters
    ----------
    size : int or tuple
        Leading shape, e.g. ``B`` or ``(M, B)``.
    task_ids : torch.Tensor, optional
        Use these task ids instead of sampling them.

    Returns
    -------
    task_ids : torch.Tensor, shape (*size,), int64
    bits : torch.Tensor, shape (*size, n), uint8 in {0, 1}
    labels : torch.Tensor, shape (*size,), int64
    """
    size = (size,) if isinstance(size, int) else tuple(size)
    if task_ids is None:
        task_ids = sample_task_ids(task, size, generator)
    bits = torch.randint(0, 2, (*task_ids.shape, task.n), generator=generator, device=task.device,
                         dtype=torch.uint8)
    return task_ids, bits, parity(task, task_ids, bits)


def per_task_test_set(task: Task, per_task: int, generator: torch.Generator):
    """``per_task`` fresh samples of every subtask, task-major (rows ``i*per_task ... (i+1)*per_task-1``).

    Returns
    -------
    (task_ids, bits, labels) with shapes (n_tasks*per_task,), (n_tasks*per_task, n), (n_tasks*per_task,).
    """
    check_int("per_task", per_task, min=1)
    ids = torch.arange(task.n_tasks, device=task.device).repeat_interleave(per_task)
    return sample_batch(task, ids.shape[0], generator, task_ids=ids)


def zipf_test_counts(task: Task, test_points: int) -> np.ndarray:
    """The authors' mean-test-loss batch: exactly ``int(p_i * test_points)`` samples of subtask ``i``."""
    return np.floor(task.probs.cpu().numpy() * test_points).astype(np.int64)


def one_hot_inputs(task_ids: torch.Tensor, bits: torch.Tensor, n_tasks: int) -> torch.Tensor:
    """Dense inputs as in the paper: ``[one_hot(task_id, n_tasks), bits]``, shape (B, n_tasks + n), float32."""
    x = torch.zeros((task_ids.shape[0], n_tasks + bits.shape[-1]), device=bits.device)
    x[torch.arange(task_ids.shape[0], device=bits.device), task_ids] = 1.0
    x[:, n_tasks:] = bits.to(x.dtype)
    return x
