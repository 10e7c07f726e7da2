"""Score a clustering of tokens against the planted skills (Section 5 of the paper, on ground truth).

QDG (Section 5) clusters tokens by the similarity of their loss gradients and reads the sizes of the
clusters as the frequencies of quanta; the rank-frequency slope of the cluster sizes is compared with
the Zipf exponent α+1 that the scaling exponent implies. On natural text nobody knows the true quanta.
On a planted language every token carries the id of the skill that predicts it, so a clustering can be
scored directly: how pure its clusters are, how well it agrees with the planted partition (adjusted
Rand index, normalised mutual information), whether it at least recovers the skill *families*, and how
far the rank-frequency exponent of its cluster sizes is from that of the planted skills.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..fitting import fit_power_law
from ..validate import check_int


@dataclass(frozen=True)
class ClusterScore:
    """Agreement between clusters and planted skills over n tokens.

    Attributes
    ----------
    n_tokens, n_clusters, n_skills : int
        Tokens scored, non-empty clusters, distinct planted labels among them (``-1`` counts as one).
    purity : float
        Fraction of tokens whose cluster's most common planted label is their own.
    inverse_purity : float
        Fraction of tokens whose planted label's most common cluster is their own (completeness).
    ari, nmi : float
        Adjusted Rand index and normalised mutual information with the planted labels.
    family_purity : float or None
        Purity with respect to skill families (``None`` when no families were given).
    cluster_exponent, cluster_exponent_ci : float, tuple
        Rank-frequency exponent (−slope) of the cluster sizes with its bootstrap interval.
    label_exponent : float
        The same fit on the sizes of the planted labels in the sample (what a perfect clustering gives).
    true_exponent : float or None
        The generating exponent α+1, when given.
    """

    n_tokens: int
    n_clusters: int
    n_skills: int
    purity: float
    inverse_purity: float
    ari: float
    nmi: float
    family_purity: float | None
    cluster_exponent: float
    cluster_exponent_ci: tuple
    label_exponent: float
    true_exponent: float | None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["cluster_exponent_ci"] = list(self.cluster_exponent_ci)
        return d


def _purity(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of items whose group in ``a`` has ``b``'s majority value equal to their own."""
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1), dtype=np.int64)
    np.add.at(table, (ai, bi), 1)
    return float(table.max(1).sum() / a.size)


def _sizes_exponent(labels: np.ndarray, rank_max: int | None, seed: int):
    sizes = np.sort(np.unique(labels, return_counts=True)[1])[::-1].astype(float)
    if rank_max is not None:
        sizes = sizes[:rank_max]
    if sizes.size < 3:
        return float("nan"), (float("nan"), float("nan"))
    fit = fit_power_law(np.arange(1, sizes.size + 1), sizes, n_boot=500, seed=seed)
    return fit.exponent, fit.exponent_ci


def score_clustering(clusters, skills, *, skill_family=None, alpha: float | None = None,
                     rank_max: int | None = None, seed: int = 0) -> ClusterScore:
    """Score cluster assignments against planted skill labels.

    Parameters
    ----------
    clusters : array_like of int, shape (n,)
        Cluster of each token.
    skills : array_like of int, shape (n,)
        Planted skill id of the same tokens (``-1``, unpredictable, is treated as one more label).
    skill_family : array_like of str, shape (K,), optional
        Family of each skill id (e.g. ``PlantedCorpus.skill_family``), for ``family_purity``.
    alpha : float, optional
        The generating α; reported as ``true_exponent`` = α + 1.
    rank_max : int, optional
        Fit the rank-frequency exponents over ranks 1…rank_max only.
    seed : int
        Seed of the bootstrap intervals.

    Returns
    -------
    ClusterScore
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    c = np.asarray(clusters).ravel()
    s = np.asarray(skills).ravel()
    if c.shape != s.shape:
        raise ValueError(f"clusters and skills must have the same length, got {c.size} and {s.size}")
    if c.size < 2:
        raise ValueError(f"need at least 2 tokens to score a clustering, got {c.size}")
    for name, x in (("clusters", c), ("skills", s)):
        if not np.issubdtype(x.dtype, np.integer):
            raise TypeError(f"{name} must hold integers, got dtype {x.dtype}")
    if rank_max is not None:
        check_int("rank_max", rank_max, min=3)
    fam_purity = None
    if skill_family is not None:
        fam = np.asarray(skill_family)
        if s.max() >= fam.size:
            raise ValueError(f"skill id {int(s.max())} has no entry in skill_family (length {fam.size})")
        fam_labels = np.where(s >= 0, fam[np.clip(s, 0, None)], "noise")
        fam_purity = _purity(c, fam_labels)
    ce, ce_ci = _sizes_exponent(c, rank_max, seed)
    le, _ = _sizes_exponent(s, rank_max, seed)
    return ClusterScore(n_tokens=int(c.size), n_clusters=int(np.unique(c).size), n_skills=int(np.unique(s).size),
                        purity=_purity(c, s), inverse_purity=_purity(s, c),
                        ari=float(adjusted_rand_score(s, c)), nmi=float(normalized_mutual_info_score(s, c)),
                        family_purity=fam_purity, cluster_exponent=float(ce),
                        cluster_exponent_ci=tuple(float(x) for x in ce_ci), label_exponent=float(le),
                        true_exponent=None if alpha is None else float(alpha) + 1.0)
