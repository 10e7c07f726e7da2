"""Rank-frequency curves of cluster sizes and their envelope (paper §5, Figure 5 right; SPEC §4.3).

If quanta are used with Zipfian frequencies p_k ∝ k^-(α+1), clusters that each hold one quantum have
sizes that fall with rank as a power law. No single K recovers the quanta, so the paper draws the
size-vs-rank curve for every K and fits the *envelope*, the largest size at each rank over all K, on
ranks 101–1000 of S = 10,000 tokens (slope ≈ −1.24; the slope implied by α_N = 0.083 is −1.083). At
smaller S we fit the same fraction of the sample: ranks S/100 + 1 … S/10 (stated wherever it is used).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fitting import PowerLawFit, envelope, fit_rank_frequency, rank_frequency
from ..validate import check_int

#: Envelope slope reported in the paper (§5, Figure 5), pythia-70m, S = 10,000.
PAPER_ENVELOPE_SLOPE = -1.24
#: The same fit recomputed from the authors' published cluster labels (SPEC §4.3).
PAPER_ENVELOPE_SLOPE_FROM_LABELS = -1.2374
#: Slope implied by the paper's α_N = 0.083: −(α_N + 1) (Figure 5's black reference line).
PAPER_IMPLIED_SLOPE = -1.083
#: Envelope slope reported for QDG on multitask sparse parity (App. D.1, Figure 15); planted −1.4.
PAPER_SPARSE_PARITY_ENVELOPE_SLOPE = -1.1
#: S of the paper's LLM run and its fit window (1-based ranks, inclusive).
PAPER_N_TOKENS = 10_000
PAPER_FIT_RANKS = (101, 1000)
#: The numbers of clusters of the paper's published labels (SPEC §4.2 step 7).
PAPER_KS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 125, 150, 175, 200, 225, 250, 275, 300, 350, 400,
            500, 600, 700, 800, 900, 1000, 1100)
#: The K whose clusters the paper shows and numbers (Figures 1, 5, 13).
PAPER_SHOWN_K = 400


def scaled_ks(n_tokens: int, ks=PAPER_KS, *, n_tokens_ref: int = PAPER_N_TOKENS) -> tuple[int, ...]:
    """The paper's K list rescaled to S tokens (same K/S), rounded, deduplicated, 2 <= K < S."""
    S = check_int("n_tokens", n_tokens, min=3)
    out = sorted({int(min(S - 1, max(2, round(k * S / n_tokens_ref)))) for k in ks})
    return tuple(out)


def fit_window(n_tokens: int) -> tuple[int, int]:
    """Fit ranks scaled from the paper's 101–1000 of 10,000: (S/100 + 1, S/10)."""
    S = check_int("n_tokens", n_tokens, min=3)
    lo = max(1, round(S * PAPER_FIT_RANKS[0] / PAPER_N_TOKENS))
    hi = max(lo + 2, round(S * PAPER_FIT_RANKS[1] / PAPER_N_TOKENS))
    return lo, hi


@dataclass(frozen=True)
class EnvelopeResult:
    """Rank-frequency curves over K, their envelope and its fitted power law.

    Attributes
    ----------
    ks : tuple of int
    sizes : dict K -> np.ndarray (cluster sizes, decreasing)
    envelope : np.ndarray, shape (max K,)
    fit : PowerLawFit (size vs rank over ``ranks``)
    ranks : (int, int), 1-based inclusive fit window
    """

    ks: tuple
    sizes: dict
    envelope: np.ndarray
    fit: PowerLawFit
    ranks: tuple

    @property
    def slope(self) -> float:
        return self.fit.slope

    @property
    def slope_ci(self) -> tuple:
        return self.fit.slope_ci


def envelope_fit(labels_by_k: dict, *, ranks: tuple[int, int] | None = None, n_boot: int = 1000,
                 seed: int = 0) -> EnvelopeResult:
    """Envelope of the rank-frequency curves of several clusterings and its power-law fit.

    Parameters
    ----------
    labels_by_k : dict K -> labels, shape (S,)
    ranks : (int, int), optional
        1-based inclusive fit window (default :func:`fit_window` of S).
    n_boot : int
        Bootstrap resamples over the fitted points for the slope interval.
    seed : int
    """
    if not labels_by_k:
        raise ValueError("labels_by_k must hold at least one clustering")
    ks = tuple(sorted(labels_by_k))
    S = len(np.asarray(labels_by_k[ks[0]]))
    sizes = {k: rank_frequency(labels_by_k[k]) for k in ks}
    env = envelope([sizes[k] for k in ks])
    lo, hi = fit_window(S) if ranks is None else ranks
    hi = min(hi, len(env))
    if hi - lo < 2:
        raise ValueError(f"fit window ranks {lo}..{hi} holds fewer than 3 points (envelope has {len(env)} ranks); "
                         "use more tokens or larger K")
    fit = fit_rank_frequency(env, rank_min=lo, rank_max=hi, n_boot=n_boot, seed=seed)
    return EnvelopeResult(ks=ks, sizes=sizes, envelope=env, fit=fit, ranks=(lo, hi))
