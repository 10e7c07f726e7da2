"""Scaling of a transformer suite on a planted language (Sections 2.2 and 4 of the paper, on ground truth).

The quantization model predicts that a network of size N has learned the n ∝ N most frequent quanta,
so that the mean loss falls as L(N) − L_∞ ∝ N^-α when quanta are used with frequencies ∝ k^-(α+1)
(α_N = α), and that a model in training learns quanta in order of frequency. On natural text neither
the quanta nor α are known. Here we train the *same* GPT-NeoX suite code as for natural text
(:mod:`quanta.lm.suite`, :mod:`quanta.lm.losses`) on planted languages with several generating α and
read the answer off the labels: per-skill losses against model size and training step (emergence),
the Spearman correlation between a skill's frequency rank and the size or step at which it is learned,
and the exponent α_N of the mean loss on labelled tokens, whose floor is known to be zero (the oracle
predicts every labelled token exactly), so no L_∞ has to be fitted.

Shapes: A generating α, M members, C checkpoints per member, K skills.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from ..fitting import PowerLawFit, fit_power_law
from ..validate import check_choice, check_float, check_int, check_scale
from .corpus import PlantedCorpus
from .language import FAMILIES, PlantedConfig

log = logging.getLogger(__name__)

STUDY_VERSION = 1
#: The paper's α_N for multitask sparse parity, by generating α, digitised from its Figure 10
#: (SPEC §2.4, ±0.003). The paper has no planted-language experiment; these are the nearest analogue.
PAPER_ALPHA_N_SPARSE_PARITY = {0.1: 0.228, 0.2: 0.283, 0.3: 0.339, 0.4: 0.378, 0.5: 0.454, 0.6: 0.503,
                               0.7: 0.571, 0.8: 0.608}
#: Loss (nats) below which a skill counts as learned: the paper's "subtask learned" threshold (SPEC §0.2).
LEARNED_NATS = 0.1


@dataclass(frozen=True)
class StudyConfig:
    """A suite of transformers trained on planted languages with several generating α.

    Parameters
    ----------
    n_skills : int
        Skills K of every language.
    alphas : tuple of float
        Generating α of the languages (one suite each), increasing.
    families : tuple of str
        Skill families (see :data:`quanta.planted.language.FAMILIES`).
    n_train_docs, n_test_docs : int
        Documents of each language's splits.
    suite_scale : {"smoke", "small", "paper"}
        Preset of :func:`quanta.lm.suite.preset` the suite starts from.
    sizes : tuple of (d_model, n_layers)
        Members, smallest first.
    head_dim : int
        Attention head width.
    steps, batch_size, context : int
        Training steps, sequences per step and sequence length of every member.
    lr : float
        Peak learning rate.
    eval_docs : int
        Test documents whose per-token losses are measured.
    threshold : float
        Skill loss (nats) under which a skill counts as learned.
    seed : int
    """

    n_skills: int = 48
    alphas: tuple = (0.3, 0.6, 1.0)
    families: tuple = FAMILIES
    n_train_docs: int = 20_000
    n_test_docs: int = 600
    suite_scale: str = "small"
    sizes: tuple = ((16, 1), (32, 1), (48, 1), (64, 2), (96, 2))
    head_dim: int = 16
    steps: int = 1500
    batch_size: int = 32
    context: int = 128
    lr: float = 3e-3
    eval_docs: int = 600
    threshold: float = LEARNED_NATS
    seed: int = 0

    def __post_init__(self):
        check_int("n_skills", self.n_skills, min=2, max=20_000)
        if not isinstance(self.alphas, tuple) or len(self.alphas) < 1:
            raise TypeError(f"alphas={self.alphas!r} must be a non-empty tuple of floats")
        for a in self.alphas:
            check_float("alphas", a, min=0.0, max=5.0, min_inclusive=False)
        if list(self.alphas) != sorted(set(self.alphas)):
            raise ValueError(f"alphas={self.alphas!r} must be strictly increasing")
        check_scale(self.suite_scale)
        check_int("eval_docs", self.eval_docs, min=1, max=self.n_test_docs)
        check_float("threshold", self.threshold, min=0.0, min_inclusive=False)
        for name in ("steps", "batch_size", "context", "head_dim"):
            check_int(name, getattr(self, name), min=1)
        check_float("lr", self.lr, min=0.0, max=1.0, min_inclusive=False)
        self.language(self.alphas[0])  # validates the language fields
        self.suite(self.alphas[0], corpus=False)  # validates the suite fields

    @property
    def alpha_main(self) -> float:
        """The α whose suite the emergence figures show (the middle one)."""
        return self.alphas[len(self.alphas) // 2]

    def language(self, alpha: float) -> PlantedConfig:
        """The planted language with generating ``alpha``."""
        return PlantedConfig(n_skills=self.n_skills, alpha=float(alpha), families=self.families,
                             n_train_docs=self.n_train_docs, n_test_docs=self.n_test_docs, seed=self.seed)

    def suite(self, alpha: float, *, corpus: bool = True):
        """The :class:`quanta.lm.suite.SuiteConfig` trained on the language with ``alpha``."""
        from ..lm import suite as lm_suite

        c = PlantedCorpus(self.language(alpha)) if corpus else "planted"
        return lm_suite.preset(self.suite_scale, corpus=c, seed=self.seed, sizes=self.sizes, head_dim=self.head_dim,
                               steps=self.steps, batch_size=self.batch_size, context=self.context, lr=self.lr,
                               eval_docs=self.eval_docs, train_tokens=None, n_checkpoints=8)


#: Candidate `small` studies compared by ``benchmarks/planted_pilot.py`` on one GPU (overrides of the
#: :class:`StudyConfig` defaults; each names every field that any of them changes). Their frozen
#: artifacts are committed, and :func:`pilot_table` shows them side by side on the chapter page.
PILOTS = {
    "k48": dict(n_skills=48, sizes=((16, 1), (32, 1), (48, 1), (64, 2), (96, 2)), steps=1500,
                n_train_docs=20_000, n_test_docs=600, eval_docs=600),
    "k150": dict(n_skills=150, sizes=((16, 1), (32, 1), (48, 1), (64, 2), (96, 2), (128, 2)), steps=2000,
                 n_train_docs=30_000, n_test_docs=1200, eval_docs=1200),
    "k400": dict(n_skills=400, sizes=((16, 1), (32, 1), (48, 1), (64, 2), (96, 2), (128, 3)), steps=3000,
                 n_train_docs=60_000, n_test_docs=2000, eval_docs=2000),
}
#: The pilot that became the ``small`` preset.
SMALL_PILOT = "k400"

PRESETS = {
    # seconds on a CPU: a pipeline check, not science
    "smoke": dict(n_skills=12, alphas=(0.3, 0.6, 1.0), n_train_docs=128, n_test_docs=24, suite_scale="smoke",
                  sizes=((16, 1), (32, 1)), steps=12, batch_size=8, context=64, eval_docs=24),
    # One H100 for about four minutes (the three α in parallel; hours on two CPU cores), frozen in
    # results/. Chosen among the PILOTS by benchmarks/planted_pilot.py: with K = 48 the two largest
    # members had learned every skill they would learn (equal mean labelled loss at α = 0.3) and the α_N
    # intervals were up to ±0.4 wide; with K = 150 the fits were loose (R² 0.83–0.94). K = 400 with six
    # members over 2.25 decades and 3,000 steps on 60,000 documents keeps the largest member learning
    # (about 60 % of the skills present in the test split at α = 0.6; the smallest learned one), gives
    # R² ≥ 0.95 at every α, the tightest α_N intervals (±0.13 at α = 0.6 and 1), and learning-order
    # correlations with p < 1e-4.
    "small": dict(PILOTS[SMALL_PILOT]),
    # GPU: more skills, more members, longer training
    "paper": dict(n_skills=1000, alphas=(0.2, 0.4, 0.6, 0.8, 1.0), n_train_docs=200_000, n_test_docs=4_000,
                  suite_scale="paper", sizes=((16, 1), (32, 1), (48, 1), (64, 2), (96, 2), (128, 3), (192, 3)),
                  steps=6000, batch_size=64, context=256, lr=2e-3, eval_docs=4_000),
}


def preset(scale: str = "small", *, seed: int = 0, device: str = "auto", **overrides) -> StudyConfig:
    """The study at ``scale`` (``smoke``, ``small``, ``paper``); ``overrides`` replace fields.

    ``device`` is accepted for the notebook's convenience and validated, but is not part of the config.
    """
    check_scale(scale)
    from ..device import resolve

    resolve(device)
    fields = {f.name for f in dataclasses.fields(StudyConfig)}
    bad = sorted(set(overrides) - fields)
    if bad:
        raise TypeError(f"unknown StudyConfig field(s) {bad}; allowed: {sorted(fields)}")
    return StudyConfig(**{**PRESETS[scale], "seed": seed, **overrides})


# --------------------------------------------------------------------------------------------------
# Running the suites and reducing per-token losses to per-skill losses
# --------------------------------------------------------------------------------------------------

def skill_losses(losses: np.ndarray, labels: np.ndarray, n_skills: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean loss of each skill's tokens in every column.

    Parameters
    ----------
    losses : np.ndarray, shape (T, C)
        Per-token losses (nats) of C models.
    labels : np.ndarray, shape (T,)
        Skill of each token (``-1`` none).
    n_skills : int

    Returns
    -------
    mean : np.ndarray, shape (C, K)
        NaN for skills without a token.
    count : np.ndarray, shape (K,)
        Tokens of each skill.
    """
    losses = np.asarray(losses, dtype=np.float64)
    labels = np.asarray(labels)
    if losses.ndim != 2 or labels.shape != (losses.shape[0],):
        raise ValueError(f"losses must be (T, C) and labels (T,), got {losses.shape} and {labels.shape}")
    sel = labels >= 0
    count = np.bincount(labels[sel], minlength=n_skills)
    sums = np.zeros((losses.shape[1], n_skills))
    np.add.at(sums.T, labels[sel], losses[sel])
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / np.where(count > 0, count, np.nan), count


