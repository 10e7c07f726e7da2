"""Appendix D.2 of the paper: a toy model of the bias of exponents measured from clusters.

QDG (paper Section 5) estimates the Zipf exponent of the quanta from the rank-frequency curve of
cluster sizes, taking the *envelope* of the curves obtained with several numbers of clusters k.
Whether that envelope has the slope of the true subtask frequencies is not obvious: clustering
merges small subtasks, splits big ones and is thrown off by noisy gradients. The paper probes this
with a toy whose ground truth is known: subtask i contributes n_i = ⌊A / i^α⌋ points (so the planted
rank-frequency exponent is α itself), drawn from a Gaussian N(m_i, σ² I_d) around a random mean
m_i ~ N(0, I_d); points are compared with the similarity 1 + x̂·ŷ and clustered spectrally. Figure 16
sweeps the dimension d, the noise σ and k; Figure 17 plots the envelope exponent against the true α,
which correlate but with errors of about 0.2. The paper stops there. We go one step further
(:func:`quanta.calibration.calibrate`, an inverse regression): fit the measured exponent against the true α over seeds
and invert the line, which turns an exponent measured from clusters into a bias-corrected estimate
of the true exponent, with an interval.

Sizes here are rank-frequency exponents (the paper's "α" of the toy), i.e. α+1 in the quantization
model's notation: an envelope slope of −1.24 corresponds to a quanta exponent α = 0.24.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from .cache import memo
from .calibration import Calibration, CorrectedExponent, calibrate, correction_table
from .fitting import envelope, fit_rank_frequency, rank_frequency
from .progress import progress
from .validate import check_float, check_int, check_scale

log = logging.getLogger(__name__)

#: Size of the errors of the envelope exponent against the true α in the paper's Figure 17 (≈ 0.2;
#: appendix D.2, SPEC §5).
PAPER_TOY_ERROR = 0.2
#: The (d, σ) whose curves the paper found closest to the LLM curves of its Figure 5 (SPEC §5).
PAPER_BEST_MATCH = (1000, 2.0)

__all__ = [
    "ToyClusters", "SweepConfig", "SlopeConfig", "ToyConfig", "preset", "cluster_sizes",
    "sample_clusters", "similarity", "spectral_labels", "amplitude_for", "run_sweep", "run_slopes", "sweep",
    "slopes", "Calibration", "CorrectedExponent", "calibrate", "correction_table",
    "PAPER_TOY_ERROR", "PAPER_BEST_MATCH",
]


# --------------------------------------------------------------------------------------------
# configurations


def _check_tuple(name, values, check, **bounds):
    if not isinstance(values, tuple) or not values:
        raise TypeError(f"{name}={values!r} must be a non-empty tuple")
    return tuple(check(f"{name}[{i}]", v, **bounds) for i, v in enumerate(values))


@dataclass(frozen=True)
class ToyClusters:
    """One draw of the toy model (SPEC §5, D.2).

    Parameters
    ----------
    n_subtasks : int
        Number of subtasks N (paper: 1000).
    amplitude : float
        A in n_i = ⌊A / i^α⌋ (paper: 1000).
    alpha : float
        Planted rank-frequency exponent α (> 0).
    dim : int
        Embedding dimension d.
    sigma : float
        Within-subtask noise σ (≥ 0).
    seed : int
        Seed of the means and of the noise.
    """

    n_subtasks: int = 1000
    amplitude: float = 1000.0
    alpha: float = 1.0
    dim: int = 1000
    sigma: float = 2.0
    seed: int = 0

    def __post_init__(self):
        check_int("n_subtasks", self.n_subtasks, min=1)
        check_float("amplitude", self.amplitude, min=1.0)
        check_float("alpha", self.alpha, min=0.0, min_inclusive=False)
        check_int("dim", self.dim, min=1)
        check_float("sigma", self.sigma, min=0.0)
        check_int("seed", self.seed, min=0)

    @property
    def sizes(self) -> np.ndarray:
        """Planted cluster sizes n_i, shape (n_subtasks,) (zeros kept)."""
        return cluster_sizes(self.n_subtasks, self.amplitude, self.alpha)

    @property
    def n_points(self) -> int:
        return int(self.sizes.sum())


@dataclass(frozen=True)
class SweepConfig:
    """The d × σ × k sweep of the paper's Figure 16 at fixed α (one draw per (d, σ))."""

    n_subtasks: int = 1000
    amplitude: float = 1000.0
    alpha: float = 1.0
    dims: tuple = (30, 100, 1000)
    sigmas: tuple = (0.0, 0.5, 2.0)
    ks: tuple = (100, 200, 500)
    n_init: int = 10
    seed: int = 0

    def __post_init__(self):
        ToyClusters(self.n_subtasks, self.amplitude, self.alpha, 1, 0.0, self.seed)
        _check_tuple("dims", self.dims, check_int, min=1)
        _check_tuple("sigmas", self.sigmas, check_float, min=0.0)
        _check_tuple("ks", self.ks, check_int, min=2)
        check_int("n_init", self.n_init, min=1)


