"""Bias correction of exponents measured from clusters (appendix D.2, a step the paper does not take).

The toy model of :mod:`quanta.toymodels` gives, for each planted rank-frequency exponent α, the
envelope exponent that QDG's measurement protocol returns, over several seeds. A straight line
through those points, measured = a + b·α, is a calibration curve; reading it backwards turns a
measured exponent into an estimate of the planted one. The interval is the classical
inverse-regression (Fieller) interval: every α whose prediction interval contains the measurement.
Whether the correction helps on real gradients is an empirical question, checked in the appendix D
page on runs whose truth is known.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.stats

from .validate import check_float

log = logging.getLogger(__name__)

__all__ = ["Calibration", "CorrectedExponent", "calibrate", "correction_table"]


@dataclass(frozen=True)
class CorrectedExponent:
    """A measured rank-frequency exponent mapped back to the true one by :class:`Calibration`.

    ``estimate`` is the true exponent whose expected measurement equals ``measured``; ``ci`` is the
    set of true exponents whose prediction interval contains the measurement (level ``level``);
    ``bounded`` is False when that set is not a finite interval (calibration slope not resolved);
    ``extrapolated`` is True when the estimate lies outside the calibrated range of α.
    """

    measured: float
    measured_ci: tuple[float, float] | None
    estimate: float
    ci: tuple[float, float]
    level: float
    bounded: bool
    extrapolated: bool

    def __str__(self) -> str:
        lo, hi = self.ci
        return f"{self.estimate:.3f} [{lo:.3f}, {hi:.3f}]"


@dataclass(frozen=True)
class Calibration:
    """Straight-line calibration measured = intercept + slope · α_true, fitted over seeds.

    Attributes
    ----------
    intercept, slope : float
        Least-squares line through all (α, seed) points.
    resid_sd : float
        Residual standard deviation s (seed-to-seed scatter plus lack of fit), ``n - 2`` dof.
    n : int
        Number of (α, seed) points.
    alpha_mean, sxx : float
        Mean of the true α over points and Σ (α − mean)².
    alpha_range : tuple of float
        Smallest and largest calibrated α.
    """

    intercept: float
    slope: float
    resid_sd: float
    n: int
    alpha_mean: float
    sxx: float
    alpha_range: tuple[float, float]

    @property
    def invertible(self) -> bool:
        """True if the measured exponent increases with α (the line can be read backwards)."""
        return self.slope > 0

    def predict(self, alpha):
        """Expected measured exponent at true ``alpha`` (array_like)."""
        return self.intercept + self.slope * np.asarray(alpha, dtype=float)

    def prediction_band(self, alpha, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper prediction limits of a new measurement at true ``alpha``."""
        a = np.asarray(alpha, dtype=float)
        t = scipy.stats.t.ppf(0.5 + level / 2, self.n - 2)
        half = t * self.resid_sd * np.sqrt(1 + 1 / self.n + (a - self.alpha_mean) ** 2 / self.sxx)
        return self.predict(a) - half, self.predict(a) + half

    def invert(self, measured: float, measured_ci: tuple[float, float] | None = None, *,
               level: float = 0.95) -> CorrectedExponent:
        """Bias-corrected true exponent for a measured envelope exponent (classical calibration).

        The interval is {α : |m − (a + bα)| ≤ t·√(s²(1 + 1/n + (α − ᾱ)²/Sxx) + σ_m²)}, where σ_m
        is the standard error of the measurement itself (from ``measured_ci``, read as a normal
        interval at ``level``; 0 if omitted). Solving the quadratic gives Fieller-type limits.
        """
        m = check_float("measured", measured)
        check_float("level", level, min=0.0, max=1.0, min_inclusive=False, max_inclusive=False)
        z = scipy.stats.norm.ppf(0.5 + level / 2)
        sm = 0.0
        if measured_ci is not None:
            lo, hi = (check_float("measured_ci[0]", measured_ci[0]),
                      check_float("measured_ci[1]", measured_ci[1]))
            if not lo <= m <= hi:
                raise ValueError(f"measured_ci={measured_ci!r} must contain measured={m!r}")
            sm = (hi - lo) / (2 * z)
            measured_ci = (lo, hi)
        lo_a, hi_a = self.alpha_range
        if not self.invertible:
            return CorrectedExponent(measured=m, measured_ci=measured_ci, estimate=float("nan"),
                                     ci=(-np.inf, np.inf), level=level, bounded=False,
                                     extrapolated=True)
        t = scipy.stats.t.ppf(0.5 + level / 2, self.n - 2)
        b, s = self.slope, self.resid_sd
        r = m - self.predict(self.alpha_mean)
        v0 = s**2 * (1 + 1 / self.n) + sm**2
        qa = b**2 - t**2 * s**2 / self.sxx
        qb = -2 * r * b
        qc = r**2 - t**2 * v0
        estimate = self.alpha_mean + r / b
        if qa > 0:
            disc = np.sqrt(max(qb**2 - 4 * qa * qc, 0.0))
            lo_u, hi_u = sorted(((-qb - disc) / (2 * qa), (-qb + disc) / (2 * qa)))
            ci, bounded = (self.alpha_mean + lo_u, self.alpha_mean + hi_u), True
        else:
            ci, bounded = (-np.inf, np.inf), False
        return CorrectedExponent(measured=m, measured_ci=measured_ci, estimate=float(estimate),
                                 ci=(float(ci[0]), float(ci[1])), level=level, bounded=bounded,
                                 extrapolated=not lo_a <= estimate <= hi_a)

    def as_dict(self) -> dict:
        return {"intercept": self.intercept, "slope": self.slope, "resid_sd": self.resid_sd,
                "n": self.n, "alpha_mean": self.alpha_mean, "sxx": self.sxx,
                "alpha_range": list(self.alpha_range)}


