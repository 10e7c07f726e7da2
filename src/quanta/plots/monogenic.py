"""Plots of the monogenic / polygenic chapter (paper §4.2, Figures 4 and 12).

Pure functions: a :class:`~quanta.monogenic.curves.TokenClasses` (or a table derived from it) in, a
matplotlib Figure out. Losses are drawn in bits, as in every figure of the paper; thresholds are
stored in nats and converted here.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from quanta.monogenic.criteria import TokenClasses
from quanta.monogenic.curves import LN2
from quanta.monogenic.gallery import KIND_COLOURS, Example
from quanta.plots import PALETTE, subplots


def _log_x(ax) -> None:
    """Log x axis with labelled decades only (minor labels clutter a 1–3 decade axis)."""
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())


def _fmt_size(n: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.3g}{suffix}"
    return f"{n:.3g}"


def _short(text: str, n: int = 14) -> str:
    text = text.replace("\n", "↵").replace("\t", "⇥")
    if not text.strip():
        text = text.replace(" ", "␣") or "∅"
    return text if len(text) <= n else text[: n - 1] + "…"


def plot_gallery(classes: TokenClasses, examples: Sequence[Example], *, ncols: int = 3, axes=None):
    """Small multiples: one token's loss (bits) against parameters per panel (Figures 4 and 12).

    Each panel carries the example's letter and its target token (the HTML gallery shows the full
    context under the same letter); dashed lines mark the monogenic thresholds.

    Parameters
    ----------
    classes : TokenClasses
    examples : sequence of Example
    ncols : int
        Panels per row.
    axes : array of Axes, optional
        At least ``len(examples)`` axes to draw into.
    """
    n = len(examples)
    if n == 0:
        raise ValueError("examples must hold at least one Example")
    if axes is None:
        nrows = -(-n // ncols)
        fig, axes = subplots(nrows, min(ncols, n), figsize=(2.4 * min(ncols, n), 1.75 * nrows),
                             squeeze=False, sharex=True)
    else:
        fig = np.ravel(axes)[0].figure
    flat = np.ravel(axes)
    cr = classes.criteria
    for ax, e in zip(flat, examples):
        y = classes.losses[e.index] / LN2
        c = KIND_COLOURS.get(e.kind, PALETTE[0])
        ax.plot(classes.sizes, y, "-o", color=c, ms=3, lw=1.4)
        for v in (cr.mono_high, cr.mono_low):
            ax.axhline(v / LN2, color="0.6", ls="--", lw=0.7)
        _log_x(ax)
        ax.set_ylim(bottom=0, top=max(float(y.max()), cr.mono_high / LN2) * 1.12)
        ax.text(0.03, 0.04, f"({e.label}) {e.kind}", transform=ax.transAxes, fontsize=7, color=c,
                va="bottom")
        if e.target:
            ax.text(0.97, 0.96, f"“{_short(e.target)}”", transform=ax.transAxes, fontsize=7.5,
                    ha="right", va="top", family="monospace")
    for ax in flat[n:]:
        ax.set_visible(False)
    ncol = np.shape(axes)[-1] if np.ndim(axes) == 2 else len(flat)
    for k, ax in enumerate(flat[:n]):
        if k % ncol == 0:
            ax.set_ylabel("loss (bits)")
        if k + ncol >= n:
            ax.set_xlabel("parameters")
            ax.xaxis.set_tick_params(labelbottom=True)
    return fig


def plot_criteria(classes: TokenClasses, *, max_points: int = 20_000, seed: int = 0, ax=None):
    """Every token's log-linear fit: slope (bits per e-fold) against R², criteria regions marked.

    The polygenic box (slope below the threshold, R² above it) is shaded; monogenic tokens are drawn
    on top in their own colour.
    """
    fig, ax = subplots(ax=ax)
    rng = np.random.default_rng(seed)
    t = classes.n_tokens
    pick = rng.choice(t, size=min(t, max_points), replace=False) if t > max_points else np.arange(t)
    mono = classes.monogenic[pick]
    poly = classes.polygenic[pick]
    slope = classes.slope[pick] / LN2
    r2 = classes.r2[pick]
    rest = ~(mono | poly)
    ax.scatter(slope[rest], r2[rest], s=3, color="0.7", lw=0, label="neither", rasterized=True)
    ax.scatter(slope[poly], r2[poly], s=5, color=KIND_COLOURS["polygenic"], lw=0, label="polygenic")
    ax.scatter(slope[mono], r2[mono], s=9, color=KIND_COLOURS["monogenic"], lw=0, label="monogenic")
    cr = classes.criteria
    lo = min(float(slope.min()), cr.poly_slope / LN2) * 1.05 if slope.size else cr.poly_slope / LN2
    ax.axvspan(lo, cr.poly_slope / LN2, ymin=cr.poly_r2, ymax=1.0, color=KIND_COLOURS["polygenic"],
               alpha=0.12, lw=0)
    ax.axvline(cr.poly_slope / LN2, color="0.4", ls="--", lw=0.8)
    ax.axhline(cr.poly_r2, color="0.4", ls="--", lw=0.8)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("slope of loss vs ln N (bits per e-fold)")
    ax.set_ylabel("R² of the log-linear fit")
    ax.legend(loc="lower left", markerscale=2)
    return fig


def plot_criteria_by_corpus(by_corpus: Mapping[str, TokenClasses], *, max_points: int = 20_000,
                            seed: int = 0, axes=None):
    """:func:`plot_criteria` side by side, one panel per corpus (named inside the panel)."""
    if not by_corpus:
        raise ValueError("by_corpus must hold at least one corpus")
    n = len(by_corpus)
    if axes is None:
        fig, axes = subplots(1, n, figsize=(4.0 * n, 3.0), squeeze=False, sharey=True)
    else:
        fig = np.ravel(axes)[0].figure
    for ax, (name, c) in zip(np.ravel(axes), by_corpus.items()):
        plot_criteria(c, max_points=max_points, seed=seed, ax=ax)
        ax.text(0.98, 0.5, name, transform=ax.transAxes, ha="right", va="center", fontsize=8)
    for ax in np.ravel(axes)[1:]:
        ax.set_ylabel("")
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    return fig


def plot_score_distribution(by_corpus: Mapping[str, TokenClasses], *, bins: int = 25, ax=None):
    """Histogram of breakthroughness per corpus, with the floor 1/(M−1) of each suite marked."""
    if not by_corpus:
        raise ValueError("by_corpus must hold at least one corpus")
    fig, ax = subplots(ax=ax)
    edges = np.linspace(0.0, 1.0, bins + 1)
    for k, (name, c) in enumerate(by_corpus.items()):
        s = c.score[np.isfinite(c.score)]
        col = PALETTE[k % len(PALETTE)]
        ax.hist(s, bins=edges, density=True, histtype="step", lw=1.6, color=col,
                label=f"{name} ({s.size:,} tokens)")
        ax.axvline(1.0 / (c.sizes.size - 1), color=col, ls=":", lw=1)
    ax.set_xlim(0, 1)
    ax.set_xlabel("breakthroughness (share of loss drop between two adjacent sizes)")
    ax.set_ylabel("density")
    ax.legend(loc="upper center")
    return fig


def plot_group_shares(table, *, unit: str = "tokens", ax=None):
    """Grouped bars per group (e.g. skill family): monogenic share, polygenic share, sharp share.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`quanta.monogenic.analysis.group_table`: index = group, columns
        ``share_monogenic``, ``share_polygenic``, ``share_sharp``.
    unit : str
        What the rows count (``"tokens"``, ``"skills"``), for the axis label.
    """
    cols = [("share_monogenic", "monogenic", KIND_COLOURS["monogenic"]),
            ("share_sharp", "breakthroughness > 1/2", KIND_COLOURS["sharpest"]),
            ("share_polygenic", "polygenic", KIND_COLOURS["polygenic"])]
    missing = [c for c, _, _ in cols if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks columns {missing}")
    fig, ax = subplots(ax=ax, figsize=(5.2, 3.0))
    x = np.arange(len(table))
    w = 0.27
    for k, (col, label, colour) in enumerate(cols):
        ax.bar(x + (k - 1) * w, table[col].to_numpy(), width=w, color=colour, label=label)
    ax.set_xticks(x, [str(i) for i in table.index], rotation=0)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"share of {unit}")
    ax.legend(loc="upper right", ncols=1)
    return fig


def plot_group_curves(curves, *, ax=None):
    """Mean loss (bits) of each group's tokens against parameters, one line per group.

    Parameters
    ----------
    curves : pandas.DataFrame
        From :func:`quanta.monogenic.analysis.group_curves`: rows = groups, columns = sizes, nats.
    """
    fig, ax = subplots(ax=ax)
    sizes = np.asarray(curves.columns, dtype=float)
    for k, (name, row) in enumerate(curves.iterrows()):
        style = dict(color="0.45", ls="--") if name == "unlabelled" else dict(color=PALETTE[k % len(PALETTE)])
        ax.plot(sizes, row.to_numpy() / LN2, marker="o", ms=3, lw=1.5, label=str(name), **{"ls": "-", **style})
    _log_x(ax)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("parameters (non-embedding)")
    ax.set_ylabel("mean loss (bits)")
    ax.legend(loc="upper right", ncols=2, fontsize=7)
    return fig


def plot_drop_vs_rank(table, *, sizes=None, order=None, ax=None):
    """Where each skill's tokens drop most, against the skill's frequency rank (one point per skill).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`quanta.monogenic.analysis.skill_table`: columns ``rank``, ``median_gap``,
        ``family``.
    sizes : array_like, shape (M,), optional
        Model sizes: the y ticks then name the pair of sizes of each gap.
    order : sequence of str, optional
        Families in colour order (to match the other figures of the chapter).
    """
    fig, ax = subplots(ax=ax)
    fams = list(order) if order is not None else list(dict.fromkeys(table["family"]))
    rng = np.random.default_rng(0)
    for k, f in enumerate(fams):
        sub = table[table["family"] == f]
        if sub.empty:
            continue
        jitter = rng.uniform(-0.12, 0.12, len(sub))
        ax.scatter(sub["rank"], sub["median_gap"] + jitter, s=12, color=PALETTE[k % len(PALETTE)],
                   label=f, lw=0)
    ax.set_xscale("log")
    if sizes is not None:
        s = np.asarray(sizes, dtype=float)
        ax.set_yticks(np.arange(s.size - 1),
                      [f"{_fmt_size(a)}→{_fmt_size(b)}" for a, b in zip(s[:-1], s[1:])])
        ax.set_ylabel("largest drop between sizes")
    else:
        ax.set_ylabel("gap of the largest drop (index)")
    ax.set_xlabel("skill frequency rank")
    ax.legend(loc="best", ncols=2, fontsize=7)
    return fig
