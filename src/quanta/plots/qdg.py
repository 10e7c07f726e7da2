"""Plots of the QDG chapter (paper §5, Figures 5 and 15): pure functions, data in, figure out."""

from __future__ import annotations

import numpy as np

from . import PALETTE, subplots


def plot_similarity(angular: np.ndarray, labels: np.ndarray, *, ax=None, max_n: int = 1500):
    """Ĉ with tokens ordered by cluster (clusters by decreasing size, members contiguous), as Figure 5 left.

    Parameters
    ----------
    angular : np.ndarray, shape (S, S)
    labels : np.ndarray, shape (S,)  (0 = largest cluster)
    max_n : int
        Show at most the first ``max_n`` ordered tokens (the paper shows a crop too).
    """
    fig, ax = subplots(ax=ax, figsize=(4.6, 3.8))
    order = np.argsort(labels, kind="stable")[:max_n]
    M = angular[np.ix_(order, order)]
    im = ax.imshow(M, cmap="CMRmap", vmin=float(M.min()), vmax=float(M.max()), interpolation="nearest")
    ax.set_xlabel("token (ordered by cluster)")
    ax.set_ylabel("token (ordered by cluster)")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="angular similarity between gradients")
    return fig


def plot_rank_frequency(env, *, ax=None, reference_slope: float | None = None, true_slope: float | None = None):
    """Cluster size vs rank for every K (viridis by K), the envelope and its fit, as Figure 5 right.

    Parameters
    ----------
    env : EnvelopeResult
    reference_slope : float, optional
        Draw the paper's slope through the fitted envelope at the window start (dashed grey).
    true_slope : float, optional
        Planted rank-frequency slope −(α+1), drawn the same way (dotted).
    """
    import matplotlib as mpl

    fig, ax = subplots(ax=ax, figsize=(4.6, 3.4))
    cmap = mpl.colormaps["viridis"]
    ks = list(env.ks)
    norm = mpl.colors.Normalize(vmin=min(ks), vmax=max(ks))
    for k in ks:
        s = env.sizes[k]
        ax.plot(np.arange(1, len(s) + 1), s, color=cmap(norm(k)), lw=0.8, alpha=0.8)
    r = np.arange(1, len(env.envelope) + 1)
    ax.plot(r, env.envelope, color="k", lw=1.2, label="envelope")
    lo, hi = env.ranks
    x = np.arange(lo, hi + 1)
    ax.plot(x, env.fit.predict(x), color=PALETTE[3], lw=2,
            label=f"fit, ranks {lo}–{hi}: slope {env.fit.slope:.2f}")
    y0 = env.fit.predict([lo])[0]
    for slope, ls, name in ((reference_slope, "--", "paper"), (true_slope, ":", "planted")):
        if slope is not None:
            ax.plot(x, y0 * (x / lo) ** slope, color="0.4", ls=ls, lw=1.2, label=f"{name} slope {slope:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rank of cluster")
    ax.set_ylabel("cluster size (tokens)")
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="number of clusters K")
    ax.legend(loc="lower left")
    return fig


def plot_solver_comparison(table, *, ax=None):
    """ARI against planted skills and seed-to-seed ARI for the fast and reference solvers (bars per K)."""
    fig, ax = subplots(ax=ax, figsize=(4.6, 3.0))
    metrics = [c for c in ("ari_truth_seed1", "ari_truth_seed2", "ari_seed_to_seed") if c in table.columns]
    labels = [f"K={r.K}\n{r.solver.split(' ')[0]}" for r in table.itertuples()]
    x = np.arange(len(table))
    w = 0.8 / len(metrics)
    names = {"ari_truth_seed1": "vs planted (seed 1)", "ari_truth_seed2": "vs planted (seed 2)",
             "ari_seed_to_seed": "seed 1 vs seed 2"}
    for i, m in enumerate(metrics):
        ax.bar(x + (i - (len(metrics) - 1) / 2) * w, table[m].to_numpy(), width=w, color=PALETTE[i], label=names[m])
    ax.set_xticks(x, labels)
    ax.set_ylabel("adjusted Rand index")
    ax.legend()
    return fig