def _run_alpha(cfg: StudyConfig, alpha: float, device: str, progress: bool) -> dict:
    from ..lm.losses import token_losses

    from ..lm.suite import train_suite

    scfg = cfg.suite(alpha)
    # members this small train faster eagerly than through torch.compile (one compile per member)
    train_suite(scfg, device=device, compile=False, progress=progress)
    tl = token_losses(scfg, checkpoints=True, device=device, progress=progress)
    names = list(dict.fromkeys(tl.names))  # members in column order
    order = sorted(names, key=lambda n: tl.n_params[tl.names.index(n)])
    steps = np.array(sorted(set(int(s) for s in tl.steps)))
    cols = np.full((len(order), len(steps)), -1)
    for j, (n, s) in enumerate(zip(tl.names, tl.steps)):
        cols[order.index(n), int(np.searchsorted(steps, s))] = j
    if (cols < 0).any():
        raise ValueError("every member must have a checkpoint at every step")
    lab = tl.labels
    per, count = skill_losses(tl.losses, lab, cfg.n_skills)
    L = tl.losses.astype(np.float64)
    labelled = lab >= 0
    return {"skill_loss": per[cols], "skill_count": count,
            "mean_labelled": L[labelled].mean(0)[cols], "mean_unlabelled": L[~labelled].mean(0)[cols],
            "mean_all": L.mean(0)[cols], "n_params": np.array([tl.n_params[tl.names.index(n)] for n in order]),
            "steps": steps, "names": np.array(order), "n_tokens": int(L.shape[0]), "n_labelled": int(labelled.sum())}


