"""Ground truth for the monogenic / polygenic analysis: planted skills and their families.

Paper §4.2, checked where the paper cannot: in the planted-quanta language every predictable token
needs one known skill (one quantum), so the per-token classification can be tabulated per skill family,
a skill's tokens can be asked to drop between the same two sizes, and the size of that drop can be set
against the skill's frequency rank (rarer skills should be learned by larger models). The same
criteria also apply to whole skills: the mean loss of each skill's tokens across a suite is the loss
curve of one quantum, measured here on the planted-quanta chapter's study suite.

Shapes: T tokens, M models, K skills.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quanta.monogenic.analysis import CRITERIA_MODES, UNLABELLED, group_table
from quanta.monogenic.criteria import TokenClasses, classify, paper_criteria, rescaled_criteria
from quanta.validate import check_choice, check_int, check_scale


def skill_table(classes: TokenClasses, skills, skill_family, *, min_tokens: int = 5) -> pd.DataFrame:
    """Per planted skill: where its tokens drop, and whether they drop together.

    Parameters
    ----------
    classes : TokenClasses
    skills : array_like, shape (T,), int
        Skill id of every token (−1: no skill predicts it; ignored here).
    skill_family : array_like, shape (K,)
        Family of every skill id.
    min_tokens : int
        Skills with fewer scored tokens are left out.

    Returns
    -------
    pandas.DataFrame
        One row per skill: ``skill``, ``rank`` (= skill + 1, frequency rank), ``family``, ``n``
        (scored tokens), ``share_monogenic`` (over all its tokens), ``median_gap`` (median index m of
        the largest drop, between sizes m and m+1), ``agreement`` (share of its scored tokens whose
        largest drop is in the skill's most common gap), ``median_score``.
    """
    check_int("min_tokens", min_tokens, min=1)
    skills = np.asarray(skills)
    fam = np.asarray(skill_family)
    if skills.shape != (classes.n_tokens,):
        raise ValueError(f"skills must have shape ({classes.n_tokens},), got {skills.shape}")
    if skills.size and skills.max() >= fam.size:
        raise ValueError(f"skills holds id {int(skills.max())} but skill_family has only {fam.size} entries")
    rows = []
    scored = np.isfinite(classes.score)
    for k in np.unique(skills[skills >= 0]):
        sel = skills == k
        s = sel & scored
        if s.sum() < min_tokens:
            continue
        gaps = classes.gap[s]
        mode = np.bincount(gaps).argmax()
        rows.append({"skill": int(k), "rank": int(k) + 1, "family": str(fam[k]), "n": int(s.sum()),
                     "share_monogenic": float(classes.monogenic[sel].mean()),
                     "median_gap": float(np.median(gaps)), "agreement": float((gaps == mode).mean()),
                     "median_score": float(np.median(classes.score[s]))})
    return pd.DataFrame(rows, columns=["skill", "rank", "family", "n", "share_monogenic", "median_gap",
                                       "agreement", "median_score"])


def group_curves(classes: TokenClasses, groups, *, order=None) -> pd.DataFrame:
    """Mean loss (nats) of each group's tokens for every model: rows = groups, columns = sizes."""
    groups = np.asarray(groups, dtype=object)
    if groups.shape != (classes.n_tokens,):
        raise ValueError(f"groups must have shape ({classes.n_tokens},), got {groups.shape}")
    df = pd.DataFrame(classes.losses, columns=[int(s) for s in classes.sizes])
    out = df.groupby(groups, sort=False).mean()
    if order is not None:
        out = out.reindex([o for o in order if o in out.index])
    out.index.name = "group"
    return out


#: Status of a family in :func:`family_summary`, in the order they are tested.
STATUSES = ("solved by the smallest model", "flat across the suite", "sharp", "gradual")


def family_summary(classes: TokenClasses, groups, *, order=None) -> pd.DataFrame:
    """How each group's tokens behave across the suite, with a one-word status.

    The status follows the first rule that applies:

    1. ``solved by the smallest model``: the group's mean loss is already below ``mono_low`` at the
       smallest size (no drop left to see);
    2. ``flat across the suite``: the mean loss falls by less than ``min_drop`` from the smallest to
       the largest model (not learned, or at chance, within the suite);
    3. ``sharp``: the median breakthroughness of its scored tokens is above the midpoint between the
       floor 1/(M−1) and 1;
    4. ``gradual`` otherwise.

    Returns
    -------
    pandas.DataFrame
        Index = group; the columns of :func:`group_table`, ``loss_smallest`` and ``loss_largest``
        (mean nats) and ``status``.
    """
    cr = classes.criteria
    tab = group_table(classes, groups, order=order)
    curves = group_curves(classes, groups, order=order).reindex(tab.index)
    first, last = curves.iloc[:, 0], curves.iloc[:, -1]
    mid = 0.5 * (1.0 + 1.0 / (classes.sizes.size - 1))
    status = np.where(first < cr.mono_low, STATUSES[0],
                      np.where(first - last < cr.min_drop, STATUSES[1],
                               np.where(tab["median_score"].fillna(0) > mid, STATUSES[2], STATUSES[3])))
    return tab.assign(loss_smallest=first.to_numpy(), loss_largest=last.to_numpy(), status=status)


def status_text(summary: pd.DataFrame, *, exclude=(UNLABELLED,)) -> str:
    """One Markdown sentence listing the groups of each status, e.g. "sharp: copy; gradual: count"."""
    parts = []
    for st in STATUSES:
        names = [str(g) for g in summary.index[summary["status"] == st] if g not in exclude]
        if names:
            parts.append(f"{st}: **{', '.join(names)}**")
    return "; ".join(parts) if parts else "no groups"


def agreement_baseline(classes: TokenClasses, skills, skill_family, *, min_tokens: int = 5,
                       seed: int = 0) -> float:
    """Median per-skill agreement (see :func:`skill_table`) after shuffling skill labels among tokens.

    The level of agreement that token counts alone produce: the real agreement must exceed it for
    "the tokens of one skill drop together" to mean anything.
    """
    skills = np.array(skills, copy=True)
    lab = skills >= 0
    skills[lab] = np.random.default_rng(seed).permutation(skills[lab])
    t = skill_table(classes, skills, skill_family, min_tokens=min_tokens)
    return float(t["agreement"].median()) if len(t) else float("nan")


def rank_correlation(table: pd.DataFrame) -> float:
    """Spearman correlation between skill frequency rank and the size of its largest drop.

    Positive when rarer skills are learned by larger models, as the quantization model predicts.
    NaN with fewer than 3 skills.
    """
    from scipy.stats import spearmanr

    if len(table) < 3 or table["median_gap"].nunique() < 2 or table["rank"].nunique() < 2:
        return float("nan")
    return float(spearmanr(table["rank"], table["median_gap"]).statistic)


def skill_family_table(skills: pd.DataFrame) -> pd.DataFrame:
    """Per family, the median over its skills of :func:`skill_table`'s columns and the rank correlation.

    Returns
    -------
    pandas.DataFrame
        Index = family; ``skills`` (count), medians of ``n``, ``share_monogenic``, ``median_gap``,
        ``agreement``, ``median_score``, and ``rank_corr`` (:func:`rank_correlation` within the family).
    """
    cols = ["n", "share_monogenic", "median_gap", "agreement", "median_score"]
    if skills.empty:
        return pd.DataFrame(columns=["skills", *cols, "rank_corr"])
    g = skills.groupby("family", sort=False)
    out = g[cols].median()
    out.insert(0, "skills", g.size())
    out["rank_corr"] = [rank_correlation(t) for _, t in g]
    return out.round(3)


@dataclass(frozen=True)
class SkillCurves:
    """Loss curves of whole planted skills (rows = skills with test tokens) and their classification.

    Attributes
    ----------
    classes : TokenClasses
        One row per skill: the mean final loss of its test tokens for every member.
    skill : ndarray, shape (K',), int
        Skill id of each row (frequency rank − 1).
    family : ndarray, shape (K',), str
    alpha : float
        Generating α of the language.
    families : tuple of str
    source : str
        Where the losses came from (a frozen artifact or a computation).
    """

    classes: TokenClasses
    skill: np.ndarray
    family: np.ndarray
    alpha: float
    families: tuple
    source: str


def study_skill_curves(scale: str, *, seed: int = 0, device: str = "auto",
                       criteria: str = "rescaled") -> SkillCurves:
    """Per-skill loss curves of the planted-quanta chapter's suite (its middle α), classified.

    The study is loaded from its frozen artifact when one exists for ``scale`` (or computed and cached,
    see :func:`quanta.planted.experiment.study`). Thresholds are rescaled with the suite's mean loss
    over all test tokens (not the unweighted mean over skills).
    """
    from quanta.planted import experiment as ex

    check_scale(scale)
    check_choice("criteria", criteria, CRITERIA_MODES)
    cfg = ex.preset(scale, seed=seed, device=device)
    res, source = ex.study(cfg, device=device)
    a = res.index(cfg.alpha_main)
    curves = np.asarray(res.skill_loss[a, :, -1, :], dtype=float).T  # (K, M)
    ok = (np.asarray(res.skill_count[a]) > 0) & np.isfinite(curves).all(axis=1)
    sizes = np.asarray(res.n_params, dtype=float)
    crit = (paper_criteria() if criteria == "paper"
            else rescaled_criteria(curves[ok], sizes, mean=res.mean_all[a, :, -1]))
    return SkillCurves(classes=classify(curves[ok], sizes, crit), skill=np.flatnonzero(ok),
                       family=np.asarray(res.family)[ok].astype(object), alpha=float(cfg.alpha_main),
                       families=tuple(cfg.families), source=source)


def skill_curve_table(sc: SkillCurves) -> pd.DataFrame:
    """One row per skill: ``skill``, ``rank``, ``family``, ``kind``, ``score``, ``median_gap`` (the gap
    of its largest drop; NaN where unscored), ready for :func:`rank_correlation` and the drop-rank plot."""
    c = sc.classes
    scored = np.isfinite(c.score)
    return pd.DataFrame({"skill": sc.skill, "rank": sc.skill + 1, "family": sc.family, "kind": c.kind(),
                         "score": c.score, "median_gap": np.where(scored, c.gap, np.nan)})
