"""Power-law fits with bootstrap confidence intervals (used by every chapter).

The paper measures every exponent the same way: ordinary least squares of log(y) on log(x)
(``sklearn.linear_model.LinearRegression`` in the authors' notebooks; SPEC §2.4). We do the same and
add a nonparametric bootstrap over the fitted points, so each exponent comes with an interval.
Rank-frequency helpers (cluster sizes, envelopes over several numbers of clusters) live here too,
because both the QDG chapter and the appendices fit them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validate import check_float, check_int


@dataclass(frozen=True)
class PowerLawFit:
    """y ≈ exp(intercept) · x**slope, fitted on log-log data.

    ``exponent`` is ``-slope`` (positive for a decaying power law); ``*_ci`` are bootstrap
    percentile intervals at level ``ci``.
    """

    slope: float
    intercept: float
    slope_ci: tuple[float, float]
    r2: float
    n: int
    ci: float
    x_range: tuple[float, float]

    @property
    def exponent(self) -> float:
        return -self.slope

    @property
    def exponent_ci(self) -> tuple[float, float]:
        return (-self.slope_ci[1], -self.slope_ci[0])

    @property
    def prefactor(self) -> float:
        return float(np.exp(self.intercept))

    def predict(self, x) -> np.ndarray:
        return np.exp(self.intercept) * np.asarray(x, dtype=float) ** self.slope

    def as_dict(self) -> dict:
        return {"slope": self.slope, "intercept": self.intercept, "slope_ci": list(self.slope_ci),
                "exponent": self.exponent, "exponent_ci": list(self.exponent_ci), "r2": self.r2,
                "n": self.n, "ci": self.ci, "x_range": list(self.x_range)}

    @classmethod
    def from_dict(cls, d: dict) -> "PowerLawFit":
        return cls(slope=d["slope"], intercept=d["intercept"], slope_ci=tuple(d["slope_ci"]), r2=d["r2"],
                   n=d["n"], ci=d["ci"], x_range=tuple(d["x_range"]))

    def __str__(self) -> str:
        lo, hi = self.exponent_ci
        return f"{self.exponent:.3f} [{lo:.3f}, {hi:.3f}]"


def _ols(lx: np.ndarray, ly: np.ndarray) -> tuple[float, float]:
    A = np.stack([lx, np.ones_like(lx)], axis=-1)
    coef = np.linalg.lstsq(A, ly, rcond=None)[0]
    return float(coef[0]), float(coef[1])


def fit_power_law(x, y, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0) -> PowerLawFit:
    """Fit ``y = A x**slope`` by least squares on (log x, log y), with a bootstrap over points.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Positive values; ``n >= 2``. Points with non-positive or non-finite values raise.
    n_boot : int
        Bootstrap resamples (0 gives a degenerate interval equal to the estimate).
    ci : float
        Interval level in (0, 1).
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    check_int("n_boot", n_boot, min=0)
    check_float("ci", ci, min=0.0, max=1.0, min_inclusive=False, max_inclusive=False)
    if x.size < 2:
        raise ValueError(f"need at least 2 points to fit a power law, got {x.size}")
    bad = ~(np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0))
    if bad.any():
        raise ValueError(f"x and y must be finite and > 0 for a log-log fit; {int(bad.sum())} point(s) are not")
    lx, ly = np.log(x), np.log(y)
    if np.ptp(lx) == 0:
        raise ValueError("x must take at least two distinct values")
    slope, intercept = _ols(lx, ly)
    resid = ly - (slope * lx + intercept)
    ss_tot = float(((ly - ly.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else 1.0
    if n_boot > 0 and x.size > 2:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, x.size, size=(n_boot, x.size))
        bx, by = lx[idx], ly[idx]
        mx, my = bx.mean(1, keepdims=True), by.mean(1, keepdims=True)
        vx = ((bx - mx) ** 2).sum(1)
        ok = vx > 0
        slopes = (((bx - mx) * (by - my)).sum(1)[ok]) / vx[ok]
        a = (1 - ci) / 2
        slope_ci = (float(np.quantile(slopes, a)), float(np.quantile(slopes, 1 - a)))
    else:
        slope_ci = (slope, slope)
    return PowerLawFit(slope=slope, intercept=intercept, slope_ci=slope_ci, r2=r2, n=int(x.size), ci=ci,
                       x_range=(float(x.min()), float(x.max())))


def rank_frequency(labels) -> np.ndarray:
    """Cluster sizes sorted in decreasing order, shape (n_clusters,). Negative labels are ignored."""
    labels = np.asarray(labels).ravel()
    labels = labels[labels >= 0]
    if labels.size == 0:
        return np.zeros(0, dtype=np.int64)
    counts = np.bincount(labels)
    counts = counts[counts > 0]
    return np.sort(counts)[::-1].astype(np.int64)


def envelope(size_lists) -> np.ndarray:
    """Upper envelope of several rank-frequency curves: at each rank, the largest size over curves.

    Parameters
    ----------
    size_lists : iterable of 1-D arrays
        Sizes sorted in decreasing order (e.g. one per number of clusters K).

    Returns
    -------
    np.ndarray, shape (max_len,)
    """
    size_lists = [np.asarray(s, dtype=float) for s in size_lists]
    if not size_lists:
        raise ValueError("size_lists must hold at least one curve")
    m = max(len(s) for s in size_lists)
    out = np.zeros(m)
    for s in size_lists:
        out[: len(s)] = np.maximum(out[: len(s)], s)
    return out


def fit_rank_frequency(sizes, *, rank_min: int = 1, rank_max: int | None = None, **kwargs) -> PowerLawFit:
    """Fit size vs rank over ranks ``rank_min..rank_max`` (1-based, inclusive) on log-log axes.

    The paper fits the envelope over ranks 101–1000 (``xs[100:1000]``); slope ≈ −1.24.
    """
    sizes = np.asarray(sizes, dtype=float)
    check_int("rank_min", rank_min, min=1)
    rank_max = len(sizes) if rank_max is None else check_int("rank_max", rank_max, min=rank_min + 1)
    ranks = np.arange(1, len(sizes) + 1)
    sel = (ranks >= rank_min) & (ranks <= rank_max) & (sizes > 0)
    return fit_power_law(ranks[sel], sizes[sel], **kwargs)


def fit_zipf_exponent(counts, **kwargs) -> PowerLawFit:
    """Fit the rank-frequency slope of ``counts`` (any order); ``-slope`` is the Zipf exponent α+1."""
    c = np.sort(np.asarray(counts, dtype=float))[::-1]
    c = c[c > 0]
    return fit_power_law(np.arange(1, len(c) + 1), c, **kwargs)