@dataclass(frozen=True)
class SlopeConfig:
    """Envelope exponent against the true α (the paper's Figure 17), repeated over seeds.

    The measurement copies the QDG chapter's protocol so that the calibration applies to it: every
    draw has ``n_points`` points (the amplitude A of each α is the smallest one giving that many),
    is clustered for every k in ``ks`` and the envelope is fitted over ranks ``rank_min..rank_max``.
    By default ``ks`` and the ranks are the paper's, rescaled to ``n_points``
    (:func:`quanta.qdg.scaled_ks`, :func:`quanta.qdg.fit_window`); :meth:`matched` copies them from
    a QDG measurement. The paper instead fixed A = 1000 (2.6k–15k points) and does not state its k
    list or fit range (SPEC §5: UNCONFIRMED).
    """

    n_points: int = 10_000
    dim: int = 1000
    sigma: float = 2.0
    alphas: tuple = (0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6)
    ks: tuple | None = None
    ranks: tuple | None = None
    n_seeds: int = 5
    n_init: int = 3
    seed: int = 0

    def __post_init__(self):
        check_int("n_points", self.n_points, min=20)
        ToyClusters(self.n_points, 1.0, 1.0, self.dim, self.sigma, self.seed)
        _check_tuple("alphas", self.alphas, check_float, min=0.0, min_inclusive=False)
        if len(set(self.alphas)) < 2:
            raise ValueError(f"alphas={self.alphas!r} must hold at least two distinct values")
        if self.ks is not None:
            _check_tuple("ks", self.ks, check_int, min=2, max=self.n_points - 1)
        if self.ranks is not None:
            if not isinstance(self.ranks, tuple) or len(self.ranks) != 2:
                raise TypeError(f"ranks={self.ranks!r} must be a tuple (rank_min, rank_max)")
            check_int("ranks[0]", self.ranks[0], min=1)
            check_int("ranks[1]", self.ranks[1], min=self.ranks[0] + 2)
        if self.fit_ranks[1] > max(self.cluster_ks):
            raise ValueError(f"ranks={self.fit_ranks!r} reach beyond the largest k "
                             f"({max(self.cluster_ks)}); the envelope has no ranks there")
        check_int("n_seeds", self.n_seeds, min=1)
        check_int("n_init", self.n_init, min=1)

    @property
    def cluster_ks(self) -> tuple:
        """The numbers of clusters used (``ks`` or the paper's list rescaled to ``n_points``)."""
        from .qdg.rankfreq import scaled_ks

        return tuple(self.ks) if self.ks is not None else scaled_ks(self.n_points)

    @property
    def fit_ranks(self) -> tuple:
        """1-based inclusive fit window (``ranks`` or the paper's 101–1000 of 10,000, rescaled)."""
        from .qdg.rankfreq import fit_window

        return tuple(self.ranks) if self.ranks is not None else fit_window(self.n_points)

    def matched(self, env) -> "SlopeConfig":
        """This config with the sample size, k list and fit window of a QDG envelope measurement.

        Parameters
        ----------
        env : quanta.qdg.EnvelopeResult
        """
        for name in ("ks", "sizes", "ranks"):
            if not hasattr(env, name):
                raise TypeError(f"env must be a quanta.qdg.EnvelopeResult, got {type(env).__name__}")
        from .qdg.rankfreq import fit_window, scaled_ks

        n = int(np.sum(env.sizes[env.ks[0]]))
        ks = tuple(int(k) for k in env.ks)
        ranks = tuple(int(r) for r in env.ranks)
        # Defaults are stored as None so that equal protocols share one cache entry.
        return replace(self, n_points=n, ks=None if ks == scaled_ks(n) else ks,
                       ranks=None if ranks == fit_window(n) else ranks)


