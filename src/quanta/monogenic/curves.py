"""Per-token scaling curves: log-linear fits, the monogenic step rule, breakthroughness.

Paper §4.2 (Figures 4 and 12). If a token is predicted by a single quantum, its loss stays high in
every model that lacks that quantum and collapses in every model that has it: a step in model size
(*monogenic*). If many quanta each shave off a little, the loss falls smoothly, roughly linearly in
ln N (*polygenic*). This module holds the array operations behind both views, vectorised over tokens:
the least-squares line of loss against ln N, the index of a single drop between two thresholds, and a
continuous score, the share of a token's total loss decrease that happens between one pair of
adjacent model sizes. :mod:`quanta.monogenic.criteria` turns them into the paper's classification.

Shapes: ``losses`` is ``(T, M)`` (T tokens, M models ordered by increasing size), ``sizes`` is
``(M,)`` non-embedding parameter counts.
"""

from __future__ import annotations

import numpy as np

from quanta.validate import check_float, check_int

__all__ = ["LN2", "token_curves", "loglinear_fit", "monogenic_index", "breakthroughness",
           "synthetic_curves"]

LN2 = float(np.log(2.0))


def token_curves(losses, sizes) -> tuple[np.ndarray, np.ndarray]:
    """Validate a per-token loss array and order its columns by model size.

    Parameters
    ----------
    losses : array_like, shape (T, M)
        Per-token losses in nats, one column per model.
    sizes : array_like, shape (M,)
        Model sizes (non-embedding parameters), positive and distinct, M ≥ 2 (with two models every
        line fits exactly and every drop is a step: a pipeline check, not a measurement).

    Returns
    -------
    losses : ndarray, shape (T, M), float64
        Columns sorted by increasing size.
    sizes : ndarray, shape (M,), float64
        Sorted sizes.
    """
    losses = np.asarray(losses, dtype=float)
    sizes = np.asarray(sizes, dtype=float)
    if sizes.ndim != 1 or sizes.size < 2:
        raise ValueError(f"sizes must be a 1-d array of at least 2 model sizes, got shape {sizes.shape}")
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