@dataclass(frozen=True)
class StudyResult:
    """Per-skill losses of suites trained on planted languages.

    Attributes
    ----------
    cfg : StudyConfig
    alphas : np.ndarray, shape (A,)
    n_params : np.ndarray, shape (M,)
        Non-embedding parameters of the members.
    steps : np.ndarray, shape (C,)
        Checkpoint steps.
    skill_loss : np.ndarray, shape (A, M, C, K)
        Mean loss (nats) of each skill's test tokens.
    skill_count : np.ndarray, shape (A, K)
        Test tokens of each skill.
    mean_labelled, mean_unlabelled, mean_all : np.ndarray, shape (A, M, C)
        Mean loss over labelled, unlabelled and all test tokens.
    probs : np.ndarray, shape (A, K)
        Generating skill frequencies.
    family : np.ndarray of str, shape (K,)
    """

    cfg: StudyConfig
    alphas: np.ndarray
    n_params: np.ndarray
    steps: np.ndarray
    skill_loss: np.ndarray
    skill_count: np.ndarray
    mean_labelled: np.ndarray
    mean_unlabelled: np.ndarray
    mean_all: np.ndarray
    probs: np.ndarray
    family: np.ndarray
    key: str = ""

    def index(self, alpha: float) -> int:
        """Position of ``alpha`` in :attr:`alphas`."""
        check_choice("alpha", float(alpha), [float(a) for a in self.alphas])
        return int(np.flatnonzero(np.isclose(self.alphas, alpha))[0])

    # -------------------------------------------------------------- scaling exponents
    def alpha_n_fits(self, *, n_boot: int = 1000) -> list[PowerLawFit]:
        """Fit of the final mean labelled loss vs N for each α (L_∞ = 0: the oracle is exact)."""
        return [fit_power_law(self.n_params, self.mean_labelled[a, :, -1], n_boot=n_boot, seed=self.cfg.seed)
                for a in range(len(self.alphas))]

    # -------------------------------------------------------------- emergence
    def learned_size(self, alpha: float) -> np.ndarray:
        """(K,) index of the smallest member whose final loss on the skill is under the threshold
        (M where no member learned it, -1 where the skill has no test token)."""
        a = self.index(alpha)
        below = self.skill_loss[a, :, -1, :] < self.cfg.threshold  # (M, K)
        return self._first(below, self.skill_count[a])

    def learned_step(self, alpha: float, member: int = -1) -> np.ndarray:
        """(K,) index of the first checkpoint of ``member`` with skill loss under the threshold
        (C where never, -1 where the skill has no test token)."""
        a = self.index(alpha)
        below = self.skill_loss[a, member, :, :] < self.cfg.threshold  # (C, K)
        return self._first(below, self.skill_count[a])

    @staticmethod
    def _first(below: np.ndarray, count: np.ndarray) -> np.ndarray:
        first = np.where(below.any(0), below.argmax(0), below.shape[0])
        return np.where(count > 0, first, -1)

    def order_correlation(self, alpha: float, *, by: str = "size") -> tuple[float, float, int]:
        """Spearman correlation between a skill's frequency rank and when it is learned.

        Parameters
        ----------
        by : {"size", "step"}
            Smallest member (final checkpoints) or first checkpoint of the largest member.

        Returns
        -------
        rho, p_value, n_skills
            Over skills with test tokens; skills never learned share the last rank. A positive ρ means
            frequent skills are learned by smaller models (or earlier).
        """
        from scipy.stats import spearmanr

        check_choice("by", by, ("size", "step"))
        first = self.learned_size(alpha) if by == "size" else self.learned_step(alpha)
        ok = first >= 0
        if ok.sum() < 3 or np.unique(first[ok]).size < 2:
            return float("nan"), float("nan"), int(ok.sum())
        r = spearmanr(np.arange(first.size)[ok], first[ok])
        return float(r.statistic), float(r.pvalue), int(ok.sum())

    def family_losses(self, alpha: float) -> dict:
        """``{family: (M,) mean final loss over its skills' tokens}`` for the suite with ``alpha``."""
        a = self.index(alpha)
        out = {}
        for f in self.cfg.families:
            m = (self.family == f) & (self.skill_count[a] > 0)
            w = self.skill_count[a][m]
            out[f] = (self.skill_loss[a, :, -1][:, m] * w).sum(1) / w.sum() if w.sum() else np.full(len(self.n_params), np.nan)
        return out

    def to_dict(self) -> dict:
        return {"alphas": self.alphas, "n_params": self.n_params, "steps": self.steps, "skill_loss": self.skill_loss,
                "skill_count": self.skill_count, "mean_labelled": self.mean_labelled,
                "mean_unlabelled": self.mean_unlabelled, "mean_all": self.mean_all, "probs": self.probs,
                "family": self.family.astype(str)}


def run_study(cfg: StudyConfig, *, device: str = "auto", progress: bool = True) -> StudyResult:
    """Train (or reuse) one suite per generating α and reduce its per-token losses to per-skill losses.

    Cached in stage ``planted.study`` (the suites and their losses are cached by :mod:`quanta.lm`).
    """
    from ..cache import key as cache_key
    from ..cache import memo

    if not isinstance(cfg, StudyConfig):
        raise TypeError(f"cfg must be a StudyConfig, got {type(cfg).__name__}")

    def compute():
        runs = [_run_alpha(cfg, a, device, progress) for a in cfg.alphas]
        for r in runs[1:]:
            if not (np.array_equal(r["n_params"], runs[0]["n_params"]) and np.array_equal(r["steps"], runs[0]["steps"])):
                raise ValueError("suites of different α must share members and checkpoints")
        stack = {k: np.stack([r[k] for r in runs]) for k in ("skill_loss", "skill_count", "mean_labelled",
                                                             "mean_unlabelled", "mean_all")}
        from .language import Language

        langs = [Language(cfg.language(a)) for a in cfg.alphas]
        return {**stack, "alphas": np.array(cfg.alphas, dtype=float), "n_params": runs[0]["n_params"],
                "steps": runs[0]["steps"], "probs": np.stack([l.probs for l in langs]),
                "family": langs[0].skill_family.astype(str),
                "n_tokens": [r["n_tokens"] for r in runs], "n_labelled": [r["n_labelled"] for r in runs]}

    out = memo("planted.study", cfg, compute, version=STUDY_VERSION)
    return result_from_dict(cfg, out, key=cache_key("planted.study", cfg, version=STUDY_VERSION))


