"""Shared plotting style. Chapter plots live in ``quanta.plots.<chapter>`` as pure functions
``plot_<thing>(result, *, ax=None) -> Figure``: data in, figure out, never saved here (see
:mod:`quanta.figures`). Lowercase axis labels with units, no titles (the caption is the title)."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

#: Okabe-Ito colour-blind safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

_RC = {
    "figure.figsize": (4.5, 3.2),
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "legend.frameon": False,
    "svg.hashsalt": "quanta",
}


def style() -> None:
    """Apply the project's matplotlib style (idempotent)."""
    mpl.rcParams.update(_RC)


def subplots(nrows: int = 1, ncols: int = 1, *, ax=None, figsize=None, **kwargs):
    """``(fig, ax)``: a new figure in the project style, or the figure of a given ``ax``."""
    style()
    if ax is not None:
        return ax.figure, ax
    if figsize is None and (nrows, ncols) != (1, 1):
        w, h = _RC["figure.figsize"]
        figsize = (min(w * ncols * 0.85, 10.0), h * nrows * 0.9)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **kwargs)
    return fig, axes


def log_axes(ax, x: bool = True, y: bool = True) -> None:
    if x:
        ax.set_xscale("log")
    if y:
        ax.set_yscale("log")


def colors(n: int, cmap: str = "viridis"):
    """``n`` colours sampled from a perceptually uniform colormap (for ordered series)."""
    cm = mpl.colormaps[cmap]
    return [cm(x) for x in ([0.5] if n == 1 else [i / (n - 1) * 0.9 for i in range(n)])]
