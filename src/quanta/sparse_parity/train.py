"""Training sweeps on multitask sparse parity (paper §3 and App. B; SPEC §2.2-2.3).

Intuition: one *sweep* is a set of independent networks (several widths, seeds, or training-set sizes)
trained side by side. Single-epoch runs (``D=()``) draw a fresh batch at every step and share it among
all members; multi-epoch runs give each member its own finite training set of ``D`` samples, iterated
in shuffled epochs with the last partial batch kept (the authors' loader), and report the paper's
post hoc early stopping: the logged step with the lowest mean test loss. At every logged step each
member is evaluated on one fixed test set holding ``test_per_task`` samples of every subtask; the
per-subtask loss and accuracy come from it directly, and the mean test loss is their average weighted
by the Zipf frequencies ``Σ_i p_i L_i`` (the authors draw ``int(p_i 10^6)`` samples of each subtask
instead, which estimates the same quantity with more noise). Losses are natural-log cross-entropy
(nats); plots convert to bits.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from .. import cache
from ..device import resolve
from ..progress import progress
from ..validate import check_choice, check_float, check_int
from .data import Task, check_task_shape, make_task, per_task_test_set, sample_batch, zipf_probs
from .model import MLPEnsemble

log = logging.getLogger(__name__)

STAGE_VERSION = 1


@dataclass(frozen=True)
class SweepConfig:
    """One sweep of networks trained together.

    Members are ``product(D or [online], widths, range(replicates))``. ``alpha`` is the paper's α
    (the authors' ``alpha`` is α + 1).

    Attributes
    ----------
    n_tasks, n, k : int
        Subtasks, task bits, parity arity.
    alpha : float
        Paper α > 0 (``p_i ∝ i^-(α+1)``).
    widths : tuple of int
        Hidden widths (>= 1). A data sweep (``D`` non-empty) needs exactly one width.
    replicates : int
        Initialisation seeds per width (members share the data stream).
    D : tuple of int
        Training-set sizes for multi-epoch runs; empty for single-epoch (fresh batch each step).
    steps, batch : int
        Optimizer steps and batch size (a finite training set uses ``min(D, batch)``).
    lr : float
        AdamW learning rate (weight decay 0, as in the paper).
    n_logs : int
        Number of evaluation points (step 0 and the last step included).
    log_spacing : str
        ``"log"`` (geometric, for curves on log axes) or ``"linear"``.
    test_per_task : int
        Test samples of each subtask.
    seed : int
        Seeds the subsets, the data and (with the width and replicate) each member's initialisation.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    """

    n_tasks: int
    n: int
    k: int
    alpha: float
    widths: tuple[int, ...]
    replicates: int = 1
    D: tuple[int, ...] = ()
    steps: int = 1000
    batch: int = 1000
    lr: float = 1e-3
    n_logs: int = 50
    log_spacing: str = "log"
    test_per_task: int = 200
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self):
        check_task_shape(self.n_tasks, self.n, self.k)
        check_float("alpha", self.alpha, min=0.0, min_inclusive=False)
        if not isinstance(self.widths, tuple) or len(self.widths) == 0:
            raise ValueError(f"widths={self.widths!r} must be a non-empty tuple of ints >= 1")
        for w in self.widths:
            check_int("width", w, min=1)
        check_int("replicates", self.replicates, min=1)
        if not isinstance(self.D, tuple):
            raise TypeError(f"D={self.D!r} must be a tuple of ints >= 1 (empty for single-epoch)")
        for d in self.D:
            check_int("D", d, min=1)
        if self.D and len(self.widths) != 1:
            raise ValueError(f"widths={self.widths!r}: a data sweep (D given) trains one width; give a 1-tuple")
        check_int("steps", self.steps, min=1)
        check_int("batch", self.batch, min=1)
        check_float("lr", self.lr, min=0.0, min_inclusive=False)
        check_int("n_logs", self.n_logs, min=2)
        check_choice("log_spacing", self.log_spacing, ("log", "linear"))
        check_int("test_per_task", self.test_per_task, min=1)
        check_int("seed", self.seed, min=0)
        resolve(self.device)

    @property
    def members(self) -> list[tuple[int | None, int, int]]:
        """``(D or None, width, replicate)`` of every member, in ensemble order."""
        return list(itertools.product(self.D or (None,), self.widths, range(self.replicates)))

    @property
    def member_seeds(self) -> list[int]:
        return [member_seed(self.seed, w, r) for _, w, r in self.members]

    @property
    def log_steps(self) -> np.ndarray:
        return log_schedule(self.steps, self.n_logs, self.log_spacing)


