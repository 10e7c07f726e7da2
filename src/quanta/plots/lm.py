"""Plots of the per-token-loss chapter (paper §4.1, Figures 3 and 11).

Pure functions: a :class:`~quanta.lm.analysis.SizeScaling` or :class:`~quanta.lm.analysis.Dynamics`
in, a matplotlib Figure out. Losses in bits; sizes coloured with viridis and checkpoints with plasma,
as in the paper's figures.
"""

from __future__ import annotations

import numpy as np

from quanta.plots import colors, subplots


def _fmt_size(n: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.3g}{suffix}"
    return f"{n:.3g}"


def _smooth(y: np.ndarray, k: int) -> np.ndarray:
    if k <= 1:
        return y
    w = np.ones(k) / k
    return np.convolve(y, w, mode="same")


def plot_mean_loss(scaling, *, ax=None, label: str | None = None, color=None):
    """Mean test loss (bits) against non-embedding parameters, log-log, with the fitted power law."""
    fig, ax = subplots(ax=ax)
    n, y = scaling.n_params.astype(float), scaling.mean_bits
    cols = colors(len(n))
    ax.scatter(n, y, c=cols if color is None else color, zorder=3, s=22, label=label)
    xs = np.geomspace(n.min() / 1.3, n.max() * 1.3, 50)
    a = scaling.fit.exponent
    lo, hi = scaling.fit.exponent_ci
    ax.plot(xs, scaling.fit.predict(xs), "--", color="0.3" if color is None else color, lw=1,
            label=f"$L \\propto N^{{-{a:.3f}}}$ [{lo:.3f}, {hi:.3f}]")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("non-embedding parameters $N$")
    ax.set_ylabel("mean test loss (bits/token)")
    ax.legend(loc="upper right")
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    return fig


def plot_distributions(centers, density, labels, cmap: str = "viridis", *, axes=None, smooth: int = 1,
                       xlim_lp: float = 18.0):
    """p(L) on a log loss axis and L·p(L) on a linear one, one curve per column of ``density`` (B, K)."""
    if axes is None:
        fig, axes = subplots(1, 2, figsize=(7.0, 2.8))
    fig = axes[0].figure
    cols = colors(density.shape[1], cmap)
    for j in range(density.shape[1]):
        p = _smooth(density[:, j], smooth)
        axes[0].plot(centers, p, color=cols[j], lw=1, label=labels[j])
        axes[1].plot(centers, centers * p, color=cols[j], lw=1, label=labels[j])
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlim(centers[0], centers[-1])
    axes[0].set_xlabel("per-token loss $L$ (bits)")
    axes[0].set_ylabel("$p(L)$")
    axes[1].set_xlim(0, xlim_lp)
    axes[1].set_ylim(bottom=0)
    axes[1].set_xlabel("per-token loss $L$ (bits)")
    axes[1].set_ylabel("$L\\,p(L)$")
    axes[1].legend(loc="upper right", ncol=1 if len(labels) <= 6 else 2)
    return fig


def plot_size_scaling(scaling, *, smooth: int = 1):
    """Figure 3 analog: mean loss vs N with its power law, p(L) and L·p(L) for every size."""
    fig, axes = subplots(1, 3, figsize=(10.0, 2.9))
    plot_mean_loss(scaling, ax=axes[0])
    plot_distributions(scaling.centers_bits, scaling.density, [_fmt_size(n) for n in scaling.n_params],
                       axes=axes[1:], smooth=smooth)
    return fig


def plot_dynamics(dyn, *, smooth: int = 1):
    """Figure 11 analog: mean loss vs step for every member (with α_S fits), p(L) and L·p(L) of one
    member at every checkpoint."""
    fig, axes = subplots(1, 3, figsize=(10.0, 2.9))
    ax = axes[0]
    cols = colors(len(dyn.names))
    for m, name in enumerate(dyn.names):
        ax.plot(dyn.steps, dyn.mean_bits[m], "o-", ms=3, lw=1, color=cols[m], label=_fmt_size(dyn.n_params[m]))
        f = dyn.fits[m]
        if f is not None:
            xs = np.geomspace(*dyn.fit_steps, 30)
            ax.plot(xs, f.predict(xs), "--", lw=0.8, color=cols[m])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training step $S$")
    ax.set_ylabel("mean test loss (bits/token)")
    ax.axvspan(*dyn.fit_steps, color="0.92", zorder=0)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.legend(loc="upper right", ncol=2)
    plot_distributions(dyn.centers_bits, dyn.density, [f"step {s}" for s in dyn.steps], "plasma", axes=axes[1:],
                       smooth=smooth)
    return fig


def plot_corpora(scalings: dict):
    """Mean loss vs N for several corpora on one axis (each with its own fitted power law)."""
    fig, ax = subplots()
    from quanta.plots import PALETTE

    for (name, sc), c in zip(scalings.items(), PALETTE):
        n = sc.n_params.astype(float)
        ax.scatter(n, sc.mean_bits, color=c, s=18, zorder=3, label=name)
        xs = np.geomspace(n.min() / 1.3, n.max() * 1.3, 50)
        ax.plot(xs, sc.fit.predict(xs), "--", color=c, lw=1, label=f"$\\alpha_N$ = {sc.fit.exponent:.3f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("non-embedding parameters $N$")
    ax.set_ylabel("mean test loss (bits/token)")
    ax.legend()
    return fig
