"""Figures of the multitask sparse parity chapter (paper §3, Figures 2, 7-10). Pure: data in, figure out.

Losses arrive in bits (see :mod:`quanta.sparse_parity.analysis`). Dashed lines are the quantization
model's slopes (α for N, α/(α+1) for S and D) pinned to the data the way the paper pins them.
"""

from __future__ import annotations

import numpy as np

from matplotlib.ticker import NullFormatter

from . import PALETTE, colors, subplots
from . import log_axes as _log_axes

N_HEAT = 40  # subtasks shown in the heatmaps (the paper shows the first 40)


def log_axes(ax, x: bool = True, y: bool = True) -> None:
    """Log axes without minor tick labels (they collide on short decades)."""
    _log_axes(ax, x, y)
    for on, axis in ((x, ax.xaxis), (y, ax.yaxis)):
        if on:
            axis.set_minor_formatter(NullFormatter())


def _heat(ax, x, task, label, fig, *, vmax=1.0):
    """Per-subtask loss (bits) of the first subtasks against a log-spaced resource ``x``."""
    k = min(N_HEAT, task.shape[1])
    x = np.asarray(x, float)
    edges = np.sqrt(x[1:] * x[:-1])
    edges = np.concatenate([[x[0] ** 2 / edges[0]], edges, [x[-1] ** 2 / edges[-1]]]) if x.size > 1 else \
        np.array([x[0] / 1.5, x[0] * 1.5])
    im = ax.pcolormesh(edges, np.arange(k + 1) + 0.5, task[:, :k].T, cmap="copper", vmin=0, vmax=vmax,
                       shading="flat", rasterized=True)
    log_axes(ax, y=False)
    ax.invert_yaxis()
    ax.set_xlabel(label)
    ax.set_ylabel("subtask index")
    return im


def _theory(ax, x, y, slope, *, anchor="last", color="k", label=None):
    x = np.asarray(x, float)
    if anchor == "last":
        x0, y0 = x[-1], 0.9 * y[-1]
    else:
        x0, y0 = anchor
    ax.plot(x, y0 * (x / x0) ** slope, "--", color=color, lw=1, label=label)


