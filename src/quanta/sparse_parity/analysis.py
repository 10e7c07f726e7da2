"""Measurements on sparse parity sweeps, with the paper's fitting rules (paper §3, App. B; SPEC §2.4).

Intuition: every number in the chapter is read off logged test losses. Scaling in N uses each width's
final loss; scaling in S uses one run's loss curve over a step window; scaling in D uses each training
set's early-stopped loss (minimum over logged steps); per-subtask losses tell *when* (first step below
0.1 bits: Figure 8) and *whether* (minimum loss below 0.1 nats: Figure 9) a subtask is learned. All fits
are least squares on log-log data with a bootstrap interval (:func:`quanta.fitting.fit_power_law`).
Losses are stored in nats; the figures and fits use bits like the paper.
"""

from __future__ import annotations

import numpy as np

from ..artifacts import load_artifact
from ..fitting import PowerLawFit, fit_power_law
from .paper_run import D_ARTIFACT, N_ARTIFACT
from .presets import CONVERGENCE_THRESHOLD_BITS, LEARNED_THRESHOLD_NATS

LN2 = float(np.log(2.0))


def bits(x):
    """Nats to bits."""
    return np.asarray(x, dtype=float) / LN2


def final_losses(res) -> tuple[np.ndarray, np.ndarray]:
    """Parameters N (M,) and final mean test loss in bits (M,) of a single-epoch sweep."""
    return np.asarray(res["n_params"], float), bits(np.asarray(res["loss"])[:, -1])


def fit_alpha_n(res, *, seed: int = 0) -> PowerLawFit:
    """α_N: one fit of final loss (bits) on N over all members (widths and seeds; SPEC §2.4)."""
    N, L = final_losses(res)
    return fit_power_law(N, L, seed=seed)


def widest(res) -> int:
    """Index of the widest member (first replicate)."""
    return int(np.argmax(np.asarray(res["widths"])))


def fit_alpha_s(log_steps, loss_curves, lo: int, hi: int, *, seed: int = 0) -> PowerLawFit:
    """α_S: fit of mean loss (bits) on step over logged steps ``lo <= S <= hi``, pooling curves.

    Parameters
    ----------
    log_steps : (T,) ; loss_curves : (T,) or (R, T) in nats
    """
    s = np.asarray(log_steps)
    L = np.atleast_2d(np.asarray(loss_curves))
    keep = (s >= lo) & (s <= hi) & (s > 0)
    x = np.tile(s[keep], L.shape[0])
    return fit_power_law(x, bits(L[:, keep]).ravel(), seed=seed)