def member_seed(seed: int, width: int, replicate: int) -> int:
    """Initialisation seed of a member: a function of (sweep seed, width, replicate) only, so the same
    network is obtained whether it trains alone or inside any ensemble."""
    return int(np.random.SeedSequence([int(seed), int(width), int(replicate), 0x1717]).generate_state(1)[0])


def log_schedule(steps: int, n_logs: int, spacing: str = "log") -> np.ndarray:
    """Steps at which to evaluate: ``0`` and ``steps`` included, about ``n_logs`` distinct values.

    Returns
    -------
    numpy.ndarray, shape (T,), int64, increasing.
    """
    check_int("steps", steps, min=1)
    check_int("n_logs", n_logs, min=2)
    check_choice("spacing", spacing, ("log", "linear"))
    if spacing == "linear":
        s = np.linspace(0, steps, n_logs)
    else:
        s = np.concatenate([[0], np.geomspace(1, steps, n_logs - 1)])
    return np.unique(np.round(s).astype(np.int64))


def _generator(device: torch.device, seed: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(int(seed))


@torch.no_grad()
def evaluate(model: MLPEnsemble, test, n_tasks: int, probs: torch.Tensor, *, chunk_rows: int | None = None):
    """Per-subtask test loss and accuracy of every member, and the Zipf-weighted means.

    Parameters
    ----------
    test : tuple (task_ids, bits, labels), task-major with the same count of every subtask
        As returned by :func:`~quanta.sparse_parity.data.per_task_test_set`.
    probs : (n_tasks,) subtask frequencies

    Returns
    -------
    task_loss, task_acc : torch.Tensor, shape (M, n_tasks), float32 (nats, fraction)
    loss, acc : torch.Tensor, shape (M,), Σ_i p_i · (per-subtask value)
    """
    ids, bits, y = test
    per_task = ids.shape[0] // n_tasks
    H = sum(model.widths)
    if chunk_rows is None:
        budget = (2**30 if ids.device.type == "cuda" else 2**25) // 4      # floats per activation chunk
        chunk_rows = max(per_task, (budget // max(H, 1)) // per_task * per_task)
    M = model.n_members
    tl = torch.empty((M, ids.shape[0]), device=ids.device)
    tc = torch.empty((M, ids.shape[0]), device=ids.device)
    for lo in range(0, ids.shape[0], chunk_rows):
        sl = slice(lo, lo + chunk_rows)
        logits = model(ids[sl], bits[sl])                                              # (M, b, 2)
        yy = y[sl].expand(M, -1)
        tl[:, sl] = F.cross_entropy(logits.transpose(1, 2), yy, reduction="none")
        tc[:, sl] = (logits.argmax(-1) == yy).float()
    task_loss = tl.view(M, n_tasks, per_task).mean(-1)
    task_acc = tc.view(M, n_tasks, per_task).mean(-1)
    p = probs.to(task_loss.dtype)
    return task_loss, task_acc, task_loss @ p, task_acc @ p


class _EpochBatches:
    """Shuffled epochs over each member's training set, last partial batch kept (the authors' loader).

    The training sets of all members are concatenated on the device; each step, the host builds one
    (M, B) row index (members with a short batch are padded with weight 0) and the device gathers it.
    """

    def __init__(self, sizes, batch: int, seed: int):
        self.sizes = [int(d) for d in sizes]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.B = min(int(batch), max(self.sizes))
        self.batch = [min(int(batch), d) for d in self.sizes]
        self.rngs = [np.random.default_rng(np.random.SeedSequence([int(seed), 4, m])) for m in range(len(sizes))]
        self.perm = [None] * len(sizes)
        self.pos = list(self.sizes)

    def next(self):
        """Row index (M, B) into the concatenated sets and per-row weights (M, B) (1/b, or 0 for padding)."""
        M = len(self.sizes)
        idx = np.zeros((M, self.B), np.int64)
        w = np.zeros((M, self.B), np.float32)
        for m, d in enumerate(self.sizes):
            if self.pos[m] >= d:
                self.perm[m] = self.rngs[m].permutation(d)
                self.pos[m] = 0
            rows = self.perm[m][self.pos[m]:self.pos[m] + self.batch[m]]
            self.pos[m] += self.batch[m]
            idx[m, :rows.size] = rows + self.offsets[m]
            idx[m, rows.size:] = self.offsets[m]
            w[m, :rows.size] = 1.0 / rows.size
        return idx, w


def train_sweep(cfg: SweepConfig, *, show_progress: bool = True) -> dict:
    """Train every member of ``cfg`` at once and log its test metrics.

    Returns
    -------
    dict with
        ``log_steps`` (T,) int64; ``loss``, ``acc`` (M, T) float32 (nats / fraction, Zipf-weighted);
        ``task_loss``, ``task_acc`` (M, T, n_tasks) float32; ``widths``, ``replicates``, ``D`` (M,)
        int64 (``D`` = -1 for single-epoch); ``n_params`` (M,) int64; ``probs`` (n_tasks,);
        ``subsets`` (n_tasks, k); ``best_index`` (M,) int64 (argmin of ``loss`` over logs: the paper's
        early stopping); ``wall_s`` float; ``device`` str.
    """
    device = resolve(cfg.device)
    t0 = time.perf_counter()
    task = make_task(cfg.n_tasks, cfg.n, cfg.k, cfg.alpha, cfg.seed, device)
    members = cfg.members
    model = MLPEnsemble([w for _, w, _ in members], cfg.n_tasks, cfg.n, cfg.member_seeds).to(device)
    opt_kwargs = {"fused": True} if device.type == "cuda" else {}
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0, **opt_kwargs)
    g_data = _generator(device, np.random.SeedSequence([cfg.seed, 1]).generate_state(1)[0])
    g_test = _generator(device, np.random.SeedSequence([cfg.seed, 2]).generate_state(1)[0])
    test = per_task_test_set(task, cfg.test_per_task, g_test)
    M = len(members)

    finite = bool(cfg.D)
    if finite:
        parts = []
        for d, _, _ in members:
            g = _generator(device, np.random.SeedSequence([cfg.seed, 3, d]).generate_state(1)[0])
            parts.append(sample_batch(task, d, g))
        train_ids, train_bits, train_y = (torch.cat([p[i] for p in parts]) for i in range(3))
        del parts
        loader = _EpochBatches([d for d, _, _ in members], cfg.batch, cfg.seed)

    log_steps = cfg.log_steps
    T = len(log_steps)
    loss = np.zeros((M, T), np.float32)
    acc = np.zeros((M, T), np.float32)
    task_loss = np.zeros((M, T, cfg.n_tasks), np.float32)
    task_acc = np.zeros((M, T, cfg.n_tasks), np.float32)
    logset = {int(s): j for j, s in enumerate(log_steps)}

    def log_now(step):
        j = logset[step]
        tl, ta, lo, ac = evaluate(model, test, cfg.n_tasks, task.probs)
        task_loss[:, j], task_acc[:, j] = tl.cpu().numpy(), ta.cpu().numpy()
        loss[:, j], acc[:, j] = lo.cpu().numpy(), ac.cpu().numpy()

    steps_iter = progress(range(cfg.steps), desc=f"sparse parity ({M} nets)") if show_progress else range(cfg.steps)
    for step in steps_iter:
        if step in logset:
            log_now(step)
        if finite:
            idx, wts = loader.next()
            idx = torch.from_numpy(idx).to(device, non_blocking=True)
            mask = torch.from_numpy(wts).to(device, non_blocking=True)
            ids, bits, y = train_ids[idx], train_bits[idx], train_y[idx]
            logits = model(ids, bits)                                                   # (M, B, 2)
            per = F.cross_entropy(logits.transpose(1, 2), y, reduction="none")         # (M, B)
            total = (per * mask).sum()
        else:
            ids, bits, y = sample_batch(task, cfg.batch, g_data)
            logits = model(ids, bits)                                                   # (M, B, 2)
            per = F.cross_entropy(logits.transpose(1, 2), y.expand(M, -1), reduction="none")
            total = per.mean(1).sum()
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
    if cfg.steps in logset:
        log_now(cfg.steps)

    return {
        "log_steps": log_steps, "loss": loss, "acc": acc, "task_loss": task_loss, "task_acc": task_acc,
        "widths": np.array([w for _, w, _ in members], np.int64),
        "replicates": np.array([r for _, _, r in members], np.int64),
        "D": np.array([-1 if d is None else d for d, _, _ in members], np.int64),
        "n_params": model.param_counts(), "probs": task.probs.cpu().numpy(),
        "subsets": task.subsets.cpu().numpy(), "best_index": loss.argmin(1).astype(np.int64),
        "wall_s": time.perf_counter() - t0, "device": str(device),
    }


def run_sweep(cfg: SweepConfig, *, refresh: bool = False, show_progress: bool = True) -> dict:
    """:func:`train_sweep`, cached by configuration (``quanta.cache.memo``)."""
    return cache.memo("sparse_parity.sweep", cfg, lambda: train_sweep(cfg, show_progress=show_progress),
                      version=STAGE_VERSION, refresh=refresh)
