"""Figures of the theory chapter (paper §2, Appendix A)."""

from __future__ import annotations

import numpy as np

from . import PALETTE, colors, log_axes, subplots
from .. import theory as T


def plot_zipf_and_ln(alphas, *, n_max: int = 10_000, ax=None):
    """Left: use frequencies p_k. Right: exact L_n − a (Hurwitz zeta) vs the power-law approximation."""
    fig, (a0, a1) = subplots(1, 2)
    k = np.unique(np.geomspace(1, n_max, 200).astype(int))
    for c, alpha in zip(colors(len(alphas)), alphas):
        a0.plot(k, T.zipf_probs(alpha, k), color=c, label=f"α = {alpha:g}")
        a1.plot(k, T.tail_mass(alpha, k), color=c, label=f"α = {alpha:g}, exact")
        a1.plot(k, T.tail_mass_approx(alpha, k), color=c, ls="--", lw=1)
    for ax_ in (a0, a1):
        log_axes(ax_)
    a0.set_xlabel("quantum rank k")
    a0.set_ylabel("use frequency p_k")
    a0.legend()
    a1.set_xlabel("quanta learned n")
    a1.set_ylabel("L_n − a (units of b − a)")
    a1.plot([], [], color="grey", ls="--", lw=1, label="n^-α / (α ζ(α+1))")
    a1.legend()
    return fig


def plot_resource_scaling(res, *, ax=None):
    """Simulated loss vs parameters, data and steps for each α (all seeds), with fitted power laws."""
    fig, axes = subplots(1, 3)
    cfg = res.cfg
    for c, (i, alpha) in zip(colors(len(cfg.alphas)), enumerate(cfg.alphas)):
        for ax_, x, L, r, lab in ((axes[0], res.N, res.loss_N, "N", "parameters N"),
                                  (axes[1], res.D, res.loss_D, "D", "training samples D"),
                                  (axes[2], res.S, res.loss_S, "S", "steps S")):
            y = L[i] - cfg.a
            for s in range(y.shape[0]):
                ax_.plot(x, y[s], "o", ms=2, color=c, alpha=0.5)
            f = res.fits[(r, alpha)]
            xx = np.geomspace(*f.x_range, 50)
            ax_.plot(xx, f.predict(xx), color=c, lw=1.2, label=f"α={alpha:g}: {f.exponent:.3f}")
            log_axes(ax_)
            ax_.set_xlabel(lab)
    axes[0].set_ylabel("test loss − a (nats)")
    for ax_ in axes:
        ax_.legend(title="fitted exponent")
    return fig


def plot_exponents(res, *, ax=None):
    """Measured exponents (with bootstrap intervals) against the predictions α_N = α, α_D = α_S = α/(α+1)."""
    fig, ax = subplots(ax=ax)
    al = np.array(res.cfg.alphas)
    grid = np.linspace(0, al.max() * 1.1, 100)
    ax.plot(grid, grid, color="grey", lw=1, label="α_N = α")
    ax.plot(grid, grid / (1 + grid), color="grey", lw=1, ls="--", label="α_D = α_S = α/(α+1)")
    for (r, name, m), c in zip((("N", "α_N", "o"), ("D", "α_D", "s"), ("S", "α_S", "^")), PALETTE):
        est = np.array([res.fits[(r, a)].exponent for a in al])
        ci = np.array([res.fits[(r, a)].exponent_ci for a in al])
        ax.errorbar(al, est, yerr=[est - ci[:, 0], ci[:, 1] - est], fmt=m, color=c, ms=4, capsize=2,
                    label=f"{name} measured")
    ax.set_xlabel("α (quanta frequencies ∝ k^-(α+1))")
    ax.set_ylabel("scaling exponent")
    ax.legend()
    return fig


def plot_appendix_a(alphas, *, n_max: int = 100_000, ax=None):
    """L_n for a_k = 0 with b_k = −log p_k (solid) and b_k = 1 (dashed); dotted: Appendix A asymptotics."""
    fig, ax = subplots(ax=ax)
    n = np.unique(np.geomspace(1, n_max, 200).astype(int))
    for c, alpha in zip(colors(len(alphas)), alphas):
        ax.plot(n, T.loss_n_unigram(alpha, n), color=c, label=f"α = {alpha:g}")
        ax.plot(n, T.loss_n(alpha, n, a=0.0, b=1.0), color=c, ls="--", lw=1)
        ax.plot(n[n >= 10], T.loss_n_unigram_approx(alpha, n[n >= 10]), color=c, ls=":", lw=1)
    ax.plot([], [], color="grey", label="b_k = −log p_k")
    ax.plot([], [], color="grey", ls="--", lw=1, label="b_k = 1")
    ax.plot([], [], color="grey", ls=":", lw=1, label="asymptotic form")
    log_axes(ax)
    ax.set_xlabel("quanta learned n")
    ax.set_ylabel("mean loss L_n (nats)")
    ax.legend(ncol=2)
    return fig


def plot_emergence(em, *, ax=None):
    """Per-quantum loss vs step (thin, coloured by frequency rank) and their p-weighted mean (black)."""
    fig, ax = subplots(ax=ax)
    ql = em["quanta_loss"]
    for c, row in zip(colors(len(ql), "magma"), ql):
        ax.plot(em["S"], row, color=c, lw=1)
    ax.plot(em["S"], em["loss"], color="black", lw=2, label="mean loss (all quanta)")
    ax.set_xscale("log")
    ax.set_xlabel("step S")
    ax.set_ylabel("loss (nats)")
    ax.legend(loc="upper right")
    return fig