def result_from_dict(cfg: StudyConfig, d: dict, *, key: str = "") -> StudyResult:
    """Rebuild a :class:`StudyResult` from :meth:`StudyResult.to_dict` arrays (cache or frozen artifact)."""
    return StudyResult(cfg=cfg, alphas=np.asarray(d["alphas"], float), n_params=np.asarray(d["n_params"]),
                       steps=np.asarray(d["steps"]), skill_loss=np.asarray(d["skill_loss"], float),
                       skill_count=np.asarray(d["skill_count"]), mean_labelled=np.asarray(d["mean_labelled"], float),
                       mean_unlabelled=np.asarray(d["mean_unlabelled"], float), mean_all=np.asarray(d["mean_all"], float),
                       probs=np.asarray(d["probs"], float), family=np.asarray(d["family"]).astype(str), key=key)


# --------------------------------------------------------------------------------------------------
# Frozen results (GPU runs), language statistics and the chapter's summary numbers
# --------------------------------------------------------------------------------------------------

def artifact_name(cfg: StudyConfig) -> str:
    """Name of the frozen artifact of ``cfg`` under ``results/`` (one per scale-sized config)."""
    from ..cache import key as cache_key

    return f"planted_quanta-{cache_key('planted.study', cfg, version=STUDY_VERSION)[:12]}"