@dataclass(frozen=True)
class ToyConfig:
    """Everything appendix D.2 runs at one scale."""

    scale: str
    sweep: SweepConfig = field(default_factory=SweepConfig)
    slopes: SlopeConfig = field(default_factory=SlopeConfig)


def preset(scale: str = "small", *, seed: int = 0) -> ToyConfig:
    """Named configurations of the toy model.

    ``paper``: the paper's sizes for Figure 16 (N = A = 1000, about 7k points, d ∈ {30, 100, 1000},
    σ ∈ {0, 0.5, 2}, k ∈ {100, 200, 500}); Figure 17 at d = 1000, σ = 2 with 10,000 points per draw
    (the paper's QDG sample size; the paper's toy had 2.6k–15k), α = 0.8…1.6, five seeds. Hours on a
    laptop. ``small``: Figure 16 with N = A = 200 (≈ 1.1k points) and k scaled by 1/5; Figure 17 with
    1,500 points (the QDG chapter's small S), five α, three seeds; a few minutes on 2 CPU cores.
    ``smoke``: N = A = 60 and 150 points, seconds.
    """
    check_scale(scale)
    check_int("seed", seed, min=0)
    if scale == "paper":
        return ToyConfig(scale, SweepConfig(seed=seed), SlopeConfig(seed=seed))
    if scale == "small":
        return ToyConfig(
            scale,
            SweepConfig(n_subtasks=200, amplitude=200.0, ks=(20, 40, 100), n_init=3, seed=seed),
            SlopeConfig(n_points=1500, alphas=(0.8, 1.0, 1.2, 1.4, 1.6), n_seeds=3, seed=seed),
        )
    return ToyConfig(
        scale,
        SweepConfig(n_subtasks=60, amplitude=60.0, dims=(30, 1000), sigmas=(0.0, 2.0), ks=(6, 12, 30),
                    n_init=2, seed=seed),
        SlopeConfig(n_points=150, alphas=(0.8, 1.2, 1.6), n_seeds=2, n_init=2, seed=seed),
    )


# --------------------------------------------------------------------------------------------
# the generator and the similarity


def cluster_sizes(n_subtasks: int, amplitude: float, alpha: float) -> np.ndarray:
    """Planted sizes n_i = ⌊A / i^α⌋ for i = 1…N (SPEC §5).

    Returns
    -------
    numpy.ndarray, shape (n_subtasks,), int64
        Non-increasing; subtasks with A / i^α < 1 get 0 points.
    """
    ToyClusters(n_subtasks, amplitude, alpha)
    i = np.arange(1, n_subtasks + 1, dtype=float)
    # The tiny relative margin keeps exact quotients (1000 / 8 = 125) from flooring to 124.
    return np.floor(amplitude / i**alpha * (1 + 1e-12)).astype(np.int64)


def sample_clusters(gen: ToyClusters) -> tuple[np.ndarray, np.ndarray]:
    """Draw the toy's points: subtask i gets n_i points from N(m_i, σ² I_d), m_i ~ N(0, I_d).

    Returns
    -------
    points : numpy.ndarray, shape (n_points, dim), float64
    labels : numpy.ndarray, shape (n_points,), int64
        True subtask (0-based rank) of each point, sorted.
    """
    if not isinstance(gen, ToyClusters):
        raise TypeError(f"gen must be a ToyClusters, got {type(gen).__name__}")
    rng = np.random.default_rng(gen.seed)
    sizes = gen.sizes
    means = rng.standard_normal((gen.n_subtasks, gen.dim))
    labels = np.repeat(np.arange(gen.n_subtasks), sizes)
    points = means[labels]
    if gen.sigma > 0:
        points = points + gen.sigma * rng.standard_normal(points.shape)
    return points, labels


