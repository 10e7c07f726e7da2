"""Appendix E of the paper: parameter and data scaling exponents across published studies.

The quantization model ties the two exponents of a study together: if a network learns quanta in
order of use frequency p_k ∝ k^-(α+1), capacity-limited scaling gives L(N) − L_∞ ∝ N^-α and
data-limited scaling gives L(D) − L_∞ ∝ D^-α/(α+1), so a study that measures α_N should see
α_D = α_N / (1 + α_N) (paper Section 2, Appendix E, Figure 18). Appendix E checks this against the
exponents collected in Epoch AI's scaling-laws literature review: every study that reports both
exponents is one point in the (α_N, α_D) plane, to be compared with the curve α_D = α_N/(1+α_N)
and with the line α_D = α_N. This module loads the packaged copy of that table, selects the same
rows as the paper's figure (by position, as the authors' notebook did, and then checks that each
row says what it should), and returns one row per plotted point with the model's prediction.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "CSV_SHA256",
    "SELECTIONS",
    "ARDALANI_MODES",
    "Selection",
    "load_scaling_laws",
    "predicted_alpha_d",
    "exponents_across_studies",
    "summary",
    "PAPER_READING",
]

#: sha256 of the packaged ``scaling-laws.csv`` (byte-identical to the authors' code release).
CSV_SHA256 = "c546f2b8d7ff3843f71067d9505519dc7b9e2a67b99848ded2490c2a78b5af2f"

#: Number of data rows and columns of the table (SPEC §6).
CSV_SHAPE = (137, 25)

#: How the Ardalani et al. point may be read: ``"paper"`` plots it as the paper's Figure 18 does
#: (α_N = row 122, α_D = row 123, i.e. axes swapped with respect to the table's labels);
#: ``"csv"`` follows the table's "Scaling Variable 1" labels.
ARDALANI_MODES = ("paper", "csv")


@dataclass(frozen=True)
class Selection:
    """One study's rows of the table, as the paper's Figure 18 selects them.

    Parameters
    ----------
    study : str
        Short citation shown in tables and legends.
    paper_prefix : str
        Start of the study's title in the "Paper" column (checked on every selected row).
    rows : tuple of int
        0-based row positions (``DataFrame.iloc``) in the table.
    kind : str
        ``"bivariate"``: each row holds a joint fit with "Exponent 1" = α_N and "Exponent 2" = α_D;
        ``"pair"``: two univariate rows, the first giving α_N and the second α_D;
        ``"pair-swapped"``: two univariate rows whose labels say (Data, Parameters) but which the
        paper plots as (α_N, α_D) in row order (the Ardalani et al. point).
    """

    study: str
    paper_prefix: str
    rows: tuple[int, ...]
    kind: str


#: The rows behind the paper's Figure 18 (SPEC §6), in plotting order.
SELECTIONS: tuple[Selection, ...] = (
    Selection("Rosenfeld et al. 2019", "A Constructive Prediction of the Generalization Error",
              tuple(range(0, 9)), "bivariate"),
    Selection("Kaplan et al. 2020", "Scaling Laws for Neural Language Models", (12,), "bivariate"),
    Selection("Hoffmann et al. 2022", "Training Compute-Optimal Large Language Models", (36,),
              "bivariate"),
    Selection("Gordon et al. 2021", "Data and Parameter Scaling Laws for Neural Machine Translation",
              (128, 129, 130), "bivariate"),
    Selection("Droppo & Elibol 2021", "Scaling Laws for Acoustic Models", (134, 135), "pair"),
    Selection("Ardalani et al. 2022", "Understanding Scaling Laws for Recommendation Models",
              (122, 123), "pair-swapped"),
)

#: Axis window of the paper's Figure 18 (both axes, linear; SPEC §6).
FIGURE_WINDOW = (0.01, 1.2)

#: The paper's reading of its Figure 18 (appendix E; SPEC §6), quoted in the comparison table.
PAPER_READING = {
    "rosenfeld_below_identity": "most Rosenfeld et al. points lie below α_D = α_N",
    "chinchilla_closer_to": "Chinchilla is slightly closer to the model than to α_D = α_N",
    "ardalani": "Ardalani et al. lies outside the plotted window",
    "verdict": "too noisy to confirm or refute the model",
}

# Spelling fixes for the task names shown in tables (the table itself is left untouched).
_TASK_FIXES = {"Airfract": "Aircraft", "UFC101": "UCF101"}


def load_scaling_laws(*, verify: bool = True) -> pd.DataFrame:
    """Read the packaged Epoch AI scaling-laws table.

    Parameters
    ----------
    verify : bool, default True
        Check the file's sha256 against :data:`CSV_SHA256` and its shape against (137, 25).

    Returns
    -------
    pandas.DataFrame
        Shape (137, 25), columns as in the file ("Paper", "Date", ..., "Exponent 1", "Exponent 2",
        ...); unnamed range columns keep pandas' ``"Unnamed: N"`` names.

    Raises
    ------
    ValueError
        If ``verify`` and the file differs from the packaged release.
    """
    if not isinstance(verify, bool):
        raise TypeError(f"verify must be a bool, got {type(verify).__name__} ({verify!r})")
    ref = importlib.resources.files("quanta") / "data" / "scaling-laws.csv"
    raw = ref.read_bytes()
    if verify:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != CSV_SHA256:
            raise ValueError(
                f"scaling-laws.csv has sha256 {digest}, expected {CSV_SHA256}: the packaged table "
                "was modified"
            )
    with importlib.resources.as_file(ref) as path:
        frame = pd.read_csv(path)
    if verify and frame.shape != CSV_SHAPE:
        raise ValueError(f"scaling-laws.csv has shape {frame.shape}, expected {CSV_SHAPE}")
    return frame


def predicted_alpha_d(alpha_n):
    """Data exponent predicted by the quantization model from the parameter exponent.

    Implements α_D = α_N / (1 + α_N) (paper Section 2: α_N = α and α_D = α/(α+1)).

    Parameters
    ----------
    alpha_n : float or array_like
        Parameter-scaling exponent(s), each > -1.

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``alpha_n``.
    """
    a = np.asarray(alpha_n, dtype=float)
    if np.any(~np.isfinite(a)) or np.any(a <= -1):
        raise ValueError(f"alpha_n must be finite and > -1, got {alpha_n!r}")
    out = a / (1.0 + a)
    return float(out) if out.ndim == 0 else out


def _check_row(frame: pd.DataFrame, row: int, sel: Selection, var1: str, var2) -> pd.Series:
    r = frame.iloc[row]
    if not str(r["Paper"]).startswith(sel.paper_prefix):
        raise ValueError(
            f"row {row} of scaling-laws.csv is from {r['Paper']!r}, expected {sel.paper_prefix!r}"
        )
    got = (r["Scaling Variable 1"], r["Scaling Variable 2"])
    want2 = var2 if var2 is not None else None
    if got[0] != var1 or (want2 is None and not pd.isna(got[1])) or (
        want2 is not None and got[1] != want2
    ):
        raise ValueError(
            f"row {row} of scaling-laws.csv scales with {got}, expected ({var1!r}, {var2!r})"
        )
    return r


def exponents_across_studies(frame: pd.DataFrame | None = None, *,
                             ardalani: str = "paper") -> pd.DataFrame:
    """The (α_N, α_D) points of the paper's Figure 18, one row per point.

    Parameters
    ----------
    frame : pandas.DataFrame, optional
        The table from :func:`load_scaling_laws` (loaded when omitted).
    ardalani : {"paper", "csv"}, default "paper"
        How to read the Ardalani et al. rows (see :data:`ARDALANI_MODES`). ``"paper"`` reproduces the
        figure, (α_N, α_D) = (0.1, 4.0); ``"csv"`` follows the table's labels, (4.0, 0.1).

    Returns
    -------
    pandas.DataFrame
        16 rows, columns ``study``, ``task``, ``rows`` (the table rows used, as text),
        ``alpha_n``, ``alpha_d``, ``alpha_d_predicted`` (= α_N/(1+α_N)), ``residual_model``
        (α_D − prediction), ``residual_identity`` (α_D − α_N), ``closer_to`` ("model" or
        "alpha_D = alpha_N"), ``in_window`` (inside the figure's 0.01–1.2 window) and
        ``axes_swapped`` (True for the Ardalani point read the paper's way).
    """
    if ardalani not in ARDALANI_MODES:
        raise ValueError(f"ardalani must be one of {ARDALANI_MODES}, got {ardalani!r}")
    if frame is None:
        frame = load_scaling_laws()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    records = []
    for sel in SELECTIONS:
        if sel.kind == "bivariate":
            for row in sel.rows:
                r = _check_row(frame, row, sel, "Parameters", "Data")
                task = r["Task details"] if isinstance(r["Task details"], str) else r["Task"]
                records.append(dict(study=sel.study, task=_TASK_FIXES.get(task, task),
                                    rows=str(row), alpha_n=float(r["Exponent 1"]),
                                    alpha_d=float(r["Exponent 2"]), axes_swapped=False))
        else:
            first, second = sel.rows
            if sel.kind == "pair":
                rn = _check_row(frame, first, sel, "Parameters", None)
                rd = _check_row(frame, second, sel, "Data", None)
                swapped = False
            else:
                rd_label = _check_row(frame, first, sel, "Data", None)
                rn_label = _check_row(frame, second, sel, "Parameters", None)
                if ardalani == "paper":
                    rn, rd, swapped = rd_label, rn_label, True
                else:
                    rn, rd, swapped = rn_label, rd_label, False
            records.append(dict(study=sel.study, task=str(rn["Task"]), rows=f"{first}, {second}",
                                alpha_n=float(rn["Exponent 1"]), alpha_d=float(rd["Exponent 1"]),
                                axes_swapped=swapped))
    out = pd.DataFrame.from_records(records)
    out["alpha_d_predicted"] = predicted_alpha_d(out["alpha_n"].to_numpy())
    out["residual_model"] = out["alpha_d"] - out["alpha_d_predicted"]
    out["residual_identity"] = out["alpha_d"] - out["alpha_n"]
    out["closer_to"] = np.where(out["residual_model"].abs() < out["residual_identity"].abs(),
                                "model", "alpha_D = alpha_N")
    lo, hi = FIGURE_WINDOW
    out["in_window"] = out["alpha_n"].between(lo, hi) & out["alpha_d"].between(lo, hi)
    return out[["study", "task", "rows", "alpha_n", "alpha_d", "alpha_d_predicted",
                "residual_model", "residual_identity", "closer_to", "in_window", "axes_swapped"]]




def summary(points: pd.DataFrame) -> dict:
    """Counts and errors of the two candidate relations over the points inside the figure window.

    Parameters
    ----------
    points : pandas.DataFrame
        From :func:`exponents_across_studies`.

    Returns
    -------
    dict
        ``n_points``, ``n_in_window``; over in-window points: ``n_below_identity`` (α_D < α_N),
        ``n_closer_to_model``, ``rmse_model`` and ``rmse_identity`` (root mean square of α_D minus
        each relation), ``spearman`` (rank correlation of α_N and α_D); ``rosenfeld_below_identity``
        and ``rosenfeld_n`` (the nine Rosenfeld et al. tasks).
    """
    from scipy.stats import spearmanr

    need = {"study", "alpha_n", "alpha_d", "residual_model", "residual_identity", "in_window"}
    if not isinstance(points, pd.DataFrame) or not need <= set(points.columns):
        raise TypeError("points must be the DataFrame returned by exponents_across_studies()")
    w = points[points["in_window"]]
    ros = w[w["study"] == SELECTIONS[0].study]
    return {
        "n_points": int(len(points)),
        "n_in_window": int(len(w)),
        "n_below_identity": int((w["alpha_d"] < w["alpha_n"]).sum()),
        "n_closer_to_model": int((w["residual_model"].abs() < w["residual_identity"].abs()).sum()),
        "rmse_model": float(np.sqrt((w["residual_model"] ** 2).mean())),
        "rmse_identity": float(np.sqrt((w["residual_identity"] ** 2).mean())),
        "spearman": float(spearmanr(w["alpha_n"], w["alpha_d"]).statistic),
        "rosenfeld_below_identity": int((ros["alpha_d"] < ros["alpha_n"]).sum()),
        "rosenfeld_n": int(len(ros)),
    }
