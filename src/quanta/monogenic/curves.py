"""Per-token scaling curves: the monogenic / polygenic criteria and a breakthroughness score.

Paper §4.2 (Figures 4 and 12; selection rules in the authors' ``diverse-scaling-examples`` notebook).
If a token is predicted by a single quantum, its loss stays high in every model that lacks that quantum
and collapses in every model that has it: a step in model size (*monogenic*). If many quanta each shave
off a little, the loss falls smoothly, roughly linearly in ln N (*polygenic*). The paper makes both
operational on a (tokens × models) loss array in nats: monogenic at size index j when the loss is above
5.0 nats for every model smaller than j and below 0.3 nats for every model at or above j; polygenic when
the least-squares slope of loss against ln N is below −0.3 nats per e-fold with R² above 0.98. The two
classes are the ends of a spectrum, so this module also scores every token continuously: the share of
its total loss decrease that happens between one pair of adjacent model sizes.

All functions are vectorised over tokens. Shapes: ``losses`` is ``(T, M)`` (T tokens, M models ordered
by increasing size), ``sizes`` is ``(M,)`` non-embedding parameter counts.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from quanta.validate import check_float, check_int

log = logging.getLogger(__name__)

__all__ = [
    "LN2", "PAPER_MONO_HIGH_NATS", "PAPER_MONO_LOW_NATS", "PAPER_POLY_SLOPE_NATS", "PAPER_POLY_R2",
    "PAPER_SIZES", "PAPER_MEAN_LOSS_BITS", "Criteria", "paper_criteria", "paper_loss_scale",
    "suite_loss_scale", "rescaled_criteria", "token_curves", "loglinear_fit", "monogenic_index",
    "breakthroughness", "TokenClasses", "classify", "summary", "synthetic_curves",
]

LN2 = float(np.log(2.0))

#: Paper thresholds, in nats (SPEC §3.5; the paper's stored losses are nats, plots are in bits).
PAPER_MONO_HIGH_NATS = 5.0
PAPER_MONO_LOW_NATS = 0.3
PAPER_POLY_SLOPE_NATS = -0.3
PAPER_POLY_R2 = 0.98

#: Pythia v0 non-embedding parameter counts of the 7 models the paper uses (SPEC §3.1).
PAPER_SIZES = (18_915_328, 85_056_000, 302_311_424, 805_736_448,
               1_208_602_624, 2_517_652_480, 6_444_163_072)
#: Pythia mean test loss in bits per model (SPEC §3.3, read off the committed Figure 3 PNG, ±0.02 bits).
PAPER_MEAN_LOSS_BITS = (4.21, 3.67, 3.30, 3.08, 2.98, 2.80, 2.69)


@dataclass(frozen=True)
class Criteria:
    """Thresholds of the monogenic / polygenic selection, all in nats.

    Parameters
    ----------
    mono_high : float
        Loss every model *below* the drop size must exceed.
    mono_low : float
        Loss every model *at or above* the drop size must stay under.
    poly_slope : float
        Slope of loss against ln N (nats per e-fold of parameters) a polygenic token must fall below.
    poly_r2 : float
        Coefficient of determination of that linear fit a polygenic token must exceed.
    min_drop : float
        Net loss decrease (smallest minus largest model) below which a token gets no
        breakthroughness score: its curve is flat or noise, there is no drop to attribute.
    source : str
        Where the numbers come from (``"paper"`` or ``"rescaled"``), for tables and provenance.
    """

    mono_high: float = PAPER_MONO_HIGH_NATS
    mono_low: float = PAPER_MONO_LOW_NATS
    poly_slope: float = PAPER_POLY_SLOPE_NATS
    poly_r2: float = PAPER_POLY_R2
    min_drop: float = (PAPER_MEAN_LOSS_BITS[0] - PAPER_MEAN_LOSS_BITS[-1]) * LN2
    source: str = "paper"

    def __post_init__(self):
        check_float("mono_high", self.mono_high, min=0.0, min_inclusive=False)
        check_float("mono_low", self.mono_low, min=0.0, min_inclusive=False)
        if not self.mono_low < self.mono_high:
            raise ValueError(
                f"mono_low must be below mono_high, got mono_low={self.mono_low!r}, "
                f"mono_high={self.mono_high!r}")
        check_float("poly_slope", self.poly_slope, max=0.0)
        check_float("poly_r2", self.poly_r2, min=0.0, max=1.0)
        check_float("min_drop", self.min_drop, min=0.0)


def paper_criteria() -> Criteria:
    """The paper's thresholds (SPEC §3.5), with ``min_drop`` = Pythia's mean-loss drop across the suite."""
    return Criteria()


def _loglinear_slope(y: np.ndarray, x: np.ndarray) -> float:
    xc = x - x.mean()
    return float(xc @ (y - y.mean()) / (xc @ xc))


def paper_loss_scale() -> dict:
    """Pythia's loss scale behind the paper's thresholds (SPEC §3.1, §3.3), in nats.

    Returns
    -------
    dict
        ``first`` and ``last`` mean loss (smallest / largest model), ``slope`` of mean loss against ln N,
        ``drop`` = first − last.
    """
    mean = np.asarray(PAPER_MEAN_LOSS_BITS) * LN2
    x = np.log(np.asarray(PAPER_SIZES, dtype=float))
    return {"first": float(mean[0]), "last": float(mean[-1]),
            "slope": _loglinear_slope(mean, x), "drop": float(mean[0] - mean[-1])}


def suite_loss_scale(losses, sizes) -> dict:
    """The same loss scale as :func:`paper_loss_scale`, measured on our suite.

    Parameters
    ----------
    losses : array_like, shape (T, M)
        Per-token losses in nats.
    sizes : array_like, shape (M,)
        Non-embedding parameter counts.
    """
    losses, sizes = token_curves(losses, sizes)
    mean = losses.mean(axis=0)
    return {"first": float(mean[0]), "last": float(mean[-1]),
            "slope": _loglinear_slope(mean, np.log(sizes)), "drop": float(mean[0] - mean[-1])}


def rescaled_criteria(losses, sizes, *, reference: Criteria | None = None) -> Criteria:
    """Translate the paper's thresholds to our suite's loss scale.

    Each threshold keeps its meaning relative to the suite's own mean-loss curve, measured on Pythia
    from the paper's numbers (SPEC §3.3) and on ours from ``losses``:

    * ``mono_high`` scales with the smallest model's mean loss (paper: 5.0 nats ≈ 1.7× Pythia-19m's
      mean loss): "much worse than the average token before the drop";
    * ``mono_low`` scales with the largest model's mean loss (0.3 nats ≈ 0.16× Pythia-6.4b's mean):
      "essentially solved after the drop";
    * ``poly_slope`` scales with the slope of the mean loss against ln N (−0.3 ≈ 1.6× Pythia's mean
      slope): "improving faster than the average token";
    * ``poly_r2`` is kept (it is dimensionless);
    * ``min_drop`` is the suite's mean-loss drop from smallest to largest model.

    Parameters
    ----------
    losses : array_like, shape (T, M)
        Per-token losses in nats.
    sizes : array_like, shape (M,)
        Non-embedding parameter counts.
    reference : Criteria, optional
        Thresholds on the Pythia scale to translate; default the paper's.

    Returns
    -------
    Criteria
        With ``source="rescaled"``. If the suite's mean loss does not decrease with size (an undertrained pipeline check), the
        slope and the drop are scaled by the loss level of the smallest model instead and ``source``
        says ``"rescaled (level only)"``.

    Raises
    ------
    ValueError
        If a mean loss is not positive.
    """
    reference = paper_criteria() if reference is None else reference
    ours, paper = suite_loss_scale(losses, sizes), paper_loss_scale()
    if not (ours["first"] > 0 and ours["last"] > 0):
        raise ValueError("losses: the suite's mean loss must be positive to rescale the criteria, got "
                         f"{ours['first']:.4g} (smallest model) and {ours['last']:.4g} (largest)")
    if ours["slope"] < 0 and ours["drop"] > 0:
        slope_factor, drop, source = ours["slope"] / paper["slope"], ours["drop"], "rescaled"
    else:
        # an undertrained suite whose mean loss does not improve with size has no slope scale:
        # fall back to the loss level of the smallest model for the slope and the drop
        log.warning("mean loss does not decrease with size (slope %.3g nats per e-fold); rescaling the "
                    "polygenic slope by the loss level only", ours["slope"])
        slope_factor = ours["first"] / paper["first"]
        drop, source = reference.min_drop * slope_factor, "rescaled (level only)"
    return dataclasses.replace(
        reference,
        mono_high=reference.mono_high * ours["first"] / paper["first"],
        mono_low=reference.mono_low * ours["last"] / paper["last"],
        poly_slope=reference.poly_slope * slope_factor,
        min_drop=drop,
        source=source,
    )


def token_curves(losses, sizes) -> tuple[np.ndarray, np.ndarray]:
    """Validate a per-token loss array and order its columns by model size.

    Parameters
    ----------
    losses : array_like, shape (T, M)
        Per-token losses in nats, one column per model.
    sizes : array_like, shape (M,)
        Model sizes (non-embedding parameters), positive and distinct.

    Returns
    -------
    losses : ndarray, shape (T, M), float64
        Columns sorted by increasing size.
    sizes : ndarray, shape (M,), float64
        Sorted sizes.
    """
    losses = np.asarray(losses, dtype=float)
    sizes = np.asarray(sizes, dtype=float)
    if sizes.ndim != 1 or sizes.size < 3:
        raise ValueError(f"sizes must be a 1-d array of at least 3 model sizes, got shape {sizes.shape}")
    if not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise ValueError(f"sizes must be positive and finite, got {sizes.tolist()}")
    if np.unique(sizes).size != sizes.size:
        raise ValueError(f"sizes must be distinct, got {sizes.tolist()}")
    if losses.ndim != 2 or losses.shape[1] != sizes.size:
        raise ValueError(
            f"losses must have shape (T, {sizes.size}) to match sizes, got {losses.shape}")
    if not np.all(np.isfinite(losses)):
        raise ValueError("losses must be finite (nats), found NaN or inf")
    order = np.argsort(sizes)
    return losses[:, order], sizes[order]


def loglinear_fit(losses, sizes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares line of loss against ln N for every token at once.

    Parameters
    ----------
    losses : array_like, shape (T, M)
        Per-token losses in nats.
    sizes : array_like, shape (M,)
        Model sizes.

    Returns
    -------
    slope : ndarray, shape (T,)
        Nats per e-fold of parameters.
    intercept : ndarray, shape (T,)
        Loss at N = 1.
    r2 : ndarray, shape (T,)
        Coefficient of determination; 0 for a perfectly flat curve.
    """
    losses, sizes = token_curves(losses, sizes)
    x = np.log(sizes)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    ymean = losses.mean(axis=1)
    slope = (losses @ xc) / sxx
    intercept = ymean - slope * x.mean()
    sst = ((losses - ymean[:, None]) ** 2).sum(axis=1)
    ssr = slope ** 2 * sxx
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(sst > 0, np.minimum(ssr / np.where(sst > 0, sst, 1.0), 1.0), 0.0)
    return slope, intercept, r2