def study(cfg: StudyConfig, *, device: str = "auto", progress: bool = True) -> tuple[StudyResult, str]:
    """The study's result from its frozen artifact if one was committed for exactly ``cfg``, else run it.

    Returns
    -------
    result : StudyResult
    source : str
        ``"artifact <name>"`` or ``"computed"``.
    """
    from ..artifacts import has_artifact, load_artifact

    name = artifact_name(cfg)
    if has_artifact(name):
        arrays, manifest = load_artifact(name)
        return result_from_dict(cfg, arrays, key=name), f"artifact {name} ({manifest.get('device', '?')})"
    return run_study(cfg, device=device, progress=progress), "computed"


def freeze_study(cfg: StudyConfig, *, device: str = "auto", command: str = "", base=None) -> str:
    """Run the study (on a GPU, typically) and write it as a frozen artifact ``<base>/<artifact_name>/``.

    Parameters
    ----------
    cfg : StudyConfig
    device : str
        Where to train and evaluate (``auto``, ``cpu``, ``cuda``...).
    command : str
        The one command that regenerates the artifact (recorded in its manifest).
    base : path, optional
        Folder that receives the artifact (default: ``results/``).

    Returns
    -------
    str
        The artifact's name.
    """
    import os
    import time

    from ..artifacts import write_artifact
    from ..cache import canonical
    from ..device import describe

    if not isinstance(cfg, StudyConfig):
        raise TypeError(f"cfg must be a StudyConfig, got {type(cfg).__name__}")
    t = time.time()
    res = run_study(cfg, device=device, progress=False)
    fits = res.alpha_n_fits()
    meta = {"config": canonical(cfg), "wall_s": time.time() - t,
            "alpha_n": {str(a): f.as_dict() for a, f in zip(cfg.alphas, fits)},
            "summary": summary(res, fits), "members": _member_records(cfg, device)}
    if os.environ.get("QUANTA_SOURCE_COMMIT"):  # the checkout's commit when the tree travels without .git
        meta["source_commit"] = os.environ["QUANTA_SOURCE_COMMIT"]
    write_artifact(artifact_name(cfg), res.to_dict(), meta, command=command or "python -m quanta.planted freeze",
                   device=describe(device), base=base)
    return artifact_name(cfg)


def _member_records(cfg: StudyConfig, device: str) -> dict:
    """``{alpha: [member record without its curve]}`` (training wall time, tokens/s...) from the suite cache."""
    from ..lm.suite import train_suite

    out = {}
    for a in cfg.alphas:
        recs = train_suite(cfg.suite(a), device=device, progress=False).members  # trained: loads the records
        out[f"{a:g}"] = [{k: r.get(k) for k in ("name", "non_embedding", "train_s", "tokens_per_s", "epochs",
                                                 "final_train_loss", "device")} for r in recs]
    return out


def pilot_config(name: str, *, seed: int = 0) -> StudyConfig:
    """The study of pilot ``name`` (a key of :data:`PILOTS`)."""
    check_choice("name", name, sorted(PILOTS))
    return StudyConfig(**{**PRESETS["small"], **PILOTS[name], "seed": seed})


def pilot_table(*, seed: int = 0, n_boot: int = 1000) -> list[dict]:
    """One row per pilot whose frozen artifact is committed: the numbers the ``small`` preset was chosen on.

    Columns: skills K, members and their N range, steps, skills learned (final loss under the threshold)
    by the smallest and largest member out of those with test tokens at the middle α, α_N with its
    interval at every α, the smallest R², and the Spearman ρ of learning order (by size) at the middle α.
    """
    from ..artifacts import has_artifact, load_artifact
    from ..report import fmt_ci

    rows = []
    for name in PILOTS:
        cfg = pilot_config(name, seed=seed)
        art = artifact_name(cfg)
        if not has_artifact(art):
            continue
        res = result_from_dict(cfg, load_artifact(art)[0], key=art)
        fits = res.alpha_n_fits(n_boot=n_boot)
        am = cfg.alpha_main
        a = res.index(am)
        learned = (res.skill_loss[a, :, -1] < cfg.threshold).sum(-1)
        rho, p, _ = res.order_correlation(am, by="size")
        row = {"pilot": name + (" (small)" if name == SMALL_PILOT else ""), "K": cfg.n_skills,
               "members (N)": f"{len(res.n_params)}: {res.n_params[0]:,}–{res.n_params[-1]:,}", "steps": cfg.steps,
               f"learned at α = {am:g} (smallest / largest / present)":
                   f"{learned[0]} / {learned[-1]} / {int((res.skill_count[a] > 0).sum())}"}
        for al, f in zip(res.alphas, fits):
            row[f"α_N at α = {al:g}"] = fmt_ci(f.exponent, f.exponent_ci, digits=2)
        row["min R²"] = f"{min(f.r2 for f in fits):.2f}"
        row[f"ρ (size) at α = {am:g}"] = f"{rho:.2f} (p = {p:.0e})"
        rows.append(row)
    return rows