def similarity(points: np.ndarray) -> np.ndarray:
    """The toy's affinity 1 + x̂·ŷ ∈ [0, 2] between all pairs of points.

    Parameters
    ----------
    points : numpy.ndarray, shape (n, d)

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
    """
    x = np.asarray(points, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"points must have shape (n >= 2, d), got {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("points must be nonzero (the similarity normalises them)")
    xh = x / norms
    s = xh @ xh.T
    np.clip(s, -1.0, 1.0, out=s)
    s += 1.0
    return s


# --------------------------------------------------------------------------------------------
# spectral clustering for several k from one eigendecomposition


def spectral_labels(affinity: np.ndarray, ks, *, n_init: int = 3, seed: int = 0) -> list[np.ndarray]:
    """Spectral clustering of a precomputed affinity for every number of clusters in ``ks``.

    The QDG chapter's solver (:func:`quanta.qdg.spectral_fast`): scikit-learn's normalised spectral
    embedding computed once for the largest k, then k-means with ``n_init`` restarts for each k.

    Parameters
    ----------
    affinity : numpy.ndarray, shape (n, n)
        Symmetric, non-negative.
    ks : sequence of int
        Numbers of clusters, each in [2, n).
    n_init, seed : int
        k-means restarts and random state.

    Returns
    -------
    list of numpy.ndarray, each shape (n,), int64
        Cluster labels (0 = largest cluster), one array per k, in the order of ``ks``.
    """
    from .qdg.cluster import spectral_fast

    ks = [int(check_int("ks[i]", k, min=2)) for k in ks]
    out = spectral_fast(affinity, ks, seed=seed, n_init=n_init, device="cpu")
    return [out[k] for k in ks]


def _size_matrix(curves: list[np.ndarray], width: int) -> np.ndarray:
    """Rank-frequency curves padded with zeros to one array of shape (len(curves), width)."""
    out = np.zeros((len(curves), width), dtype=np.int64)
    for j, c in enumerate(curves):
        out[j, : len(c)] = c
    return out


# --------------------------------------------------------------------------------------------
# Figure 16: the d × σ × k sweep


def run_sweep(cfg: SweepConfig) -> dict:
    """Rank-frequency curves of the toy for every (d, σ, k) of the sweep.

    Returns
    -------
    dict
        ``sizes``: int64 array, shape (len(dims), len(sigmas), len(ks), max(ks)), cluster sizes in
        decreasing order (zero-padded); ``true_sizes``: shape (n_subtasks,), the planted n_i;
        ``ari``: shape (len(dims), len(sigmas), len(ks)), adjusted Rand index of each clustering
        against the true subtasks; ``n_points``: int; ``dims``, ``sigmas``, ``ks``: the grid.
    """
    from sklearn.metrics import adjusted_rand_score

    if not isinstance(cfg, SweepConfig):
        raise TypeError(f"cfg must be a SweepConfig, got {type(cfg).__name__}")
    shape = (len(cfg.dims), len(cfg.sigmas), len(cfg.ks))
    sizes = np.zeros(shape + (max(cfg.ks),), dtype=np.int64)
    ari = np.zeros(shape)
    grid = [(i, j) for i in range(shape[0]) for j in range(shape[1])]
    n_points = 0
    for i, j in progress(grid, desc="toy sweep"):
        gen = ToyClusters(cfg.n_subtasks, cfg.amplitude, cfg.alpha, cfg.dims[i], cfg.sigmas[j],
                          cfg.seed)
        points, labels = sample_clusters(gen)
        n_points = len(labels)
        for m, lab in enumerate(spectral_labels(similarity(points), cfg.ks, n_init=cfg.n_init,
                                                seed=cfg.seed)):
            rf = rank_frequency(lab)
            sizes[i, j, m, : len(rf)] = rf
            ari[i, j, m] = adjusted_rand_score(labels, lab)
    true = cluster_sizes(cfg.n_subtasks, cfg.amplitude, cfg.alpha)
    return {"sizes": sizes, "true_sizes": true, "ari": ari, "n_points": int(n_points),
            "dims": np.asarray(cfg.dims), "sigmas": np.asarray(cfg.sigmas, dtype=float),
            "ks": np.asarray(cfg.ks)}


def sweep(cfg: SweepConfig) -> dict:
    """:func:`run_sweep`, cached (stage ``appendix_d.toy_sweep``)."""
    if not isinstance(cfg, SweepConfig):
        raise TypeError(f"cfg must be a SweepConfig, got {type(cfg).__name__}")
    return memo("appendix_d.toy_sweep", cfg, lambda: run_sweep(cfg), version=2)


# --------------------------------------------------------------------------------------------
# Figure 17: envelope exponent against the true alpha


def amplitude_for(n_points: int, alpha: float) -> float:
    """Smallest amplitude A with Σ_i ⌊A / i^α⌋ ≥ ``n_points`` (i = 1…n_points), by bisection."""
    check_int("n_points", n_points, min=1)
    check_float("alpha", alpha, min=0.0, min_inclusive=False)
    lo, hi = 1.0, float(n_points) + 1.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if cluster_sizes(n_points, mid, alpha).sum() >= n_points:
            hi = mid
        else:
            lo = mid
    return hi


def run_slopes(cfg: SlopeConfig) -> dict:
    """Envelope exponent of the toy's cluster sizes for every α and seed.

    For each (α, seed): draw the toy with ``n_points`` points, cluster it for every k, take the
    envelope of the k rank-frequency curves and fit log size against log rank over the fit window.

    Returns
    -------
    dict
        ``alphas``: shape (n_alpha,); ``exponent``: shape (n_alpha, n_seeds), minus the fitted
        envelope slope; ``exponent_ci``: shape (n_alpha, n_seeds, 2), bootstrap intervals of each fit;
        ``envelopes``: shape (n_alpha, n_seeds, max k); ``sizes``: shape (n_alpha, n_seeds, n_k,
        max k); ``true_exponent``: shape (n_alpha,), the slope of the planted sizes over the same
        ranks (floors make it differ from α where sizes are small); ``amplitudes`` and
        ``n_points``: shape (n_alpha,); ``ks``; ``rank_range``: (rank_min, rank_max).
    """
    if not isinstance(cfg, SlopeConfig):
        raise TypeError(f"cfg must be a SlopeConfig, got {type(cfg).__name__}")
    ks, (r_lo, r_hi) = cfg.cluster_ks, cfg.fit_ranks
    na, ns, kmax = len(cfg.alphas), cfg.n_seeds, max(ks)
    expo = np.zeros((na, ns))
    expo_ci = np.zeros((na, ns, 2))
    envs = np.zeros((na, ns, kmax))
    sizes = np.zeros((na, ns, len(ks), kmax), dtype=np.int64)
    amps = np.array([amplitude_for(cfg.n_points, a) for a in cfg.alphas])
    true_expo = np.zeros(na)
    n_points = np.zeros(na, dtype=np.int64)
    for a, alpha in enumerate(cfg.alphas):
        true = cluster_sizes(cfg.n_points, amps[a], alpha)
        n_points[a] = true.sum()
        true_expo[a] = fit_rank_frequency(true, rank_min=r_lo, rank_max=r_hi, n_boot=0).exponent
    jobs = [(a, s) for a in range(na) for s in range(ns)]
    for a, s in progress(jobs, desc="toy slopes"):
        seed = cfg.seed + 1000 * s
        gen = ToyClusters(cfg.n_points, amps[a], cfg.alphas[a], cfg.dim, cfg.sigma, seed)
        points, _ = sample_clusters(gen)
        curves = [rank_frequency(lab) for lab in
                  spectral_labels(similarity(points), ks, n_init=cfg.n_init, seed=seed)]
        sizes[a, s] = _size_matrix(curves, kmax)
        env = envelope(curves)
        envs[a, s, : len(env)] = env
        fit = fit_rank_frequency(env, rank_min=r_lo, rank_max=r_hi, n_boot=200, seed=seed)
        expo[a, s] = fit.exponent
        expo_ci[a, s] = fit.exponent_ci
    return {"alphas": np.asarray(cfg.alphas, dtype=float), "exponent": expo,
            "exponent_ci": expo_ci, "envelopes": envs, "sizes": sizes,
            "true_exponent": true_expo, "amplitudes": amps, "n_points": n_points,
            "ks": np.asarray(ks), "rank_range": np.asarray([r_lo, r_hi])}


def slopes(cfg: SlopeConfig) -> dict:
    """:func:`run_slopes`, cached (stage ``appendix_d.toy_slopes``)."""
    if not isinstance(cfg, SlopeConfig):
        raise TypeError(f"cfg must be a SlopeConfig, got {type(cfg).__name__}")
    return memo("appendix_d.toy_slopes", cfg, lambda: run_slopes(cfg), version=2)
