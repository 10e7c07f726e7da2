"""Plots of the appendices: the toy model of clustering bias and QDG on sparse parity (D), and the
exponents across published studies (E). Pure functions: data in, ``Figure`` out."""

from __future__ import annotations

import numpy as np

from . import PALETTE, colors, log_axes, subplots


def _curve(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(sizes, dtype=float)
    s = s[s > 0]
    return np.arange(1, s.size + 1), s


# --------------------------------------------------------------------------------------------
# appendix D.2: the toy model


def plot_toy_sweep(result: dict) -> "Figure":
    """Rank-frequency curves of the toy for each (d, σ) panel, one curve per k (Figure 16 analog).

    Parameters
    ----------
    result : dict
        From :func:`quanta.toymodels.sweep`: ``sizes`` (n_d, n_σ, n_k, max k), ``true_sizes``,
        ``dims``, ``sigmas``, ``ks``, ``ari`` (n_d, n_σ, n_k).
    """
    sizes, dims, sigmas, ks = result["sizes"], result["dims"], result["sigmas"], result["ks"]
    nd, ns = len(dims), len(sigmas)
    fig, axes = subplots(nd, ns, figsize=(2.3 * ns + 0.6, 1.9 * nd + 0.4), sharex=True, sharey=True,
                         squeeze=False)
    cols = colors(len(ks))
    tr, ts = _curve(result["true_sizes"])
    for i in range(nd):
        for j in range(ns):
            ax = axes[i, j]
            ax.plot(tr, ts, color="black", ls="--", lw=0.9, label="planted")
            for m, k in enumerate(ks):
                r, s = _curve(sizes[i, j, m])
                ax.plot(r, s, color=cols[m], lw=1.1,
                        label=f"k = {int(k)} (ARI {result['ari'][i, j, m]:.2f})")
            log_axes(ax)
            ax.text(0.97, 0.95, f"d = {int(dims[i])}, σ = {sigmas[j]:g}", transform=ax.transAxes,
                    ha="right", va="top", fontsize=7.5)
            if i == nd - 1:
                ax.set_xlabel("rank")
            if j == 0:
                ax.set_ylabel("cluster size")
            ax.legend(loc="lower left", fontsize=5.5, handlelength=1.2)
    return fig


def plot_toy_envelope(result: dict, *, alpha_index: int = 0, seed_index: int = 0, ax=None):
    """The k curves of one toy draw, their envelope and the fitted envelope slope.

    Parameters
    ----------
    result : dict
        From :func:`quanta.toymodels.slopes`.
    alpha_index, seed_index : int
        Which draw to show.
    """
    from ..fitting import fit_rank_frequency

    fig, ax = subplots(ax=ax)
    ks = result["ks"]
    cols = colors(len(ks))
    for m, k in enumerate(ks):
        r, s = _curve(result["sizes"][alpha_index, seed_index, m])
        ax.plot(r, s, color=cols[m], lw=0.9, alpha=0.8, label=f"k = {int(k)}")
    r, env = _curve(result["envelopes"][alpha_index, seed_index])
    ax.plot(r, env, color="black", lw=1.6, label="envelope")
    lo, hi = (int(x) for x in result["rank_range"])
    fit = fit_rank_frequency(result["envelopes"][alpha_index, seed_index], rank_min=lo, rank_max=hi,
                             n_boot=0)
    rr = np.arange(lo, hi + 1)
    ax.plot(rr, fit.predict(rr) * 1.6, color=PALETTE[3], lw=1.2, ls="--",
            label=f"fit ranks {lo}–{hi}: slope {fit.slope:.2f}")
    alpha = result["alphas"][alpha_index]
    ax.plot(rr, fit.predict(lo) * 1.6 * (rr / lo) ** (-alpha), color="grey", lw=1, ls=":",
            label=f"planted slope −{alpha:g}")
    log_axes(ax)
    ax.set_xlabel("rank")
    ax.set_ylabel("cluster size")
    ax.legend(fontsize=6)
    return fig


def plot_slope_vs_alpha(result: dict, calibration=None, *, level: float = 0.95, ax=None):
    """Envelope exponent against the planted α, seeds and their mean ± s.d. (Figure 17 analog).

    With a :class:`quanta.toymodels.Calibration`, also draws its line and prediction band.
    """
    fig, ax = subplots(ax=ax)
    alphas, expo = np.asarray(result["alphas"]), np.asarray(result["exponent"])
    for s in range(expo.shape[1]):
        ax.scatter(alphas, expo[:, s], s=7, color=PALETTE[5], alpha=0.6, lw=0,
                   label="one seed" if s == 0 else None)
    sd = expo.std(axis=1, ddof=1) if expo.shape[1] > 1 else np.zeros(len(alphas))
    ax.errorbar(alphas, expo.mean(axis=1), yerr=sd, fmt="o", ms=4, color=PALETTE[0], capsize=2,
                label="mean ± s.d. over seeds")
    grid = np.linspace(alphas.min() - 0.05, alphas.max() + 0.05, 100)
    ax.plot(grid, grid, color="black", lw=0.9, ls="--", label="measured = planted")
    if calibration is not None:
        lo, hi = calibration.prediction_band(grid, level=level)
        ax.plot(grid, calibration.predict(grid), color=PALETTE[3], lw=1.2, label="calibration line")
        ax.fill_between(grid, lo, hi, color=PALETTE[3], alpha=0.15, lw=0,
                        label=f"{level:.0%} prediction band")
    ax.set_xlabel("planted exponent α")
    ax.set_ylabel("envelope exponent (−slope)")
    ax.legend(fontsize=6.5)
    return fig


def plot_correction(calibration, corrections: dict, *, truths: dict | None = None, level: float = 0.95,
                    ax=None):
    """Measured envelope exponents read back through the calibration line.

    Parameters
    ----------
    calibration : quanta.toymodels.Calibration
    corrections : dict
        Label -> :class:`quanta.toymodels.CorrectedExponent`.
    truths : dict, optional
        Label -> planted exponent, drawn as a diamond on the measurement's line where known.
    """
    fig, ax = subplots(ax=ax, figsize=(6.2, 3.4))
    vals = [c.measured for c in corrections.values()] + [
        c.estimate for c in corrections.values() if c.bounded]
    lo_a = min([calibration.alpha_range[0]] + vals) - 0.1
    hi_a = max([calibration.alpha_range[1]] + vals) + 0.1
    grid = np.linspace(lo_a, hi_a, 200)
    blo, bhi = calibration.prediction_band(grid, level=level)
    ax.plot(grid, calibration.predict(grid), color=PALETTE[3], lw=1.2, label="calibration line")
    ax.fill_between(grid, blo, bhi, color=PALETTE[3], alpha=0.15, lw=0)
    ax.plot(grid, grid, color="black", lw=0.9, ls="--", label="no bias")
    ax.axvspan(*calibration.alpha_range, color="grey", alpha=0.08, lw=0, label="calibrated range")
    for n, (label, c) in enumerate(corrections.items()):
        col = PALETTE[(n * 2) % len(PALETTE)]
        ax.axhline(c.measured, color=col, lw=0.8, ls=":")
        if c.measured_ci is not None:
            ax.axhspan(*c.measured_ci, color=col, alpha=0.06, lw=0)
        if not c.bounded:
            ax.plot([], [], color=col, ls=":", label=f"{label}: {c.measured:.2f} (not correctable)")
            continue
        lo, hi = c.ci
        lo, hi = max(lo, lo_a), min(hi, hi_a)
        ax.errorbar([c.estimate], [c.measured], xerr=[[c.estimate - lo], [hi - c.estimate]], fmt="s",
                    ms=4, color=col, capsize=2, label=f"{label}: {c.measured:.2f} → {c.estimate:.2f}")
        if truths and truths.get(label) is not None:
            ax.plot([truths[label]], [c.measured], marker="D", ms=5, mfc="none", color=col, ls="none",
                    label=f"{label}: planted {truths[label]:.2f}")
    ax.set_xlim(lo_a, hi_a)
    ax.set_xlabel("true rank-frequency exponent")
    ax.set_ylabel("measured envelope exponent")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


# --------------------------------------------------------------------------------------------
# appendix D.1: QDG on multitask sparse parity


def plot_similarity_by_subtask(similarity: np.ndarray, subtasks: np.ndarray, *, max_subtask=None,
                               ax=None):
    """The QDG similarity matrix Ĉ with samples ordered by their true subtask (Figure 15 left).

    Parameters
    ----------
    similarity : numpy.ndarray, shape (n, n)
    subtasks : numpy.ndarray, shape (n,), int
        True subtask of each sample (0-based).
    max_subtask : int, optional
        Show only samples of subtasks below this.
    """
    fig, ax = subplots(ax=ax, figsize=(3.6, 3.1))
    subtasks = np.asarray(subtasks)
    order = np.argsort(subtasks, kind="stable")
    if max_subtask is not None:
        order = order[subtasks[order] < max_subtask]
    c = similarity[np.ix_(order, order)]
    im = ax.imshow(c, cmap="CMRmap", interpolation="nearest", vmin=float(c.min()),
                   vmax=float(np.percentile(c, 99.5)))
    bounds = np.flatnonzero(np.diff(subtasks[order])) + 0.5
    for b in bounds[:40]:
        ax.axhline(b, color="white", lw=0.2, alpha=0.5)
        ax.axvline(b, color="white", lw=0.2, alpha=0.5)
    ax.set_xlabel("sample (ordered by true subtask)")
    ax.set_ylabel("sample (ordered by true subtask)")
    fig.colorbar(im, ax=ax, shrink=0.8, label="angular similarity Ĉ")
    return fig


def plot_parity_rank_frequency(sizes_by_k: dict, true_counts: np.ndarray, *, planted_exponent: float,
                               fit=None, ax=None):
    """Rank-frequency curves of QDG clusters for several k, their envelope, the planted slope.

    Parameters
    ----------
    sizes_by_k : dict
        k -> cluster sizes in decreasing order.
    true_counts : numpy.ndarray
        Number of selected samples of each true subtask, decreasing.
    planted_exponent : float
        α + 1 of the task's Zipf distribution (1.4 in the paper).
    fit : quanta.fitting.PowerLawFit, optional
        Envelope fit to draw.
    """
    from ..fitting import envelope

    fig, ax = subplots(ax=ax)
    ks = sorted(sizes_by_k)
    cols = colors(len(ks))
    for m, k in enumerate(ks):
        r, s = _curve(sizes_by_k[k])
        ax.plot(r, s, color=cols[m], lw=0.8, alpha=0.8, label=f"k = {k}" if m in (0, len(ks) - 1) else None)
    r, env = _curve(envelope([sizes_by_k[k] for k in ks]))
    ax.plot(r, env, color="black", lw=1.5, label="envelope")
    rt, st = _curve(true_counts)
    ax.plot(rt, st, color=PALETTE[1], lw=1.2, ls="--", label="true subtasks of the samples")
    ref = st[0] * rt.astype(float) ** (-planted_exponent)
    ax.plot(rt, ref, color="grey", lw=1, ls=":", label=f"planted slope −{planted_exponent:g}")
    if fit is not None:
        rr = np.linspace(*fit.x_range, 50)
        ax.plot(rr, fit.predict(rr) * 1.5, color=PALETTE[3], lw=1.2,
                label=f"envelope fit: slope {fit.slope:.2f}")
    log_axes(ax)
    ax.set_ylim(bottom=0.8)
    ax.set_xlabel("rank")
    ax.set_ylabel("cluster size (samples)")
    ax.legend(fontsize=6)
    return fig


# --------------------------------------------------------------------------------------------
# appendix E


def plot_exponents_across_studies(points, *, window=(0.01, 1.2), ax=None):
    """α_N against α_D for published studies, with α_D = α_N/(1+α_N) and α_D = α_N (Figure 18).

    Parameters
    ----------
    points : pandas.DataFrame
        From :func:`quanta.studies.exponents_across_studies`.
    window : tuple of float
        Axis limits of both (linear) axes; points outside are marked at the border.
    """
    fig, ax = subplots(ax=ax, figsize=(5.6, 3.8))
    lo, hi = window
    grid = np.linspace(lo, hi, 200)
    ax.plot(grid, grid / (1 + grid), color="black", lw=1.3,
            label=r"our model: $\alpha_D = \alpha_N/(1+\alpha_N)$")
    ax.plot(grid, grid, color="grey", lw=1, ls="--", label=r"$\alpha_D = \alpha_N$")
    markers = "os^vDPX*"
    for n, (study, grp) in enumerate(points.groupby("study", sort=False)):
        col, mk = PALETTE[n % len(PALETTE)], markers[n % len(markers)]
        inside = grp[grp["in_window"]]
        label = study
        if len(inside):
            ax.scatter(inside["alpha_n"], inside["alpha_d"], color=col, marker=mk, s=22, zorder=3,
                       label=label)
            label = None
        for _, row in grp[~grp["in_window"]].iterrows():
            x, y = np.clip(row["alpha_n"], lo, hi), np.clip(row["alpha_d"], lo, hi)
            ax.annotate(f"({row['alpha_n']:g}, {row['alpha_d']:g}): off-scale",
                        xy=(x, y), xytext=(x + 0.12 * (hi - lo), y - 0.1 * (hi - lo)),
                        fontsize=6.5, color=col, va="center",
                        arrowprops=dict(arrowstyle="->", color=col, lw=0.8))
            ax.scatter([x], [y], color=col, marker=mk, s=22, zorder=3, label=label, clip_on=False)
            label = None
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel(r"parameter exponent $\alpha_N$")
    ax.set_ylabel(r"data exponent $\alpha_D$")
    ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig
