"""The oracle of a planted language: a predictor that knows every skill (Section 2, QH1).

In the quantization model, a network that has learned quantum k predicts the tokens that need it;
the oracle has learned all of them. It reads a token sequence left to right the way a reader of the
language would: a trigger symbol names the skill of the segment it opens, the grammar of that skill's
family fixes how long the segment is, and each labelled token is computed from the skill's tables and
the tokens before it (never from the token itself or anything after it). It is written independently
of the vectorised generator in :mod:`quanta.planted.language`, so agreement between the two is a real
check that the labels are right.
"""

from __future__ import annotations

import numpy as np

from .language import Language


def oracle_predictions(lang: Language, ids) -> tuple[np.ndarray, np.ndarray]:
    """Predict every token that some skill predicts, from its prefix only.

    Parameters
    ----------
    lang : Language
    ids : array_like of int, shape (T,)
        One document (or a prefix of one). It must start at a segment boundary.

    Returns
    -------
    pred : np.ndarray, shape (T,), int64
        The oracle's next-token prediction at each position, ``-1`` where no skill predicts the token.
    skill : np.ndarray, shape (T,), int64
        The skill the oracle used at each position, ``-1`` where none.

    Raises
    ------
    ValueError
        If a segment starts with a symbol that is neither a trigger nor a filler.
    """
    if not isinstance(lang, Language):
        raise TypeError(f"lang must be a Language, got {type(lang).__name__}")
    ids = np.asarray(ids, dtype=np.int64).ravel()
    cfg, tab, v = lang.cfg, lang.tables, lang.vocab
    L, M, c0 = cfg.span, cfg.n_symbols, v.content0
    T = ids.size
    pred = np.full(T, -1, dtype=np.int64)
    skill = np.full(T, -1, dtype=np.int64)

    def put(pos: int, value, k: int) -> None:
        # ``value`` is a function of earlier tokens, called only when ``pos`` is in the sequence
        if pos < T:
            pred[pos] = c0 + value()
            skill[pos] = k

    def content(pos: int) -> int:
        return int(ids[pos]) - c0

    i = 0
    while i < T:
        t = int(ids[i])
        if v.filler0 <= t < v.trigger0:
            i += 1
            continue
        if not v.trigger0 <= t < v.size:
            raise ValueError(f"token {v.symbols[t] if 0 <= t < v.size else t!r} at position {i} cannot start a segment")
        k = t - v.trigger0
        family = cfg.families[tab.family[k]]
        n = cfg.segment_lengths[family]
        if family == "fact":
            for j in range(L):
                put(i + 1 + j, lambda j=j: int(tab.fact[k, j]), k)
        elif family == "count":
            for j in range(L):  # token i+2+j is one step after token i+1+j
                put(i + 2 + j, lambda j=j: (content(i + 1 + j) + int(tab.step[k])) % M, k)
        elif family == "copy":
            for j in range(L):
                put(i + 1 + L + j, lambda j=j: content(i + 1 + j), k)
        elif family == "bracket":
            partner = dict(zip(tab.openers[k].tolist(), tab.closers[k].tolist()))
            for j in range(L):  # the j-th closer matches the (L-1-j)-th opener
                put(i + 1 + L + j, lambda j=j: partner[content(i + L - j)], k)
        elif family == "modular":
            m, op = int(tab.modulus[k]), int(tab.op[k])
            for j in range(L):
                a_pos = i + 1 + 3 * j

                def result(a_pos=a_pos):
                    a, b = content(a_pos), content(a_pos + 1)
                    return (a + b) % m if op == 0 else (a - b) % m if op == 1 else (a * b) % m

                put(a_pos + 2, result, k)
        elif family == "parity":
            nb = cfg.parity_bits
            for j in range(L):
                put(i + 1 + nb + j, lambda j=j: sum(content(i + 1 + b) for b in tab.subsets[k, j]) % 2, k)
        i += n
    return pred, skill


def oracle_next(lang: Language, prefix) -> int:
    """The oracle's prediction of the token that follows ``prefix`` (``-1`` if no skill predicts it).

    Parameters
    ----------
    prefix : array_like of int, shape (T,)
        The start of a document.
    """
    prefix = np.asarray(prefix, dtype=np.int64).ravel()
    # append any filler: a filler may start a segment, and no prediction reads the token it predicts
    pred, _ = oracle_predictions(lang, np.append(prefix, lang.vocab.filler0))
    return int(pred[-1])