def monogenic_index(losses, high: float, low: float) -> np.ndarray:
    """Size index of the single drop, per token (the paper's monogenic rule).

    Token t is monogenic at j (1 ≤ j ≤ M−1) when ``losses[t, :j] > high`` and ``losses[t, j:] < low``.
    Because ``low < high`` at most one j qualifies.

    Parameters
    ----------
    losses : array_like, shape (T, M)
        Per-token losses in nats, columns ordered by increasing size.
    high, low : float
        The two thresholds (nats), ``low < high``.

    Returns
    -------
    ndarray, shape (T,), int
        j, or −1 where the token is not monogenic.
    """
    check_float("high", high)
    check_float("low", low)
    if not low < high:
        raise ValueError(f"low must be below high, got low={low!r}, high={high!r}")
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 2 or losses.shape[1] < 2:
        raise ValueError(f"losses must have shape (T, M) with M >= 2, got {losses.shape}")
    prefix_min = np.minimum.accumulate(losses, axis=1)               # min over models < j+1
    suffix_max = np.maximum.accumulate(losses[:, ::-1], axis=1)[:, ::-1]  # max over models >= j
    ok = (prefix_min[:, :-1] > high) & (suffix_max[:, 1:] < low)     # column j-1 <-> drop at j
    return np.where(ok.any(axis=1), ok.argmax(axis=1) + 1, -1)