def plot_fig2(p: dict, alpha: float, *, stop_s: tuple[int, int] | None = None):
    """Figure 2 analog: mean loss vs N, S, D (top) and per-subtask loss heatmaps (bottom).

    Parameters
    ----------
    p : dict from :func:`quanta.sparse_parity.analysis.fig2_panels`
    alpha : float
        Paper α of the sweep (theory slopes α, α/(α+1)).
    stop_s : (lo, hi), optional
        Step window over which the S theory line is drawn.
    """
    fig, ax = subplots(2, 3, figsize=(10, 5.4))
    s_exp = alpha / (alpha + 1)
    a = ax[0, 0]
    a.plot(p["N"], p["loss_N"], "o", ms=3, color=PALETTE[0])
    _theory(a, p["N"][p["N"] >= np.median(p["N"])], p["loss_N"][p["N"] >= np.median(p["N"])], -alpha,
            label=f"N^-{alpha:g} (theory)")
    log_axes(a)
    a.set_xlabel("parameters N")
    a.set_ylabel("test loss (bits)")
    a.legend()
    a = ax[0, 1]
    st, ls = p["steps"], p["loss_S"]
    keep = st > 0
    a.plot(st[keep], ls[keep], color=PALETTE[0])
    lo, hi = stop_s if stop_s else (st[keep][len(st[keep]) // 4], st[-1])
    xs = st[(st >= lo) & (st <= hi)]
    if xs.size:
        y0 = np.interp(xs[0], st, ls)
        _theory(a, xs, None, -s_exp, anchor=(xs[0], y0), label=f"S^-{s_exp:.3f} (theory)")
    log_axes(a)
    a.set_xlabel("step S")
    a.legend()
    a = ax[0, 2]
    a.plot(p["D"], p["loss_D"], "o", ms=3, color=PALETTE[0])
    big = p["D"] >= np.median(p["D"])
    _theory(a, p["D"][big], p["loss_D"][big], -s_exp, label=f"D^-{s_exp:.3f} (theory)")
    log_axes(a)
    a.set_xlabel("training samples D")
    a.legend()
    _heat(ax[1, 0], p["N"], p["task_N"], "parameters N", fig)
    _heat(ax[1, 1], np.maximum(p["steps"], 1), p["task_S"], "step S", fig)
    im = _heat(ax[1, 2], p["D"], p["task_D"], "training samples D", fig)
    cb = fig.colorbar(im, ax=ax[1, :], shrink=0.9, pad=0.01)
    cb.set_label("subtask loss (bits, 1.0+)")
    return fig


def plot_training_curves(single: dict, multi: dict):
    """Figure 7 analog: per-subtask loss curves, single-epoch (left) and multi-epoch (right).

    Parameters
    ----------
    single : dict with ``steps`` (T,), ``task`` (T, n_tasks) bits, ``loss`` (T,) bits
    multi : dict from :func:`quanta.sparse_parity.analysis.multi_epoch_curves`
    """
    fig, ax = subplots(1, 2, figsize=(9, 3.3))
    for a, d in ((ax[0], single), (ax[1], multi)):
        st = np.maximum(np.asarray(d["steps"]), 1)
        k = d["task"].shape[1]
        cols = colors(k, "magma")
        for i in range(k - 1, -1, -1):
            a.plot(st, d["task"][:, i], color=cols[i], lw=0.6, alpha=0.7)
        a.plot(st, d["loss"], color="k", lw=1.6, label="mean (Zipf-weighted)")
        log_axes(a, y=False)
        a.set_xlabel("step")
        a.set_ylim(0, 2.0)
    ax[0].set_ylabel("test loss (bits)")
    ax[1].axvline(max(multi["stop"], 1), color=PALETTE[3], ls="--", lw=1, label="early stopping")
    ax[1].legend(loc="upper right")
    ax[0].legend(loc="upper right")
    return fig


def plot_convergence(probs, conv_steps, conv_fit, steps, loss, s_fit):
    """Figure 8 analog: convergence step vs subtask frequency (left), mean loss vs step (right).

    Parameters
    ----------
    probs, conv_steps : (n_tasks,) ; conv_fit, s_fit : PowerLawFit or None
    steps, loss : (T,) mean loss curve in bits
    """
    fig, ax = subplots(1, 2, figsize=(9, 3.3))
    a = ax[0]
    ok = np.isfinite(conv_steps)
    a.plot(np.asarray(probs)[ok], np.asarray(conv_steps)[ok], "o", ms=3, color=PALETTE[0], label="subtasks")
    if conv_fit is not None:
        pp = np.geomspace(np.asarray(probs)[ok].min(), np.asarray(probs)[ok].max(), 50)
        a.plot(pp, conv_fit.predict(pp), "-", color=PALETTE[1], label=f"fit: slope {conv_fit.slope:.2f}")
        c = float(np.exp(np.mean(np.log(np.asarray(conv_steps)[ok] * np.asarray(probs)[ok]))))
        a.plot(pp, c / pp, "--", color=PALETTE[4], lw=1, label="∝ 1/p (theory)")
    if ok.any():
        log_axes(a)
    else:
        a.text(0.5, 0.5, "no subtask converged", transform=a.transAxes, ha="center")
    a.set_xlabel("subtask frequency p")
    a.set_ylabel("convergence step (loss < 0.1 bits)")
    a.legend()
    a = ax[1]
    st = np.asarray(steps)
    keep = st > 0
    a.plot(st[keep], np.asarray(loss)[keep], color=PALETTE[0], label="mean test loss")
    if s_fit is not None:
        xs = np.geomspace(*s_fit.x_range, 50)
        a.plot(xs, s_fit.predict(xs), "--", color=PALETTE[1], label=f"fit: α_S = {s_fit.exponent:.3f}")
    log_axes(a)
    a.set_xlabel("step S")
    a.set_ylabel("test loss (bits)")
    a.legend()
    return fig


def plot_learned_vs_d(alphas, Ds, learned, fits):
    """Figure 9 analog: subtasks learned (min loss < 0.1 nats) against D for several α.

    Parameters
    ----------
    alphas : (A,) ; Ds, learned : lists of (K,) arrays ; fits : list of PowerLawFit or None
    """
    fig, ax = subplots()
    cols = colors(len(alphas))
    for a_, D, n, f, c in zip(alphas, Ds, learned, fits, cols):
        lab = f"α={a_:g}" + (f": slope {f.slope:.2f} (theory {1 / (a_ + 1):.2f})" if f is not None else "")
        ax.plot(D, np.maximum(n, 0.8), "o-", ms=3, color=c, lw=0.8, label=lab)
    log_axes(ax)
    ax.set_xlabel("training samples D")
    ax.set_ylabel("subtasks learned n")
    ax.legend()
    return fig


def plot_exponents_vs_alpha(summary: dict, paper: dict):
    """Figure 10 analog: α_N, α_S, α_D against α, ours (with 95 % intervals), theory and the paper's.

    Parameters
    ----------
    summary : dict from :func:`quanta.sparse_parity.analysis.alpha_sweep_summary`
    paper : dict ``{"alpha_n": {α: value}, "alpha_s": {...}, "alpha_d": {...}}``
    """
    fig, ax = subplots(1, 3, figsize=(10, 3.2), sharey=True)
    grid = np.linspace(0.05, 0.85, 50)
    theory = {"alpha_n": grid, "alpha_s": grid / (grid + 1), "alpha_d": grid / (grid + 1)}
    names = {"alpha_n": "α_N", "alpha_s": "α_S", "alpha_d": "α_D"}
    for a, k in zip(ax, ("alpha_n", "alpha_s", "alpha_d")):
        a.plot(grid, theory[k], "--", color="k", lw=1, label="theory")
        pa = paper.get(k, {})
        if pa:
            a.plot(list(pa), list(pa.values()), "s", mfc="none", color=PALETTE[1], ms=4, label="paper")
        y, ci = summary[k], summary[k + "_ci"]
        ok = np.isfinite(y)
        a.errorbar(summary["alpha"][ok], y[ok], yerr=np.abs(ci[ok].T - y[ok]), fmt="o", ms=4,
                   color=PALETTE[0], capsize=2, label="ours")
        a.set_xlabel("α (Zipf: p_i ∝ i^-(α+1))")
        a.set_ylabel(names[k])
    ax[0].legend()
    return fig