def paper_alpha_n(alpha: float) -> float | str:
    """The paper's multitask-sparse-parity α_N at ``alpha`` (:data:`PAPER_ALPHA_N_SPARSE_PARITY`), or "–"."""
    for a, v in PAPER_ALPHA_N_SPARSE_PARITY.items():
        if abs(a - alpha) < 1e-9:
            return v
    return "–"


def segment_counts(cfg: StudyConfig, n_docs: int = 2000) -> tuple[list, list]:
    """Segments of each skill in ``n_docs`` generated documents, and the generating p_k, per α.

    Returns
    -------
    counts, probs : lists of np.ndarray, shape (K,) each, one per α
    """
    from .language import Language

    check_int("n_docs", n_docs, min=1)
    counts, probs = [], []
    for a in cfg.alphas:
        lang = Language(cfg.language(a))
        ids, _, _ = lang.sample_tokens(n_docs, seed=cfg.seed)
        trig = ids[ids >= lang.vocab.trigger0] - lang.vocab.trigger0
        counts.append(np.bincount(trig, minlength=cfg.n_skills))
        probs.append(lang.probs)
    return counts, probs


def zipf_gof(counts: np.ndarray, probs: np.ndarray) -> float:
    """p-value of a chi-square goodness-of-fit test of skill counts (K,) against frequencies (K,),
    pooling skills expected fewer than 5 times into one cell."""
    from scipy.stats import chisquare

    counts = np.asarray(counts, float)
    exp = np.asarray(probs, float) * counts.sum()
    keep = exp >= 5
    if (~keep).any():
        counts, exp = np.append(counts[keep], counts[~keep].sum()), np.append(exp[keep], exp[~keep].sum())
    return float(chisquare(counts, exp).pvalue)


def summary(result: StudyResult, fits: list[PowerLawFit]) -> dict:
    """Scalars of the chapter: α_N per α with intervals, order correlations, skills learned."""
    out = {}
    for a, f in zip(result.alphas, fits):
        tag = f"{a:g}".replace(".", "")
        out[f"alphaN_{tag}"] = f.exponent
        out[f"alphaN_{tag}_lo"], out[f"alphaN_{tag}_hi"] = f.exponent_ci
        out[f"alphaN_{tag}_r2"] = f.r2
    am = result.cfg.alpha_main
    for by in ("size", "step"):
        rho, p, n = result.order_correlation(am, by=by)
        out[f"rho_{by}"], out[f"rho_{by}_p"], out[f"rho_{by}_n"] = rho, p, n
    a = result.index(am)
    out["learned_largest"] = int((result.skill_loss[a, -1, -1] < result.cfg.threshold).sum())
    out["learned_smallest"] = int((result.skill_loss[a, 0, -1] < result.cfg.threshold).sum())
    slope_err = np.array([f.exponent - al for f, al in zip(fits, result.alphas)])
    out["alphaN_mean_abs_err"] = float(np.abs(slope_err).mean())
    if len(fits) >= 2:
        out["alphaN_vs_alpha_slope"] = float(np.polyfit(result.alphas, [f.exponent for f in fits], 1)[0])
    return out