def breakthroughness(losses, *, min_drop: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of a token's loss decrease that happens between one pair of adjacent sizes.

    With decrements d_m = L_m − L_{m+1} (m = 0 … M−2) and their positive parts d_m⁺,

        b = max_m d_m⁺ / Σ_m d_m⁺  ∈ [1/(M−1), 1].

    b = 1 for a pure step (one quantum), b = 1/(M−1) for a curve that falls by the same amount between
    every pair of sizes (on a geometric ladder: linear in ln N, the polygenic ideal). Positive parts make
    the score ignore the bumps of a noisy curve going up; the score is invariant to adding a constant
    to the curve and to scaling it by a positive factor. Tokens whose net decrease L_0 − L_{M−1} is
    below ``min_drop`` (flat or noise-dominated curves) get NaN.

    Parameters
    ----------
    losses : array_like, shape (T, M)
        Per-token losses in nats, columns ordered by increasing size.
    min_drop : float
        Net decrease (nats) needed for a score.

    Returns
    -------
    score : ndarray, shape (T,)
        Breakthroughness, NaN where undefined.
    gap : ndarray, shape (T,), int
        m of the largest decrement: the drop happens between sizes m and m+1.
    net_drop : ndarray, shape (T,)
        L_0 − L_{M−1} in nats.
    """
    check_float("min_drop", min_drop, min=0.0)
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 2 or losses.shape[1] < 2:
        raise ValueError(f"losses must have shape (T, M) with M >= 2, got {losses.shape}")
    dec = np.clip(losses[:, :-1] - losses[:, 1:], 0.0, None)  # (T, M-1)
    total = dec.sum(axis=1)
    net = losses[:, 0] - losses[:, -1]
    defined = (net > 0) & (net >= min_drop)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(defined, dec.max(axis=1) / np.where(total > 0, total, 1.0), np.nan)
    return score, dec.argmax(axis=1), net


@dataclass(frozen=True)
class TokenClasses:
    """Monogenic / polygenic labels and scores of T tokens on an M-model suite.

    Attributes
    ----------
    criteria : Criteria
    sizes : ndarray, shape (M,)
    losses : ndarray, shape (T, M)
        Nats, columns sorted by size.
    drop_index : ndarray, shape (T,), int
        Size index j of the monogenic drop, −1 where not monogenic.
    slope, r2 : ndarray, shape (T,)
        Line of loss (nats) against ln N.
    score : ndarray, shape (T,)
        Breakthroughness (NaN where the net drop is below ``criteria.min_drop``).
    gap : ndarray, shape (T,), int
        Index m of the largest decrement (between sizes m and m+1).
    net_drop : ndarray, shape (T,)
        Smallest-model minus largest-model loss, nats.
    """

    criteria: Criteria
    sizes: np.ndarray
    losses: np.ndarray
    drop_index: np.ndarray
    slope: np.ndarray
    r2: np.ndarray
    score: np.ndarray
    gap: np.ndarray
    net_drop: np.ndarray

    @property
    def monogenic(self) -> np.ndarray:
        """(T,) bool."""
        return self.drop_index >= 0

    @property
    def polygenic(self) -> np.ndarray:
        """(T,) bool."""
        return (self.slope < self.criteria.poly_slope) & (self.r2 > self.criteria.poly_r2)

    @property
    def n_tokens(self) -> int:
        return int(self.losses.shape[0])

    def kind(self) -> np.ndarray:
        """(T,) str: ``"monogenic"``, ``"polygenic"`` or ``"neither"``."""
        out = np.full(self.n_tokens, "neither", dtype=object)
        out[self.polygenic] = "polygenic"
        out[self.monogenic] = "monogenic"
        return out


def classify(losses, sizes, criteria: Criteria | None = None) -> TokenClasses:
    """Apply the monogenic and polygenic criteria and the breakthroughness score to every token.

    Parameters
    ----------
    losses : array_like, shape (T, M)
        Per-token losses in nats (any column order; sorted by ``sizes``).
    sizes : array_like, shape (M,)
        Non-embedding parameter counts.
    criteria : Criteria, optional
        Default: :func:`rescaled_criteria` of this very suite.

    Returns
    -------
    TokenClasses
    """
    losses, sizes = token_curves(losses, sizes)
    if criteria is None:
        criteria = rescaled_criteria(losses, sizes)
    if not isinstance(criteria, Criteria):
        raise TypeError(f"criteria must be a Criteria, got {type(criteria).__name__}")
    slope, _, r2 = loglinear_fit(losses, sizes)
    score, gap, net = breakthroughness(losses, min_drop=criteria.min_drop)
    return TokenClasses(criteria=criteria, sizes=sizes, losses=losses,
                        drop_index=monogenic_index(losses, criteria.mono_high, criteria.mono_low),
                        slope=slope, r2=r2, score=score, gap=gap, net_drop=net)


def summary(classes: TokenClasses) -> dict:
    """Counts and shares of a classification (JSON-able).

    Returns
    -------
    dict
        ``n_tokens``, ``n_monogenic``, ``n_polygenic``, ``share_monogenic``, ``share_polygenic``,
        ``monogenic_per_size`` (list of M−1 counts, drop at size index 1 … M−1), ``n_scored``,
        ``median_score``, ``share_sharp`` (scored tokens with score > 1/2), ``score_floor`` = 1/(M−1).
    """
    m = classes.sizes.size
    mono, poly = classes.monogenic, classes.polygenic
    scored = classes.score[np.isfinite(classes.score)]
    per_size = np.bincount(classes.drop_index[mono], minlength=m)[1:]
    n = max(classes.n_tokens, 1)
    return {
        "n_tokens": classes.n_tokens,
        "n_monogenic": int(mono.sum()),
        "n_polygenic": int(poly.sum()),
        "share_monogenic": float(mono.sum() / n),
        "share_polygenic": float(poly.sum() / n),
        "monogenic_per_size": [int(c) for c in per_size],
        "n_scored": int(scored.size),
        "median_score": float(np.median(scored)) if scored.size else float("nan"),
        "share_sharp": float((scored > 0.5).mean()) if scored.size else float("nan"),
        "score_floor": 1.0 / (m - 1),
    }


def synthetic_curves(sizes, *, n_per_kind: int = 100, high: float = 6.0, low: float = 0.05,
                     slope: float = -0.6, noise: float = 0.02, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Curves of known kind: steps, clean log-linear declines, and flat noise.

    Parameters
    ----------
    sizes : array_like, shape (M,)
        Model sizes.
    n_per_kind : int
        Tokens of each kind.
    high, low : float
        Step levels before / after the drop (nats); steps drop at a random size index 1 … M−1.
    slope : float
        Nats per e-fold of N of the log-linear curves (which start near ``high``).
    noise : float
        Gaussian jitter (nats) added to the step and log-linear curves.
    seed : int

    Returns
    -------
    losses : ndarray, shape (3 · n_per_kind, M)
        Rows: steps, then log-linear, then noise (flat level 3 nats, jitter 0.5 nats), clipped at 0.
    kind : ndarray, shape (3 · n_per_kind,), str
        ``"step"``, ``"powerlaw"`` or ``"noise"``.
    """
    check_int("n_per_kind", n_per_kind, min=1)
    check_int("seed", seed, min=0)
    sizes = np.sort(np.asarray(sizes, dtype=float))
    m = sizes.size
    rng = np.random.default_rng(seed)
    j = rng.integers(1, m, size=n_per_kind)
    steps = np.where(np.arange(m)[None, :] < j[:, None], high, low)
    x = np.log(sizes) - np.log(sizes[0])
    start = high + rng.uniform(-0.5, 0.5, size=(n_per_kind, 1))
    lines = start + slope * x[None, :]
    flat = 3.0 + 0.5 * rng.standard_normal((n_per_kind, m))
    losses = np.concatenate([steps + noise * rng.standard_normal(steps.shape),
                             lines + noise * rng.standard_normal(lines.shape), flat])
    kind = np.repeat(np.array(["step", "powerlaw", "noise"], dtype=object), n_per_kind)
    return np.clip(losses, 0.0, None), kind
