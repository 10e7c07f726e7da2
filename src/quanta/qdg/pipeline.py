"""QDG on a model suite of :mod:`quanta.lm`: select tokens, similarity, clusters, envelope (paper §5).

One configuration (:class:`QDGConfig`, presets ``smoke``/``small``/``paper``) runs the paper's pipeline
on the largest member of a suite trained on the planted-quanta language or on the Python standard
library: tokens with loss below the threshold, induction filter, even subsampling to S; per-token
gradients over the paper's parameter subset (exact or CountSketched); Ĉ; spectral clustering for the
paper's K list rescaled to S (fast solver), plus the scikit-learn reference at a few K and two seeds for
the solver comparison. Every stage is cached; the gradient stage writes resumable partial blocks.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from ..validate import check_choice, check_float, check_int, check_scale
from .cluster import adjusted_rand, spectral_fast, spectral_reference
from .rankfreq import PAPER_SHOWN_K, PAPER_N_TOKENS, EnvelopeResult, envelope_fit, scaled_ks
from .select import PAPER_LOSS_THRESHOLD
from .similarity import MODES

CORPORA = ("planted", "python-stdlib")
SIMILARITY_VERSION = 1
CLUSTERS_VERSION = 1


@dataclass(frozen=True)
class QDGConfig:
    """Everything that determines a QDG run on a suite member.

    Attributes
    ----------
    scale : {"smoke", "small", "paper"}
        Also selects the :mod:`quanta.lm` suite preset.
    corpus : {"planted", "python-stdlib"}
    n_tokens : int
        S requested; capped at the number of candidates (the cap is reported) when ``cap_tokens``.
    cap_tokens : bool
    loss_threshold : float
        nats (paper 0.1).
    loss_quantile : float or None
        If set, the threshold is instead this quantile of the member's test losses (for suites too small
        to reach 0.1 nats on enough tokens; reported as the threshold used).
    induction_filter : bool
    mode : {"exact", "sketch"}
    sketch_dim : int
    n_init : int
        k-means restarts of the fast solver.
    reference_ks : int
        How many K (spread over the list) the scikit-learn reference also clusters, with 2 seeds.
    max_ks : int or None
        Cluster at most this many K of the rescaled paper list (spread evenly, the shown K kept).
    max_tokens : int
        Token budget of one gradient batch.
    seed : int
    device : str
        Not part of any cache key.
    """

    scale: str = "small"
    corpus: str = "planted"
    n_tokens: int = 1500
    cap_tokens: bool = True
    loss_threshold: float = PAPER_LOSS_THRESHOLD
    loss_quantile: float | None = None
    induction_filter: bool = True
    mode: str = "exact"
    sketch_dim: int = 4096
    n_init: int = 3
    reference_ks: int = 2
    max_ks: int | None = None
    max_tokens: int = 8192
    seed: int = 0
    device: str = "auto"

    def __post_init__(self):
        check_scale(self.scale)
        check_choice("corpus", self.corpus, CORPORA)
        check_int("n_tokens", self.n_tokens, min=20)
        check_float("loss_threshold", self.loss_threshold, min=0.0, min_inclusive=False)
        if self.loss_quantile is not None:
            check_float("loss_quantile", self.loss_quantile, min=0.0, max=1.0, min_inclusive=False)
        check_choice("mode", self.mode, MODES)
        check_int("sketch_dim", self.sketch_dim, min=16)
        check_int("n_init", self.n_init, min=1)
        check_int("reference_ks", self.reference_ks, min=0)
        if self.max_ks is not None:
            check_int("max_ks", self.max_ks, min=2)
        check_int("max_tokens", self.max_tokens, min=64)
        check_int("seed", self.seed, min=0)

    def key_fields(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("device")
        return d


PRESETS = {
    "smoke": dict(n_tokens=150, reference_ks=1, max_ks=8, max_tokens=4096, loss_quantile=0.4),
    # sketched (k = 16,384: cosine error ~0.008, PERF.md) so the chapter stays a few minutes on 2 cores
    "small": dict(n_tokens=1500, mode="sketch", sketch_dim=16384, reference_ks=1, max_ks=14),
    "paper": dict(n_tokens=PAPER_N_TOKENS, max_tokens=32768),
}
#: Per-corpus changes: the small standard-library suite predicts only a few dozen test tokens below
#: 0.1 nats, so its candidates are its best-predicted 20 % instead (the threshold used is reported).
CORPUS_PRESETS = {("python-stdlib", "small"): dict(loss_quantile=0.2)}


def preset(scale: str = "small", *, corpus: str = "planted", seed: int = 0, device: str = "auto", **overrides) -> QDGConfig:
    """The configuration for ``scale`` on ``corpus``; ``overrides`` replace fields.

    ``mode="auto"`` or ``sketch_dim=None`` keep the preset's value (for notebook parameters).
    """
    check_scale(scale)
    fields = {f.name for f in dataclasses.fields(QDGConfig)}
    bad = sorted(set(overrides) - fields)
    if bad:
        raise TypeError(f"unknown QDGConfig field(s) {bad}; allowed: {sorted(fields)}")
    if overrides.get("mode") == "auto":
        overrides.pop("mode")
    if "sketch_dim" in overrides and overrides["sketch_dim"] is None:
        overrides.pop("sketch_dim")
    base = {**PRESETS[scale], **CORPUS_PRESETS.get((corpus, scale), {})}
    return QDGConfig(**{**base, "scale": scale, "corpus": corpus, "seed": seed, "device": device, **overrides})


def suite_config(cfg: QDGConfig):
    """The :mod:`quanta.lm` suite every LLM chapter uses for this corpus and scale."""
    from quanta.lm.suite import preset as lm_preset

    return lm_preset(cfg.scale, corpus=cfg.corpus, seed=cfg.seed)


@dataclass
class QDGRun:
    """Result of :func:`run_qdg`.

    Attributes
    ----------
    cfg : QDGConfig
    member : str (the suite member analysed) ; n_params : int (its tracked gradient dimension P)
    doc, pos, token : np.ndarray, shape (S,) (the selected tokens) ; skills : np.ndarray (S,) or None
    loss : np.ndarray, shape (S,) (their losses, nats)
    cosine : np.ndarray, shape (S, S)
    labels : dict K -> np.ndarray (S,) (fast solver, seed ``cfg.seed``)
    labels_seed2 : dict K -> labels (fast solver, seed ``cfg.seed + 1``) for the reference K
    reference : dict K -> (labels seed s, labels seed s+1) (scikit-learn)
    shown_k : int ; selection : dict (counts) ; timings : dict ; keys : list of cache keys
    """

    cfg: QDGConfig
    member: str
    n_params: int
    doc: np.ndarray
    pos: np.ndarray
    token: np.ndarray
    skills: np.ndarray | None
    loss: np.ndarray
    cosine: np.ndarray
    labels: dict
    labels_seed2: dict
    reference: dict
    shown_k: int
    selection: dict
    timings: dict
    keys: list

    @property
    def n_tokens(self) -> int:
        return int(self.doc.size)

    @property
    def angular(self) -> np.ndarray:
        from .similarity import angular_similarity

        return angular_similarity(self.cosine)

    def envelope(self, *, n_boot: int = 1000) -> EnvelopeResult:
        return envelope_fit(self.labels, n_boot=n_boot, seed=self.cfg.seed)


def _similarity_stage(cfg: QDGConfig, show_progress: bool):
    import torch

    from quanta.cache import memo, stage_dir
    from quanta.device import resolve
    from quanta.lm.losses import token_losses
    from quanta.lm.suite import cache_config, train_suite, test_docs

    from .params import n_dims, select_parameters
    from .samples import lm_token_loss, make_lm_batches
    from .select import select_tokens
    from .similarity import gradient_similarity

    scfg = suite_config(cfg)
    dev = resolve(cfg.device)
    key_cfg = {**cfg.key_fields(), "suite": cache_config(scfg)}

    def compute():
        t0 = time.perf_counter()
        tl = token_losses(scfg, device=str(dev), progress=show_progress).final()
        docs = test_docs(scfg)
        member_col = tl.losses.shape[1] - 1
        N = docs.tokens.size
        flat_rows = docs.offsets[tl.doc.astype(np.int64)] + tl.pos.astype(np.int64)
        loss_full = np.full(N, np.nan)
        loss_full[flat_rows] = tl.losses[:, member_col]
        member_losses = tl.losses[:, member_col]
        thr = cfg.loss_threshold if cfg.loss_quantile is None else float(np.quantile(member_losses, cfg.loss_quantile))
        probe = select_tokens(loss_full, docs.tokens, docs.offsets, 1, threshold=thr,
                              induction_filter=cfg.induction_filter)
        S = min(cfg.n_tokens, probe.n_candidates) if cfg.cap_tokens else cfg.n_tokens
        sel = select_tokens(loss_full, docs.tokens, docs.offsets, S, threshold=thr,
                            induction_filter=cfg.induction_filter)
        suite = train_suite(scfg, device=str(dev), progress=show_progress)
        model = suite.load(member_col, device=str(dev)).eval()
        specs = select_parameters(model)
        doc_list = [docs.doc(i) for i in range(docs.n_docs)]
        batches = make_lm_batches(doc_list, sel.doc_index, sel.position, max_tokens=cfg.max_tokens,
                                  max_context=scfg.context)
        sd = stage_dir("qdg.gradient_blocks", key_cfg, version=SIMILARITY_VERSION)
        amp = torch.bfloat16 if dev.type == "cuda" else None
        sim = gradient_similarity(model, specs, lm_token_loss, batches, S, mode=cfg.mode, sketch_dim=cfg.sketch_dim,
                                  seed=cfg.seed, amp_dtype=amp, store_dir=sd.path, show_progress=show_progress)
        sd.mark_complete({"n_tokens": S})
        row_of = {int(f): i for i, f in enumerate(flat_rows)}
        rows = np.array([row_of[int(f)] for f in sel.flat])
        out = {"cosine": sim.cosine, "norms": sim.norms, "doc": sel.doc_index, "pos": sel.position,
               "token": docs.tokens[sel.flat].astype(np.int64), "loss": loss_full[sel.flat],
               "member": str(tl.names[member_col]), "n_params": int(n_dims(specs)),
               "selection": {"threshold": thr, "n_low_loss": sel.n_low_loss, "n_candidates": sel.n_candidates, "step": sel.step,
                             "n_tokens": S, "n_tokens_requested": cfg.n_tokens, "n_test_tokens": int(tl.n_tokens)},
               "timings": {**sim.timings, "stage": time.perf_counter() - t0}}
        if tl.labels is not None:
            out["skills"] = tl.labels[rows].astype(np.int64)
        return out

    return memo("qdg.similarity", key_cfg, compute, version=SIMILARITY_VERSION)


def _clusters_stage(cfg: QDGConfig, sim, show_progress: bool):
    from quanta.cache import memo

    from .similarity import angular_similarity

    S = int(sim["doc"].size)
    ks = scaled_ks(S)
    shown = min(ks, key=lambda k: abs(k - PAPER_SHOWN_K * S / PAPER_N_TOKENS))
    if cfg.max_ks is not None and len(ks) > cfg.max_ks:
        ks = tuple(sorted({shown, *(ks[int(i)] for i in np.linspace(0, len(ks) - 1, cfg.max_ks - 1))}))
    nref = min(cfg.reference_ks, len(ks))
    others = [k for k in ks if k != shown]
    extra = [others[int(i)] for i in np.linspace(0, len(others) - 1, nref + 1)[1:-1]] if nref > 1 and others else []
    ref_ks = sorted({shown, *extra}) if nref else []
    key_cfg = {"n_init": cfg.n_init, "seed": cfg.seed, "ks": list(ks), "reference_ks": ref_ks}

    def compute():
        import torch

        A = angular_similarity(sim["cosine"])
        cdev = "cuda" if (cfg.device in ("auto", "cuda") and torch.cuda.is_available()) else "cpu"
        t0 = time.perf_counter()
        fast = spectral_fast(A, list(ks), seed=cfg.seed, n_init=cfg.n_init, device=cdev)
        t_fast = time.perf_counter() - t0
        fast2 = spectral_fast(A, ref_ks, seed=cfg.seed + 1, n_init=cfg.n_init, device=cdev) if ref_ks else {}
        out = {"ks": np.array(ks), "labels": np.stack([fast[k] for k in ks]), "shown_k": int(shown),
               "ref_ks": np.array(ref_ks, dtype=np.int64),
               "timings": {"fast_all_k": t_fast}}
        if ref_ks:
            out["labels_seed2"] = np.stack([fast2[k] for k in ref_ks])
            t1 = time.perf_counter()
            r1 = spectral_reference(A, ref_ks, seed=cfg.seed)
            out["timings"]["reference_per_k"] = (time.perf_counter() - t1) / len(ref_ks)
            r2 = spectral_reference(A, ref_ks, seed=cfg.seed + 1)
            out["reference"] = np.stack([r1[k] for k in ref_ks])
            out["reference_seed2"] = np.stack([r2[k] for k in ref_ks])
        return out

    return memo("qdg.clusters", key_cfg, compute, version=CLUSTERS_VERSION, inputs=[sim.key])


def run_qdg(cfg: QDGConfig, *, show_progress: bool = True) -> QDGRun:
    """Run (or load from the cache) QDG on the largest member of the suite of ``cfg``."""
    if not isinstance(cfg, QDGConfig):
        raise TypeError(f"cfg must be a QDGConfig, got {type(cfg).__name__}")
    sim = _similarity_stage(cfg, show_progress)
    cl = _clusters_stage(cfg, sim, show_progress)
    ks = [int(k) for k in cl["ks"]]
    ref_ks = [int(k) for k in cl["ref_ks"]]
    labels = {k: cl["labels"][i] for i, k in enumerate(ks)}
    labels2 = {k: cl["labels_seed2"][i] for i, k in enumerate(ref_ks)} if ref_ks else {}
    reference = {k: (cl["reference"][i], cl["reference_seed2"][i]) for i, k in enumerate(ref_ks)} if ref_ks else {}
    return QDGRun(cfg=cfg, member=sim["member"], n_params=int(sim["n_params"]), doc=sim["doc"], pos=sim["pos"],
                  token=sim["token"], skills=sim.get("skills"), loss=sim["loss"], cosine=sim["cosine"], labels=labels,
                  labels_seed2=labels2, reference=reference, shown_k=int(cl["shown_k"]), selection=sim["selection"],
                  timings={**sim["timings"], **cl["timings"]}, keys=[sim.key, cl.key])


def solver_comparison(run: QDGRun):
    """Fast vs reference solver at each compared K: ARI to planted skills (if any) and seed-to-seed ARI.

    Returns
    -------
    pandas.DataFrame
        One row per (K, solver): ``ari_truth_seed1``, ``ari_truth_seed2``, ``ari_seed_to_seed``.
    """
    import pandas as pd

    rows = []
    for k, (r1, r2) in run.reference.items():
        for name, (a, b) in (("fast (float32 eigh, 3 restarts)", (run.labels[k], run.labels_seed2[k])),
                             ("reference (scikit-learn, 30 restarts)", (r1, r2))):
            row = {"K": k, "solver": name, "ari_seed_to_seed": adjusted_rand(a, b)}
            if run.skills is not None:
                row["ari_truth_seed1"] = adjusted_rand(a, run.skills)
                row["ari_truth_seed2"] = adjusted_rand(b, run.skills)
            rows.append(row)
    return pd.DataFrame(rows)
