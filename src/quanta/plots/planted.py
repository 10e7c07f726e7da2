"""Figures of the planted-quanta chapter: pure functions from results to matplotlib figures."""

from __future__ import annotations

import numpy as np

from . import PALETTE, colors, log_axes, subplots

LN2 = np.log(2.0)


def plot_skill_frequencies(counts, probs, alphas, *, ax=None):
    """Rank-frequency of skill use in generated text (points) against p_k ∝ k^-(α+1) (lines).

    Parameters
    ----------
    counts : sequence of np.ndarray, shape (K,) each
        Segments of each skill in a sample, one array per α.
    probs : sequence of np.ndarray, shape (K,) each
        Generating frequencies.
    alphas : sequence of float
    """
    fig, ax = subplots(ax=ax)
    for c, p, a, col in zip(counts, probs, alphas, colors(len(alphas))):
        k = np.arange(1, len(p) + 1)
        frac = np.asarray(c, float) / np.sum(c)
        ax.plot(k[frac > 0], frac[frac > 0], "o", ms=2.5, color=col, alpha=0.8)
        ax.plot(k, p, "-", lw=1, color=col, label=f"α = {a:g}")
    log_axes(ax)
    ax.set_xlabel("skill frequency rank k")
    ax.set_ylabel("share of segments")
    ax.legend()
    return fig


def _heatmap(ax, data, x_labels, xlabel, vmax):
    im = ax.imshow(data.T, aspect="auto", cmap="copper", vmin=0, vmax=vmax, interpolation="nearest", origin="upper")
    ax.set_xticks(range(len(x_labels)))
    ax.set_xticklabels(x_labels, rotation=45, ha="right")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("skill (frequency rank)")
    return im


def plot_skill_emergence(result, alpha, *, ax=None):
    """Per-skill test loss (bits) against model size (left) and training step of the largest model (right).

    Skills are rows, most frequent on top, as in the paper's Figure 2 (bottom) heatmaps.
    """
    a = result.index(alpha)
    fig, axes = subplots(1, 2, figsize=(8.0, 3.4)) if ax is None else (ax[0].figure, ax)
    K = result.skill_loss.shape[-1]
    vmax = float(np.log2(result.cfg.language(alpha).n_symbols))
    size = result.skill_loss[a, :, -1, :] / LN2  # (M, K)
    _heatmap(axes[0], size, [f"{n / 1e3:.0f}k" for n in result.n_params], "non-embedding parameters", vmax)
    step = result.skill_loss[a, -1, :, :] / LN2  # (C, K)
    im = _heatmap(axes[1], step, [str(s) for s in result.steps], "training step (largest model)", vmax)
    for axx in axes:
        axx.set_yticks([0, K // 2, K - 1])
        axx.set_yticklabels([1, K // 2 + 1, K])
    fig.colorbar(im, ax=list(axes), label="test loss (bits)", shrink=0.9)
    return fig


def plot_learning_order(result, alpha, *, ax=None):
    """When each skill is learned (smallest member; first checkpoint of the largest) against its rank."""
    fig, axes = subplots(1, 2, figsize=(8.0, 3.0)) if ax is None else (ax[0].figure, ax)
    M, C = len(result.n_params), len(result.steps)
    for axx, first, ticks, lab, col in (
            (axes[0], result.learned_size(alpha), [f"{n / 1e3:.0f}k" for n in result.n_params], "smallest model that learned it", PALETTE[0]),
            (axes[1], result.learned_step(alpha), [str(s) for s in result.steps], "first step learned (largest model)", PALETTE[3])):
        k = np.arange(1, first.size + 1)
        ok = first >= 0
        rng = np.random.default_rng(0)
        jitter = rng.uniform(-0.15, 0.15, first.size)
        never = first == len(ticks)
        axx.plot(k[ok & ~never], first[ok & ~never] + jitter[ok & ~never], "o", ms=3, color=col, label="learned")
        axx.plot(k[never], first[never] + jitter[never], "x", ms=3, color="0.5", label="not learned")
        axx.set_yticks(range(len(ticks) + 1))
        axx.set_yticklabels(ticks + ["never"])
        axx.set_xscale("log")
        axx.set_xlabel("skill frequency rank k")
        axx.set_ylabel(lab)
    axes[0].legend(loc="upper left")
    return fig


def plot_alpha_n(result, fits, *, ax=None):
    """Mean labelled-token loss against N for each generating α (left) and the fitted α_N against α (right)."""
    fig, axes = subplots(1, 2, figsize=(8.0, 3.2)) if ax is None else (ax[0].figure, ax)
    N = result.n_params
    for a, (alpha, fit, col) in enumerate(zip(result.alphas, fits, colors(len(result.alphas)))):
        axes[0].plot(N, result.mean_labelled[a, :, -1] / LN2, "o", color=col, label=f"α = {alpha:g}")
        xs = np.geomspace(N.min(), N.max(), 50)
        axes[0].plot(xs, fit.predict(xs) / LN2, "-", lw=1, color=col)
    log_axes(axes[0])
    axes[0].set_xlabel("non-embedding parameters N")
    axes[0].set_ylabel("mean loss on labelled tokens (bits)")
    axes[0].legend()
    al = np.asarray(result.alphas)
    est = np.array([f.exponent for f in fits])
    lo = np.array([f.exponent_ci[0] for f in fits])
    hi = np.array([f.exponent_ci[1] for f in fits])
    axes[1].errorbar(al, est, yerr=[est - lo, hi - est], fmt="o", color=PALETTE[0], capsize=3, label="measured α_N")
    grid = np.linspace(0, al.max() * 1.1, 20)
    axes[1].plot(grid, grid, "--", color="0.4", lw=1, label="quantization model: α_N = α")
    axes[1].set_xlabel("generating α")
    axes[1].set_ylabel("α_N")
    axes[1].set_xlim(0, al.max() * 1.1)
    axes[1].set_ylim(bottom=min(0, float(lo.min()) * 1.1))
    axes[1].legend()
    return fig
