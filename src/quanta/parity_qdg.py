"""Appendix D.1 of the paper: QDG on multitask sparse parity, where the quanta are known.

On language the true quanta are unknown, so the QDG envelope slope (≈ −1.24) cannot be checked.
Multitask sparse parity has planted quanta: subtask i (a k-bit parity picked by a one-hot control
block) is used with frequency p_i ∝ i^-(α+1). The paper trains the width-500 network of its Figure 2,
keeps 10,000 samples on which the network has ≈ 0 loss, and runs the same QDG as for language:
per-sample gradients of the loss with respect to all parameters, cosine similarities, Ĉ = 1 −
arccos(C)/π, spectral clustering for many k and the envelope of the rank-frequency curves
(Figure 15). Samples of one subtask do share gradient directions (the matrix ordered by true subtask
shows blocks), yet the envelope slope comes out near −1.1 against the planted −1.4: the same kind of
bias that the toy model of appendix D.2 (:mod:`quanta.toymodels`) reproduces. This module trains the
network with :mod:`quanta.sparse_parity`'s task and model, selects the samples and runs the QDG of
:mod:`quanta.qdg` on them; it also scores the clusters against the true subtasks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .cache import memo
from .device import resolve
from .progress import progress
from .validate import check_float, check_int, check_scale

__all__ = ["ParityQDGConfig", "preset", "train_network", "select_samples", "run_parity_qdg",
           "parity_qdg", "envelope", "purity_table"]


@dataclass(frozen=True)
class ParityQDGConfig:
    """Training, sample selection and QDG settings of appendix D.1.

    Attributes
    ----------
    n_tasks, n, k : int
        Subtasks, task bits, parity arity (paper: 500, 100, 3).
    alpha : float
        Paper α (p_i ∝ i^-(α+1); paper 0.4).
    width : int
        Hidden width of the one-hidden-layer ReLU network (paper 500).
    steps, batch : int
        Single-epoch AdamW training (fresh batch each step; lr 1e-3, no weight decay, as the paper).
    n_samples : int
        S, samples kept for QDG (paper 10,000).
    loss_threshold : float
        A sample counts as "≈ 0 loss" below this cross-entropy (nats). The paper does not state its
        threshold; 0.1 nats is its threshold for language tokens (SPEC §0.2).
    fit_ranks : tuple of int
        1-based inclusive rank window of the envelope fit (the paper does not state it).
    n_init : int
        k-means restarts of the clustering.
    seed : int
    device : str
        Not part of any cache key.
    """

    n_tasks: int = 500
    n: int = 100
    k: int = 3
    alpha: float = 0.4
    width: int = 500
    steps: int = 200_000
    batch: int = 20_000
    n_samples: int = 10_000
    loss_threshold: float = 0.1
    fit_ranks: tuple = (3, 100)
    n_init: int = 3
    seed: int = 0
    device: str = "auto"

    def __post_init__(self):
        from .sparse_parity.data import check_task_shape

        check_task_shape(self.n_tasks, self.n, self.k)
        check_float("alpha", self.alpha, min=0.0, min_inclusive=False)
        check_int("width", self.width, min=1)
        check_int("steps", self.steps, min=1)
        check_int("batch", self.batch, min=1)
        check_int("n_samples", self.n_samples, min=20)
        check_float("loss_threshold", self.loss_threshold, min=0.0, min_inclusive=False)
        if not isinstance(self.fit_ranks, tuple) or len(self.fit_ranks) != 2:
            raise TypeError(f"fit_ranks={self.fit_ranks!r} must be a tuple (rank_min, rank_max)")
        check_int("fit_ranks[0]", self.fit_ranks[0], min=1)
        check_int("fit_ranks[1]", self.fit_ranks[1], min=self.fit_ranks[0] + 2)
        check_int("n_init", self.n_init, min=1)
        check_int("seed", self.seed, min=0)
        resolve(self.device)

    def key_fields(self) -> dict:
        d = asdict(self)
        d.pop("device")
        return d

    def train_fields(self) -> dict:
        return {k: v for k, v in self.key_fields().items()
                if k in ("n_tasks", "n", "k", "alpha", "width", "steps", "batch", "seed")}


def preset(scale: str = "small", *, seed: int = 0, device: str = "auto") -> ParityQDGConfig:
    """``paper``: the paper's network and S = 10,000 (a GPU job). ``small``: 40 subtasks as in the
    sparse-parity chapter's small task but 8 task bits (parities of 12 bits are learned too slowly on
    a CPU), width 128, 12,000 steps, S = 1,500; a few minutes on 2 CPU cores. ``smoke``: 12 subtasks,
    8 bits, 1,500 steps, S = 150 and a looser 0.3-nat threshold (few subtasks reach 0.1 nats that
    fast); seconds."""
    check_scale(scale)
    if scale == "paper":
        return ParityQDGConfig(seed=seed, device=device)
    if scale == "small":
        return ParityQDGConfig(n_tasks=40, n=8, k=3, width=128, steps=12_000, batch=2000,
                               n_samples=1500, fit_ranks=(2, 20), seed=seed, device=device)
    return ParityQDGConfig(n_tasks=12, n=8, k=3, width=64, steps=1500, batch=512, n_samples=150,
                           loss_threshold=0.3, fit_ranks=(1, 8), n_init=2, seed=seed, device=device)


def _task(cfg: ParityQDGConfig, device):
    from .sparse_parity.data import make_task

    return make_task(cfg.n_tasks, cfg.n, cfg.k, cfg.alpha, cfg.seed, device)


def _loss_fn(n_tasks: int):
    from .sparse_parity.data import one_hot_inputs

    def loss_fn(model, batch):
        ids, bits, y = batch
        return F.cross_entropy(model(one_hot_inputs(ids, bits, n_tasks)), y, reduction="none")

    return loss_fn


def train_network(cfg: ParityQDGConfig, *, show_progress: bool = True) -> torch.nn.Sequential:
    """The paper's network (``Linear(n_tasks + n, w) → ReLU → Linear(w, 2)``), trained single-epoch.

    Cached (stage ``appendix_d.parity_network``) as its four weight arrays.
    """
    from .sparse_parity.model import dense_mlp

    device = resolve(cfg.device)

    def compute():
        from .sparse_parity.data import sample_batch

        torch.manual_seed(cfg.seed)
        task = _task(cfg, device)
        net = dense_mlp(cfg.width, cfg.n_tasks, cfg.n, cfg.seed).to(device)
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.0)
        g = torch.Generator(device=device).manual_seed(cfg.seed + 1)
        loss_fn = _loss_fn(cfg.n_tasks)
        it = range(cfg.steps)
        for _ in (progress(it, desc="sparse parity network") if show_progress else it):
            loss = loss_fn(net, sample_batch(task, cfg.batch, g)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return {n: p.detach().cpu().numpy() for n, p in net.state_dict().items()}

    state = memo("appendix_d.parity_network", cfg.train_fields(), compute, version=1)
    net = dense_mlp(cfg.width, cfg.n_tasks, cfg.n, cfg.seed)
    net.load_state_dict({n: torch.as_tensor(state[n]) for n in net.state_dict()})
    return net.to(device).eval()


def select_samples(net, cfg: ParityQDGConfig, *, max_draws: int = 200):
    """Fresh Zipf-distributed samples on which ``net`` has loss below ``cfg.loss_threshold``.

    Returns
    -------
    task_ids : torch.Tensor, shape (S,), int64
    bits : torch.Tensor, shape (S, n), uint8
    labels : torch.Tensor, shape (S,), int64
    pass_rate : float
        Fraction of drawn samples that passed the threshold.
    """
    from .sparse_parity.data import sample_batch

    device = next(net.parameters()).device
    task = _task(cfg, device)
    g = torch.Generator(device=device).manual_seed(cfg.seed + 2)
    loss_fn = _loss_fn(cfg.n_tasks)
    keep, drawn, passed = [], 0, 0
    chunk = max(4 * cfg.n_samples, 1000)
    for _ in range(max_draws):
        batch = sample_batch(task, chunk, g)
        with torch.no_grad():
            ok = loss_fn(net, batch) < cfg.loss_threshold
        keep.append(tuple(t[ok] for t in batch))
        drawn += chunk
        passed += int(ok.sum())
        if passed >= cfg.n_samples:
            break
    ids, bits, y = (torch.cat([b[i] for b in keep])[: cfg.n_samples] for i in range(3))
    if len(ids) < cfg.n_samples:
        raise RuntimeError(f"only {len(ids)} of {drawn} samples have loss < {cfg.loss_threshold} nats; "
                           f"n_samples={cfg.n_samples} cannot be reached (train longer)")
    return ids, bits, y, passed / drawn


def run_parity_qdg(cfg: ParityQDGConfig, *, show_progress: bool = True) -> dict:
    """Train, select ≈ 0-loss samples, and run QDG with every scaled k.

    Returns
    -------
    dict
        ``subtask``: shape (S,), true subtask of each sample; ``angular``: shape (S, S), float32 Ĉ;
        ``ks``: shape (n_k,); ``labels``: shape (n_k, S), clusters for each k (0 = largest);
        ``n_params``: P; ``pass_rate``; ``task_loss``: shape (n_tasks,), the network's mean test
        loss (nats) on each subtask.
    """
    from .qdg import angular_similarity, gradient_similarity, scaled_ks, select_parameters, spectral_fast
    from .sparse_parity.data import per_task_test_set

    net = train_network(cfg, show_progress=show_progress)
    device = next(net.parameters()).device
    ids, bits, y, rate = select_samples(net, cfg)
    specs = select_parameters(net, exclude=())  # the paper: all parameters
    S = len(ids)
    step = 512
    batches = [(torch.arange(i, min(i + step, S)), (ids[i:i + step], bits[i:i + step], y[i:i + step]))
               for i in range(0, S, step)]
    sim = gradient_similarity(net, specs, _loss_fn(cfg.n_tasks), batches, S, mode="exact",
                              show_progress=show_progress)
    ang = angular_similarity(sim.cosine).astype(np.float32)
    ks = scaled_ks(S)
    labels = spectral_fast(ang.astype(np.float64), ks, seed=cfg.seed, n_init=cfg.n_init)
    task = _task(cfg, device)
    g = torch.Generator(device=device).manual_seed(cfg.seed + 3)
    tid, tbits, ty = per_task_test_set(task, 200, g)
    with torch.no_grad():
        tl = _loss_fn(cfg.n_tasks)(net, (tid, tbits, ty)).view(cfg.n_tasks, -1).mean(1).cpu().numpy()
    return {"subtask": ids.cpu().numpy(), "angular": ang, "ks": np.asarray(ks),
            "labels": np.stack([labels[k] for k in ks]), "n_params": int(sim.n_params),
            "pass_rate": float(rate), "task_loss": tl}


def parity_qdg(cfg: ParityQDGConfig, *, show_progress: bool = True) -> dict:
    """:func:`run_parity_qdg`, cached (stage ``appendix_d.parity_qdg``)."""
    if not isinstance(cfg, ParityQDGConfig):
        raise TypeError(f"cfg must be a ParityQDGConfig, got {type(cfg).__name__}")
    return memo("appendix_d.parity_qdg", cfg.key_fields(),
                lambda: run_parity_qdg(cfg, show_progress=show_progress), version=1)


def envelope(result: dict, cfg: ParityQDGConfig, *, n_boot: int = 1000):
    """The rank-frequency envelope of the clusters and its fit over ``cfg.fit_ranks``
    (:func:`quanta.qdg.envelope_fit`)."""
    from .qdg import envelope_fit

    labels = {int(k): result["labels"][j] for j, k in enumerate(result["ks"])}
    return envelope_fit(labels, ranks=tuple(cfg.fit_ranks), n_boot=n_boot, seed=cfg.seed)


def purity_table(result: dict):
    """Purity, inverse purity, ARI and NMI of each clustering against the true subtasks.

    Uses :func:`quanta.planted.scoring.score_clustering` (subtasks play the planted skills).
    """
    import pandas as pd

    from .planted.scoring import score_clustering

    rows = []
    for j, k in enumerate(result["ks"]):
        sc = score_clustering(result["labels"][j], result["subtask"])
        rows.append({"k": int(k), "purity": sc.purity, "inverse purity": sc.inverse_purity,
                     "ARI": sc.ari, "NMI": sc.nmi})
    return pd.DataFrame(rows)