def calibrate(result: dict) -> Calibration:
    """Fit the calibration line measured exponent = a + b·α over every (α, seed) of :func:`slopes`.

    Parameters
    ----------
    result : dict
        Output of :func:`run_slopes` / :func:`slopes` (needs ``alphas`` (n_alpha,) and ``exponent``
        (n_alpha, n_seeds)).

    Raises
    ------
    ValueError
        If there are fewer than 3 points. A line that does not increase with α is returned (its
        :attr:`Calibration.invertible` is False and :meth:`Calibration.invert` gives no estimate).
    """
    try:
        alphas = np.asarray(result["alphas"], dtype=float)
        expo = np.asarray(result["exponent"], dtype=float)
    except (KeyError, TypeError) as e:
        raise TypeError("result must be the dict returned by toymodels.slopes()") from e
    if expo.ndim != 2 or expo.shape[0] != alphas.size:
        raise ValueError(f"exponent must have shape (n_alpha, n_seeds) = ({alphas.size}, ·), "
                         f"got {expo.shape}")
    x = np.repeat(alphas, expo.shape[1])
    y = expo.ravel()
    n = x.size
    if n < 3:
        raise ValueError(f"need at least 3 (alpha, seed) points to calibrate, got {n}")
    xm = x.mean()
    sxx = float(((x - xm) ** 2).sum())
    b = float(((x - xm) * (y - y.mean())).sum() / sxx)
    a = float(y.mean() - b * xm)
    if b <= 0:
        log.warning("measured exponent does not increase with the true alpha (slope %.3g): "
                    "the calibration cannot be inverted", b)
    resid = y - (a + b * x)
    s = float(np.sqrt((resid**2).sum() / max(n - 2, 1)))
    return Calibration(intercept=a, slope=b, resid_sd=s, n=int(n), alpha_mean=float(xm), sxx=sxx,
                       alpha_range=(float(alphas.min()), float(alphas.max())))


def correction_table(entries: dict):
    """Measured and bias-corrected exponents side by side.

    Parameters
    ----------
    entries : dict
        Label -> ``(corrected, truth)`` with ``corrected`` a :class:`CorrectedExponent` and ``truth``
        the planted exponent (float) or None where unknown.

    Returns
    -------
    pandas.DataFrame
        Columns: measurement, measured exponent, corrected exponent, planted exponent, error before,
        error after (|estimate − planted|), note (calibration range / interval warnings).
    """
    import pandas as pd

    rows = []
    for label, (c, truth) in entries.items():
        if not isinstance(c, CorrectedExponent):
            raise TypeError(f"entries[{label!r}] must hold a CorrectedExponent, got {type(c).__name__}")
        mci = f" [{c.measured_ci[0]:.3f}, {c.measured_ci[1]:.3f}]" if c.measured_ci else ""
        notes = []
        if not np.isfinite(c.estimate):
            notes.append("no estimate: the toy's exponent does not increase with α here")
        elif not c.bounded:
            notes.append("not correctable: with this protocol the toy's exponent barely depends on α "
                         "(calibration slope not resolved, interval unbounded)")
        elif c.extrapolated:
            notes.append("outside the calibrated range of α")
        rows.append({"measurement": label, "measured exponent": f"{c.measured:.3f}{mci}",
                     "corrected exponent": str(c) if c.bounded else "–",
                     "planted exponent": "unknown" if truth is None else f"{truth:.3f}",
                     "error before": None if truth is None else abs(c.measured - truth),
                     "error after": (None if truth is None or not c.bounded
                                     else abs(c.estimate - truth)),
                     "note": "; ".join(notes) or "–"})
    return pd.DataFrame(rows)
