"""Which tokens QDG clusters (paper §5; SPEC §4.2 steps 1-3, ``scripts/zero_and_induction_idxs.py``).

The paper clusters tokens the model already predicts well, where the loss is below 0.1 nats: there the
gradient reflects the mechanism that made the prediction. Tokens that merely continue a repeated
trigram of the same document are dropped (the "induction" filter: induction heads would otherwise form
one huge cluster), and the survivors are subsampled evenly, every n-th candidate, to S tokens
(the authors took ``non_induction_zeros[::50][:10000]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validate import check_float, check_int

#: Paper's loss threshold for QDG candidate tokens, in nats (SPEC §0.2, §4.2).
PAPER_LOSS_THRESHOLD = 0.1


def induction_mask(tokens: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """True where the trigram ending at a token already occurred earlier in the same document.

    Parameters
    ----------
    tokens : np.ndarray, shape (N,)
        Token ids of all documents, concatenated.
    offsets : np.ndarray, shape (n_docs + 1,)
        Document i is ``tokens[offsets[i]:offsets[i + 1]]``.

    Returns
    -------
    np.ndarray of bool, shape (N,)
        ``mask[j]`` for j ≥ 2 within its document: (t[j−2], t[j−1], t[j]) occurred at an earlier
        position of the same document (the prediction of t[j] could be copied by induction).
    """
    tokens = np.asarray(tokens).astype(np.int64).ravel()
    offsets = np.asarray(offsets, dtype=np.int64).ravel()
    N = tokens.size
    if offsets[0] != 0 or offsets[-1] != N or (np.diff(offsets) < 0).any():
        raise ValueError("offsets must start at 0, end at len(tokens) and be non-decreasing")
    mask = np.zeros(N, dtype=bool)
    if N < 3:
        return mask
    doc = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    pos = np.arange(N) - offsets[doc]
    j = np.nonzero(pos >= 2)[0]
    if j.size == 0:
        return mask
    V = int(tokens.max()) + 1
    if V ** 3 >= 2 ** 62:
        raise ValueError(f"vocabulary of {V} ids is too large for trigram keys")
    key = (tokens[j - 2] * V + tokens[j - 1]) * V + tokens[j]
    order = np.lexsort((j, key, doc[j]))
    k_s, d_s = key[order], doc[j][order]
    repeat = np.zeros(order.size, dtype=bool)
    repeat[1:] = (k_s[1:] == k_s[:-1]) & (d_s[1:] == d_s[:-1])
    mask[j[order[repeat]]] = True
    return mask


@dataclass(frozen=True)
class TokenSelection:
    """Selected tokens: flat indices into the concatenated token stream and their (doc, position).

    Attributes
    ----------
    flat : np.ndarray, shape (S,), int64
    doc_index, position : np.ndarray, shape (S,), int64
    n_low_loss, n_candidates : int
        Tokens below the threshold; of those, left after the induction filter.
    step : int
        Subsampling stride (every ``step``-th candidate).
    """

    flat: np.ndarray
    doc_index: np.ndarray
    position: np.ndarray
    n_low_loss: int
    n_candidates: int
    step: int


def select_tokens(losses: np.ndarray, tokens: np.ndarray, offsets: np.ndarray, n_tokens: int, *,
                  threshold: float = PAPER_LOSS_THRESHOLD, induction_filter: bool = True) -> TokenSelection:
    """Low-loss, non-induction tokens, subsampled evenly to ``n_tokens``.

    Parameters
    ----------
    losses : np.ndarray, shape (N,)
        Loss (nats) of predicting ``tokens[i]`` from its document prefix; NaN where undefined (the first
        token of each document).
    tokens : np.ndarray, shape (N,)
    offsets : np.ndarray, shape (n_docs + 1,)
    n_tokens : int
        S, the number of tokens to keep.
    threshold : float
        Keep tokens with loss strictly below this (nats; paper 0.1).
    induction_filter : bool
        Drop tokens flagged by :func:`induction_mask`.

    Raises
    ------
    ValueError
        If fewer than ``n_tokens`` candidates exist.
    """
    losses = np.asarray(losses, dtype=np.float64).ravel()
    tokens = np.asarray(tokens).ravel()
    offsets = np.asarray(offsets, dtype=np.int64).ravel()
    if losses.shape != tokens.shape:
        raise ValueError(f"losses and tokens must have the same length, got {losses.size} and {tokens.size}")
    S = check_int("n_tokens", n_tokens, min=1)
    threshold = check_float("threshold", threshold, min=0.0, min_inclusive=False)
    doc = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    pos = np.arange(tokens.size) - offsets[doc]
    low = np.isfinite(losses) & (losses < threshold) & (pos >= 1)
    n_low = int(low.sum())
    cand = low & ~induction_mask(tokens, offsets) if induction_filter else low
    idx = np.nonzero(cand)[0]
    if S > idx.size:
        raise ValueError(
            f"n_tokens={S} is larger than the {idx.size} candidate tokens (loss < {threshold} nats"
            f"{', induction-filtered' if induction_filter else ''}; {n_low} below the threshold); "
            f"choose n_tokens <= {idx.size} or raise the threshold")
    step = idx.size // S
    flat = idx[::step][:S]
    return TokenSelection(flat=flat, doc_index=doc[flat], position=pos[flat], n_low_loss=n_low,
                          n_candidates=int(idx.size), step=int(step))