def early_stopped(res) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D (M,), early-stopped loss in bits (M,) and the early-stopping step (M,) of a data sweep."""
    loss = np.asarray(res["loss"])
    best = loss.argmin(1)
    return (np.asarray(res["D"], float), bits(loss.min(1)), np.asarray(res["log_steps"])[best])


def fit_alpha_d(res, *, threshold_bits: float = 0.95, seed: int = 0) -> PowerLawFit | None:
    """α_D: fit of early-stopped loss on D from the first D whose loss is below 0.95 bits (SPEC §2.4)."""
    D, L, _ = early_stopped(res)
    order = np.argsort(D)
    D, L = D[order], L[order]
    below = np.nonzero(L < threshold_bits)[0]
    if below.size == 0 or D.size - below[0] < 3:
        return None
    return fit_power_law(D[below[0]:], L[below[0]:], seed=seed)


def convergence_steps(log_steps, task_loss, threshold_bits: float = CONVERGENCE_THRESHOLD_BITS) -> np.ndarray:
    """First logged step at which each subtask's loss falls below ``threshold_bits`` (Figure 8).

    Parameters
    ----------
    task_loss : (T, n_tasks) in nats

    Returns
    -------
    numpy.ndarray, shape (n_tasks,), float (NaN for subtasks that never converge)
    """
    below = bits(task_loss) < threshold_bits
    first = np.where(below.any(0), below.argmax(0), -1)
    return np.where(first >= 0, np.asarray(log_steps)[np.maximum(first, 0)], np.nan).astype(float)


def fit_convergence(probs, conv_steps, *, seed: int = 0) -> PowerLawFit | None:
    """Fit of log(convergence step) on log(p_i) over converged subtasks (paper slope -0.81, theory -1)."""
    ok = np.isfinite(conv_steps) & (np.asarray(conv_steps) > 0)
    if ok.sum() < 3:
        return None
    return fit_power_law(np.asarray(probs)[ok], np.asarray(conv_steps)[ok], seed=seed)


def subtasks_learned(task_loss_min, threshold_nats: float = LEARNED_THRESHOLD_NATS) -> np.ndarray:
    """Number of subtasks whose (minimum over logs) loss is below 0.1 nats (Figure 9), shape (M,)."""
    return (np.asarray(task_loss_min) < threshold_nats).sum(-1)


def fit_learned_vs_d(D, n_learned, *, seed: int = 0) -> PowerLawFit | None:
    """Fit of n (subtasks learned) on D from the first D with n > 0 (theory exponent 1/(α+1))."""
    D = np.asarray(D, float)
    n = np.asarray(n_learned, float)
    order = np.argsort(D)
    D, n = D[order], n[order]
    pos = np.nonzero(n > 0)[0]
    if pos.size == 0 or (n[pos[0]:] > 0).sum() < 3 or np.ptp(n[pos[0]:]) == 0:
        return None
    D, n = D[pos[0]:], n[pos[0]:]
    keep = n > 0
    return fit_power_law(D[keep], n[keep], seed=seed)


def alpha_sweep_summary(alphas, n_results, d_results, s_range, *, seed: int = 0) -> dict:
    """α_N, α_S, α_D and the n(D) exponent for every α of the Figure 9/10 sweeps.

    α_S pools the loss curves of every replicate of the widest width (the paper pools its width-300
    runs) over ``s_range``; α_D and n(D) use the early-stopped losses and the minimum-over-logs
    per-subtask losses of the data sweep.

    Returns
    -------
    dict of numpy arrays, one entry per α: ``alpha``, ``alpha_n``, ``alpha_n_ci`` (A, 2), ``alpha_s``,
    ``alpha_s_ci``, ``alpha_d``, ``alpha_d_ci``, ``learned_exp``, ``learned_exp_ci`` (NaN where no fit).
    """
    out = {k: [] for k in ("alpha_n", "alpha_s", "alpha_d", "learned_exp")}
    cis = {k: [] for k in out}
    for a, rn, rd in zip(alphas, n_results, d_results):
        w = np.asarray(rn["widths"])
        curves = np.asarray(rn["loss"])[w == w.max()]
        fits = {"alpha_n": fit_alpha_n(rn, seed=seed),
                "alpha_s": fit_alpha_s(rn["log_steps"], curves, *s_range, seed=seed),
                "alpha_d": fit_alpha_d(rd, seed=seed),
                "learned_exp": fit_learned_vs_d(rd["D"], subtasks_learned(np.asarray(rd["task_loss"]).min(1)),
                                                seed=seed)}
        for k, f in fits.items():
            if f is None:
                out[k].append(np.nan)
                cis[k].append((np.nan, np.nan))
            elif k == "learned_exp":
                out[k].append(f.slope)
                cis[k].append(f.slope_ci)
            else:
                out[k].append(f.exponent)
                cis[k].append(f.exponent_ci)
    res = {"alpha": np.asarray(alphas, float)}
    for k in out:
        res[k] = np.asarray(out[k], float)
        res[k + "_ci"] = np.asarray(cis[k], float).reshape(-1, 2)
    return res


def load_paper_fig2() -> dict:
    """The frozen paper-scale Figure 2 sweeps (GPU), checksums verified.

    Returns
    -------
    dict with ``n`` and ``d`` (array dicts, see :mod:`quanta.sparse_parity.paper_run`) and
    ``n_manifest``, ``d_manifest``.
    """
    n, nm = load_artifact(N_ARTIFACT)
    d, dm = load_artifact(D_ARTIFACT)
    return {"n": n, "d": d, "n_manifest": nm, "d_manifest": dm}


def fig2_panels(n_res, d_res) -> dict:
    """The arrays behind Figure 2, from sweep results or from the paper-scale artifacts.

    Returns
    -------
    dict with ``N`` (M,), ``loss_N`` (M,) bits, ``task_N`` (M, n_tasks) bits (final);
    ``steps`` (T,), ``loss_S`` (T,) bits, ``task_S`` (T, n_tasks) bits (widest run);
    ``D`` (K,), ``loss_D`` (K,) bits, ``task_D`` (K, n_tasks) bits (early stopped), ``stop_D`` (K,);
    ``probs`` (n_tasks,).
    """
    N, LN = final_losses(n_res)
    wi = widest(n_res)
    if "task_loss" in n_res:
        tN = np.asarray(n_res["task_loss"])[:, -1]
        tS = np.asarray(n_res["task_loss"])[wi]
    else:
        tN, tS = np.asarray(n_res["task_loss_final"]), np.asarray(n_res["task_loss_widest"])
    D, LD, stop = early_stopped(d_res)
    if "task_loss" in d_res:
        tl = np.asarray(d_res["task_loss"])
        tD = tl[np.arange(tl.shape[0]), np.asarray(d_res["loss"]).argmin(1)]
    else:
        tD = np.asarray(d_res["task_loss_best"])
    o = np.argsort(N)
    od = np.argsort(D)
    return {"N": N[o], "loss_N": LN[o], "task_N": bits(tN[o]),
            "steps": np.asarray(n_res["log_steps"]), "loss_S": bits(np.asarray(n_res["loss"])[wi]),
            "task_S": bits(tS), "D": D[od], "loss_D": LD[od], "task_D": bits(tD[od]), "stop_D": stop[od],
            "probs": np.asarray(n_res["probs"])}


def multi_epoch_curves(d_res) -> dict:
    """Per-subtask curves (bits) of the largest training set and its early-stopping step (Figure 7 bottom)."""
    di = int(np.argmax(np.asarray(d_res["D"])))
    tl = np.asarray(d_res["task_loss"])[di] if "task_loss" in d_res else np.asarray(d_res["task_loss_largest_d"])
    loss = np.asarray(d_res["loss"])[di]
    return {"steps": np.asarray(d_res["log_steps"]), "task": bits(tl), "loss": bits(loss),
            "stop": int(np.asarray(d_res["log_steps"])[loss.argmin()]), "D": int(np.asarray(d_res["D"])[di]),
            "probs": np.asarray(d_res["probs"])}


def run_alpha_sweeps(cfg, *, show_progress: bool = True) -> tuple[list, list]:
    """Run (cached) the width and data sweeps of every α of ``cfg`` (a ``ChapterConfig``)."""
    from .train import run_sweep

    n_res = [run_sweep(c, show_progress=show_progress) for c in cfg.alpha_n_sweeps()]
    d_res = [run_sweep(c, show_progress=show_progress) for c in cfg.alpha_d_sweeps()]
    return n_res, d_res


def smallest_d_beating_chance(d_res) -> float:
    """Smallest training-set size whose early-stopping step is after step 0 (NaN if none)."""
    D, _, stop = early_stopped(d_res)
    ok = stop > 0
    return float(D[ok].min()) if ok.any() else float("nan")


def load_benchmark(device_type: str = "cuda") -> dict | None:
    """The committed benchmark result ``results/sparse_parity_bench_<device_type>.json`` (None if absent)."""
    import json

    from ..paths import results_dir

    p = results_dir() / f"sparse_parity_bench_{device_type}.json"
    return json.loads(p.read_text()) if p.is_file() else None


def summarize(n_res, d_res, alpha: float, s_range: tuple[int, int], *, seed: int = 0) -> dict:
    """The chapter's headline measurements for one (width sweep, data sweep) pair.

    Returns
    -------
    dict of PowerLawFit or float: ``alpha_n``, ``alpha_s`` (widest run over ``s_range``), ``alpha_d``,
    ``convergence`` (fit of convergence step on p; its slope is the paper's -0.81), ``n_converged``,
    ``d_min`` (smallest D beating chance), ``n_learned_widest``.
    """
    i = widest(n_res)
    tS = np.asarray(n_res["task_loss"])[i] if "task_loss" in n_res else np.asarray(n_res["task_loss_widest"])
    conv = convergence_steps(n_res["log_steps"], tS)
    return {"alpha": alpha, "alpha_n": fit_alpha_n(n_res, seed=seed),
            "alpha_s": fit_alpha_s(n_res["log_steps"], np.asarray(n_res["loss"])[i], *s_range, seed=seed),
            "alpha_d": fit_alpha_d(d_res, seed=seed), "convergence": fit_convergence(n_res["probs"], conv, seed=seed),
            "conv_steps": conv, "n_converged": int(np.isfinite(conv).sum()),
            "d_min": smallest_d_beating_chance(d_res), "n_learned_widest": int((tS[-1] < LEARNED_THRESHOLD_NATS).sum())}


def comparison_rows(small: dict, paper_scale: dict | None, learned_fit=None) -> list[dict]:
    """Rows for :func:`quanta.report.comparison_table`: ours (this scale; paper scale on GPU) vs theory and paper."""
    from ..report import fmt_ci
    from .presets import (PAPER_ALPHA_D, PAPER_ALPHA_N, PAPER_ALPHA_S_FIG8, PAPER_CONVERGENCE_SLOPE,
                          PAPER_D_30, PAPER_LEARNED_VS_D)

    a = small["alpha"]

    def f(fit, slope=False):
        if fit is None:
            return "–"
        return fmt_ci(fit.slope, fit.slope_ci) if slope else fmt_ci(fit.exponent, fit.exponent_ci)

    ps = paper_scale or {}
    rows = [
        {"quantity": f"α_N (α = {a:g})", "ours (this scale)": f(small["alpha_n"]),
         "ours (paper scale, GPU)": f(ps.get("alpha_n")), "theory": a, "paper": PAPER_ALPHA_N.get(0.4),
         "paper source": "Fig. 10 (digitized)"},
        {"quantity": "α_S (widest network)", "ours (this scale)": f(small["alpha_s"]),
         "ours (paper scale, GPU)": f(ps.get("alpha_s")), "theory": round(a / (a + 1), 3),
         "paper": PAPER_ALPHA_S_FIG8, "paper source": "Fig. 8 (steps 400-8,900)"},
        {"quantity": "α_D (early stopping)", "ours (this scale)": f(small["alpha_d"]),
         "ours (paper scale, GPU)": f(ps.get("alpha_d")), "theory": round(a / (a + 1), 3),
         "paper": PAPER_ALPHA_D.get(0.4), "paper source": "Fig. 10 (digitized)"},
        {"quantity": "slope of convergence step on p", "ours (this scale)": f(small["convergence"], slope=True),
         "ours (paper scale, GPU)": f(ps.get("convergence"), slope=True), "theory": -1.0,
         "paper": PAPER_CONVERGENCE_SLOPE, "paper source": "Fig. 8"},
        {"quantity": "smallest D that beats chance", "ours (this scale)": small["d_min"],
         "ours (paper scale, GPU)": ps.get("d_min", "–"), "theory": "–",
         "paper": PAPER_D_30[9], "paper source": "D-scaling-6 (the 9 smallest D stay at step 0)"},
    ]
    if learned_fit is not None:
        rows.append({"quantity": f"exponent of n(D) (α = {a:g})", "ours (this scale)": f(learned_fit, slope=True),
                     "ours (paper scale, GPU)": "–", "theory": round(1 / (a + 1), 3),
                     "paper": PAPER_LEARNED_VS_D.get(0.4), "paper source": "Fig. 9 (digitized)"})
    return rows


def alpha_rows(summary: dict) -> list[dict]:
    """One row per α of the α sweeps: our α_N, α_S, α_D (95 % intervals) beside theory and the paper."""
    from ..report import fmt_ci
    from .presets import PAPER_ALPHA_D, PAPER_ALPHA_N, PAPER_ALPHA_S

    rows = []
    for j, a in enumerate(summary["alpha"]):
        a = float(a)
        row = {"α": a}
        for k, name, th, pap in (("alpha_n", "α_N", a, PAPER_ALPHA_N), ("alpha_s", "α_S", a / (a + 1), PAPER_ALPHA_S),
                                 ("alpha_d", "α_D", a / (a + 1), PAPER_ALPHA_D)):
            v = summary[k][j]
            row[f"{name} ours"] = fmt_ci(v, summary[k + "_ci"][j]) if np.isfinite(v) else "–"
            row[f"{name} theory"] = round(th, 3)
            row[f"{name} paper"] = pap.get(round(a, 2), "–")
        rows.append(row)
    return rows
