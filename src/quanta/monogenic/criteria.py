"""The paper's monogenic / polygenic criteria, their translation to other suites, and the classification.

Paper §4.2 (selection rules in the authors' code for Figures 4 and 12). On a (tokens × models) loss
array in nats, a token is monogenic at size index j when its loss is above 5.0 nats for every model
smaller than j and below 0.3 nats for every model at or above j, and polygenic when the least-squares
slope of its loss against ln N is below −0.3 nats per e-fold with R² above 0.98. Those numbers belong
to Pythia's loss scale; :func:`rescaled_criteria` carries their meaning to a suite with another one.
:func:`classify` applies the criteria and the breakthroughness score of
:mod:`quanta.monogenic.curves` to every token.

Shapes: ``losses`` is ``(T, M)``, ``sizes`` is ``(M,)``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from quanta.monogenic.curves import LN2, breakthroughness, loglinear_fit, monogenic_index, token_curves
from quanta.validate import check_float

log = logging.getLogger(__name__)

__all__ = [
    "PAPER_MONO_HIGH_NATS", "PAPER_MONO_LOW_NATS", "PAPER_POLY_SLOPE_NATS", "PAPER_POLY_R2",
    "PAPER_SIZES", "PAPER_MEAN_LOSS_BITS", "Criteria", "paper_criteria", "paper_loss_scale",
    "suite_loss_scale", "rescaled_criteria", "TokenClasses", "classify", "summary",
]

#: Paper thresholds, in nats (paper §4.2; authors' notebook ``diverse-scaling-examples``: the stored
#: losses are nats, the plots bits).
PAPER_MONO_HIGH_NATS = 5.0
PAPER_MONO_LOW_NATS = 0.3
PAPER_POLY_SLOPE_NATS = -0.3
PAPER_POLY_R2 = 0.98

#: Non-embedding parameter counts of the 7 Pythia v0 models the paper uses (19m … 6.4b; the authors'
#: ``get_num_params.py`` output, also posted in EleutherAI/pythia issue #54).
PAPER_SIZES = (18_915_328, 85_056_000, 302_311_424, 805_736_448,
               1_208_602_624, 2_517_652_480, 6_444_163_072)
#: Pythia mean test loss in bits per model, read off the paper's Figure 3 (±0.02 bits).
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
    """The paper's thresholds (§4.2), with ``min_drop`` = Pythia's mean-loss drop across the suite."""
    return Criteria()


def _loglinear_slope(y: np.ndarray, x: np.ndarray) -> float:
    xc = x - x.mean()
    return float(xc @ (y - y.mean()) / (xc @ xc))


def paper_loss_scale() -> dict:
    """Pythia's loss scale behind the paper's thresholds (its Figure 3 means), in nats.

    Returns
    -------
    dict
        ``first`` and ``last`` mean loss (smallest / largest model), ``slope`` of mean loss against ln N,
        ``drop`` = first − last.
    """
    return _loss_scale(np.asarray(PAPER_MEAN_LOSS_BITS) * LN2, np.asarray(PAPER_SIZES, dtype=float))


def _loss_scale(mean: np.ndarray, sizes: np.ndarray) -> dict:
    """first, last, slope against ln N and drop of a mean-loss curve (M,) over sizes (M,)."""
    return {"first": float(mean[0]), "last": float(mean[-1]),
            "slope": _loglinear_slope(mean, np.log(sizes)), "drop": float(mean[0] - mean[-1])}


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
    return _loss_scale(losses.mean(axis=0), sizes)


def rescaled_criteria(losses, sizes, *, reference: Criteria | None = None, mean=None) -> Criteria:
    """Translate the paper's thresholds to our suite's loss scale.

    Each threshold keeps its meaning relative to the suite's own mean-loss curve, measured on Pythia
    from the paper's Figure 3 means and on ours from ``losses``:

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
    mean : array_like, shape (M,), optional
        The suite's mean loss per model, when ``losses`` are not the tokens it averages (e.g. per-skill
        curves); default ``losses.mean(axis=0)``.

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
    if mean is None:
        ours = suite_loss_scale(losses, sizes)
    else:
        mean = np.asarray(mean, dtype=float)
        ours = suite_loss_scale(mean[None, :], sizes)
    paper = paper_loss_scale()
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
        ``median_score`` (over scored tokens), ``share_sharp`` (tokens with score > 1/2, over all
        tokens, as in :func:`quanta.monogenic.analysis.group_table`), ``score_floor`` = 1/(M−1).
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
        "share_sharp": float((scored > 0.5).sum() / n),
        "score_floor": 1.0 / (m - 1),
    }
