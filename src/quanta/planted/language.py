"""A synthetic language whose quanta are planted and labelled (Sections 2 and 4 of the paper).

The quantization model (Section 2) says that prediction decomposes into discrete skills ("quanta"),
used with Zipf frequencies p_k ∝ k^-(α+1), and that a network of a given size has learned the most
frequent ones. On natural text the quanta can only be guessed; here we write a language in which they
are known by construction. A document is a string of *segments*; each segment opens with the trigger
symbol of one skill k (drawn with probability p_k) and continues with tokens that only skill k
predicts: a memorised continuation, the next numbers of a count with a skill-specific step, a copy of a
span seen a moment before, the closers of a skill-specific bracket alphabet, the results of a small
modular operation, or the parities of skill-specific subsets of in-context bits. Every token carries
the id of the skill needed to predict it, or ``-1`` when nothing can predict it (triggers, the random
inputs of a segment, filler noise between segments). Because each segment of every skill has exactly
``span`` labelled tokens, the share of labelled tokens that need skill k is exactly p_k, which is the
frequency the quantization model talks about; and because a perfect predictor exists (the oracle in
:mod:`quanta.planted.oracle`), the loss of a model on labelled tokens has a known floor of zero.

Skill ranks are interleaved over families (rank k belongs to ``families[k % len(families)]``), so each
family is itself a Zipf-distributed set of quanta with the same exponent.

All randomness derives from ``cfg.seed``: the skill tables from one stream, each chunk of documents of
each split from its own stream, so documents are reproducible one chunk at a time (streaming) and the
train and test splits never share a stream.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..validate import check_choice, check_float, check_int, check_scale

#: Skill families, in the order used for interleaving skill ranks.
FAMILIES = ("fact", "count", "copy", "bracket", "modular", "parity")
#: Special symbols of the vocabulary (ids 0, 1, 2): padding and end of text as in
#: :mod:`quanta.lm.tokenizer`, and an unknown-symbol token. Documents never contain them.
SPECIALS = ("<|padding|>", "<|endoftext|>", "<unk>")
#: Number of filler symbols (irreducible noise between segments).
N_FILLERS = 8
#: Longest filler run between two segments.
MAX_FILLER_RUN = 3
#: Bracket pairs per bracket skill.
N_BRACKET_PAIRS = 4
#: Modular operations of the ``modular`` family.
MODULAR_OPS = ("add", "sub", "mul")
#: Smallest and largest modulus of the ``modular`` family (capped by ``n_symbols``).
MODULUS_RANGE = (3, 11)
#: Documents generated per chunk; chunk c of a split has its own random stream.
CHUNK_DOCS = 64
SPLITS = ("train", "test")


@dataclass(frozen=True)
class PlantedConfig:
    """A planted-quanta language.

    Parameters
    ----------
    n_skills : int
        Number of skills K (quanta), 6 to 20,000.
    alpha : float
        The paper's α: skill k (1-based rank) is used with probability ∝ k^-(α+1).
    families : tuple of str
        Skill families to use, a non-empty subset of :data:`FAMILIES` (order sets the interleaving).
    n_symbols : int
        Size M of the shared content alphabet ``c0 … c{M-1}`` (also the numerals of ``count`` and
        ``modular``, and the bits ``c0``/``c1`` of ``parity``).
    span : int
        Labelled tokens per segment (the same for every family).
    parity_bits : int
        In-context bits per ``parity`` segment.
    parity_k : int
        Bits in each parity subset.
    segments_per_doc : int
        Segments per document.
    noise_rate : float
        Probability that a segment is preceded by a run of 1–3 filler symbols.
    n_train_docs, n_test_docs : int
        Documents in each split (the generator is streaming, so the train split may be large).
    seed : int
        Seeds the skill tables and every document.
    """

    n_skills: int = 120
    alpha: float = 0.5
    families: tuple = FAMILIES
    n_symbols: int = 32
    span: int = 4
    parity_bits: int = 6
    parity_k: int = 2
    segments_per_doc: int = 12
    noise_rate: float = 0.25
    n_train_docs: int = 20_000
    n_test_docs: int = 1_000
    seed: int = 0

    def __post_init__(self):
        check_int("n_skills", self.n_skills, min=1, max=20_000)
        check_float("alpha", self.alpha, min=0.0, max=5.0, min_inclusive=False)
        if not isinstance(self.families, tuple) or not self.families:
            raise TypeError(f"families={self.families!r} must be a non-empty tuple drawn from {FAMILIES}")
        for f in self.families:
            check_choice("families", f, FAMILIES)
        if len(set(self.families)) != len(self.families):
            raise ValueError(f"families={self.families!r} must not repeat a family")
        check_int("n_symbols", self.n_symbols, min=2 * N_BRACKET_PAIRS, max=1000)
        check_int("span", self.span, min=1, max=64)
        check_int("parity_bits", self.parity_bits, min=2, max=64)
        check_int("parity_k", self.parity_k, min=1, max=self.parity_bits)
        n_subsets = _n_choose_k(self.parity_bits, self.parity_k)
        if "parity" in self.families and n_subsets < self.span:
            raise ValueError(f"parity_bits={self.parity_bits}, parity_k={self.parity_k} give {n_subsets} subsets;"
                             f" need at least span={self.span} distinct subsets")
        check_int("segments_per_doc", self.segments_per_doc, min=1, max=10_000)
        check_float("noise_rate", self.noise_rate, min=0.0, max=1.0)
        check_int("n_train_docs", self.n_train_docs, min=1)
        check_int("n_test_docs", self.n_test_docs, min=1)
        check_int("seed", self.seed, min=0)

    def replace(self, **changes) -> "PlantedConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def zipf_exponent(self) -> float:
        """Exponent α+1 of the skill frequencies (what the authors' code calls ``alpha``)."""
        return self.alpha + 1.0

    @property
    def segment_lengths(self) -> dict:
        """Tokens per segment of each family, trigger included."""
        L = self.span
        return {"fact": 1 + L, "count": 2 + L, "copy": 1 + 2 * L, "bracket": 1 + 2 * L,
                "modular": 1 + 3 * L, "parity": 1 + self.parity_bits + L}


def preset(scale: str = "small", *, seed: int = 0, **overrides) -> PlantedConfig:
    """Named language presets.

    ``smoke``: 24 skills, a few hundred documents (seconds). ``small``: 120 skills. ``paper``: 1,000
    skills (the scale of the paper's clusterings). Keyword overrides replace fields.
    """
    check_scale(scale)
    base = {
        "smoke": dict(n_skills=24, n_train_docs=400, n_test_docs=100),
        "small": dict(n_skills=120, n_train_docs=20_000, n_test_docs=1_000),
        "paper": dict(n_skills=1_000, n_train_docs=400_000, n_test_docs=4_000),
    }[scale]
    base.update(overrides)
    return PlantedConfig(seed=seed, **base)


def _n_choose_k(n: int, k: int) -> int:
    from math import comb

    return comb(n, k)


def skill_probs(n_skills: int, alpha: float) -> np.ndarray:
    """Zipf skill frequencies p_k = k^-(α+1) / Σ_{j≤K} j^-(α+1), shape (n_skills,), rank 1 first.

    Normalised over the K skills (finite sum), as in the authors' multitask sparse parity code.
    """
    check_int("n_skills", n_skills, min=1)
    check_float("alpha", alpha, min=0.0, min_inclusive=False)
    w = np.arange(1, n_skills + 1, dtype=float) ** -(alpha + 1.0)
    return w / w.sum()


class Vocabulary:
    """The symbols of a planted language; every symbol is exactly one token.

    Layout of ids: specials (0–2), content ``c0…c{M-1}``, fillers ``z0…z7``, triggers ``T0…T{K-1}``
    (``T0`` opens the most frequent skill).
    """

    def __init__(self, n_symbols: int, n_skills: int):
        self.n_symbols = n_symbols
        self.n_skills = n_skills
        self.content0 = len(SPECIALS)
        self.filler0 = self.content0 + n_symbols
        self.trigger0 = self.filler0 + N_FILLERS
        self.size = self.trigger0 + n_skills
        self.symbols = np.array(list(SPECIALS) + [f"c{i}" for i in range(n_symbols)]
                                + [f"z{i}" for i in range(N_FILLERS)] + [f"T{k}" for k in range(n_skills)])

    def as_dict(self) -> dict:
        """``{symbol: id}`` for every symbol."""
        return {str(s): i for i, s in enumerate(self.symbols)}

    def decode(self, ids) -> str:
        """Whitespace-joined symbols of ``ids``."""
        return " ".join(self.symbols[np.asarray(ids, dtype=np.int64)].tolist())


@dataclass(frozen=True)
class SkillTables:
    """Everything that a skill "knows", drawn once from the seed; arrays indexed by skill id (rank - 1).

    Attributes
    ----------
    family : np.ndarray, shape (K,)
        Index into ``cfg.families`` of each skill's family.
    fact : np.ndarray, shape (K, span)
        Content indices (0…M-1) of each ``fact`` skill's continuation.
    step : np.ndarray, shape (K,)
        Increment (1…M-1) of each ``count`` skill.
    openers, closers : np.ndarray, shape (K, N_BRACKET_PAIRS)
        Content indices of each ``bracket`` skill's pairs (opener j closes with closer j).
    modulus, op : np.ndarray, shape (K,)
        Modulus and operation (index into :data:`MODULAR_OPS`) of each ``modular`` skill.
    subsets : np.ndarray, shape (K, span, parity_k)
        Bit positions whose parity gives each labelled token of a ``parity`` skill.
    """

    family: np.ndarray
    fact: np.ndarray
    step: np.ndarray
    openers: np.ndarray
    closers: np.ndarray
    modulus: np.ndarray
    op: np.ndarray
    subsets: np.ndarray


def skill_tables(cfg: PlantedConfig) -> SkillTables:
    """Draw the skill tables of ``cfg`` (depends on ``seed``, ``n_skills``, ``n_symbols``, ``span``
    and the parity shape only, so languages that differ in α share their skills)."""
    K, M, L = cfg.n_skills, cfg.n_symbols, cfg.span
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 0x5C111]))
    family = np.arange(K) % len(cfg.families)
    fact = rng.integers(0, M, size=(K, L))
    step = rng.integers(1, M, size=K)
    pairs = np.argsort(rng.random((K, M)), axis=1)[:, : 2 * N_BRACKET_PAIRS]
    openers, closers = pairs[:, :N_BRACKET_PAIRS], pairs[:, N_BRACKET_PAIRS:]
    lo, hi = MODULUS_RANGE[0], min(MODULUS_RANGE[1], M)
    modulus = rng.integers(lo, hi + 1, size=K)
    op = rng.integers(0, len(MODULAR_OPS), size=K)
    from itertools import combinations

    all_subsets = np.array(list(combinations(range(cfg.parity_bits), cfg.parity_k)))
    n_sub = len(all_subsets)
    pick = np.argsort(rng.random((K, n_sub)), axis=1)[:, : min(L, n_sub)]
    if n_sub < L:  # parity family unused (validated in the config); keep a well-formed table
        pick = np.resize(pick, (K, L))
    subsets = all_subsets[pick]
    return SkillTables(family=family, fact=fact, step=step, openers=openers, closers=closers,
                       modulus=modulus, op=op, subsets=subsets)


def modular_apply(op: np.ndarray, a: np.ndarray, b: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Result of ``MODULAR_OPS[op]`` on (a, b) modulo m, elementwise."""
    return np.where(op == 0, a + b, np.where(op == 1, a - b, a * b)) % m


class Language:
    """A planted language: config, vocabulary, skill tables and a streaming, vectorised generator."""

    def __init__(self, cfg: PlantedConfig):
        if not isinstance(cfg, PlantedConfig):
            raise TypeError(f"cfg must be a PlantedConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        self.vocab = Vocabulary(cfg.n_symbols, cfg.n_skills)
        self.tables = skill_tables(cfg)
        self.probs = skill_probs(cfg.n_skills, cfg.alpha)
        self._cdf = np.cumsum(self.probs)
        self._cdf[-1] = 1.0

    # ------------------------------------------------------------------ metadata
    @cached_property
    def skill_family(self) -> np.ndarray:
        """Family name of each skill, shape (K,)."""
        return np.array(self.cfg.families)[self.tables.family]

    def n_docs(self, split: str) -> int:
        check_choice("split", split, SPLITS)
        return self.cfg.n_train_docs if split == "train" else self.cfg.n_test_docs

    def n_chunks(self, split: str) -> int:
        return -(-self.n_docs(split) // CHUNK_DOCS)

    # ------------------------------------------------------------------ generation
    def chunk(self, split: str, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Generate documents ``index*CHUNK_DOCS …`` of ``split`` (at most CHUNK_DOCS of them).

        Returns
        -------
        ids : np.ndarray, shape (n_tokens,), int32
            Token ids of the documents, concatenated.
        labels : np.ndarray, shape (n_tokens,), int32
            Skill id needed to predict each token, ``-1`` where no skill predicts it.
        offsets : np.ndarray, shape (n_docs + 1,), int64
            Document d is ``ids[offsets[d]:offsets[d+1]]``.
        """
        check_choice("split", split, SPLITS)
        check_int("index", index, min=0, max=self.n_chunks(split) - 1)
        n_docs = min(CHUNK_DOCS, self.n_docs(split) - index * CHUNK_DOCS)
        rng = np.random.default_rng(np.random.SeedSequence([self.cfg.seed, SPLITS.index(split) + 1, index]))
        return self._generate(rng, n_docs)

    def _generate(self, rng: np.random.Generator, n_docs: int):
        cfg, tab, v = self.cfg, self.tables, self.vocab
        M, L, c0 = cfg.n_symbols, cfg.span, v.content0
        n_seg = n_docs * cfg.segments_per_doc
        skill = np.searchsorted(self._cdf, rng.random(n_seg), side="right").astype(np.int64)
        fam = tab.family[skill]
        noise = np.where(rng.random(n_seg) < cfg.noise_rate, rng.integers(1, MAX_FILLER_RUN + 1, n_seg), 0)
        seg_len = np.array([cfg.segment_lengths[f] for f in cfg.families])[fam]
        total = noise + seg_len
        starts = np.concatenate([[0], np.cumsum(total)])
        n_tok = int(starts[-1])
        ids = np.empty(n_tok, dtype=np.int32)
        labels = np.full(n_tok, -1, dtype=np.int32)
        # filler runs before segments
        seg_of_fill = np.repeat(np.arange(n_seg), noise)
        within = np.arange(seg_of_fill.size) - np.repeat(np.cumsum(noise) - noise, noise)
        ids[starts[seg_of_fill] + within] = v.filler0 + rng.integers(0, N_FILLERS, seg_of_fill.size)
        body = starts[:-1] + noise  # position of each segment's trigger
        for fi, name in enumerate(cfg.families):
            sel = np.flatnonzero(fam == fi)
            if sel.size == 0:
                continue
            k = skill[sel]
            tok, lab = getattr(self, f"_body_{name}")(rng, k)  # content indices, labelled mask
            n, width = tok.shape
            block = np.empty((n, width + 1), dtype=np.int64)
            block[:, 0] = v.trigger0 + k
            block[:, 1:] = c0 + tok
            blab = np.full((n, width + 1), -1, dtype=np.int32)
            blab[:, 1:] = np.where(lab, k[:, None], -1)
            pos = body[sel, None] + np.arange(width + 1)
            ids[pos] = block
            labels[pos] = blab
        offsets = starts[:: cfg.segments_per_doc].astype(np.int64)
        return ids, labels, offsets

    # Each _body_<family>(rng, k) returns (tokens, labelled) of shape (n, segment length - 1):
    # content indices 0…M-1 and a boolean mask of the tokens the skill predicts.
    def _body_fact(self, rng, k):
        tok = self.tables.fact[k]
        return tok, np.ones(tok.shape, bool)

    def _body_count(self, rng, k):
        L, M = self.cfg.span, self.cfg.n_symbols
        x0 = rng.integers(0, M, size=k.size)
        tok = (x0[:, None] + self.tables.step[k][:, None] * np.arange(L + 1)) % M
        lab = np.ones(tok.shape, bool)
        lab[:, 0] = False
        return tok, lab

    def _body_copy(self, rng, k):
        L, M = self.cfg.span, self.cfg.n_symbols
        span = rng.integers(0, M, size=(k.size, L))
        return np.concatenate([span, span], 1), np.repeat([[False] * L + [True] * L], k.size, 0)

    def _body_bracket(self, rng, k):
        L = self.cfg.span
        j = rng.integers(0, N_BRACKET_PAIRS, size=(k.size, L))
        opened = np.take_along_axis(self.tables.openers[k], j, 1)
        closed = np.take_along_axis(self.tables.closers[k], j[:, ::-1], 1)
        return np.concatenate([opened, closed], 1), np.repeat([[False] * L + [True] * L], k.size, 0)

    def _body_modular(self, rng, k):
        L = self.cfg.span
        m = self.tables.modulus[k][:, None]
        a = (rng.random((k.size, L)) * m).astype(np.int64)
        b = (rng.random((k.size, L)) * m).astype(np.int64)
        r = modular_apply(self.tables.op[k][:, None], a, b, m)
        tok = np.stack([a, b, r], 2).reshape(k.size, 3 * L)
        return tok, np.repeat([[False, False, True] * L], k.size, 0)

    def _body_parity(self, rng, k):
        n, L = self.cfg.parity_bits, self.cfg.span
        bits = rng.integers(0, 2, size=(k.size, n))
        sub = self.tables.subsets[k]  # (n_seg, L, parity_k)
        par = np.take_along_axis(bits[:, None, :], sub.reshape(k.size, -1)[:, None, :], 2)
        par = par.reshape(k.size, L, -1).sum(2) % 2
        return np.concatenate([bits, par], 1), np.repeat([[False] * n + [True] * L], k.size, 0)

    # ------------------------------------------------------------------ streaming
    def iter_chunks(self, split: str, *, start_chunk: int = 0):
        """Yield ``(chunk_index, ids, labels, offsets)`` for every chunk of ``split`` in order."""
        for c in range(start_chunk, self.n_chunks(split)):
            yield (c, *self.chunk(split, c))

    def iter_documents(self, split: str):
        """Yield ``(doc_index, ids, labels)`` for every document of ``split``; arrays are views."""
        for c, ids, labels, off in self.iter_chunks(split):
            for d in range(len(off) - 1):
                yield c * CHUNK_DOCS + d, ids[off[d]: off[d + 1]], labels[off[d]: off[d + 1]]

    def sample_tokens(self, n_docs: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n_docs`` documents from an extra stream (not train or test), as in :meth:`chunk`."""
        check_int("n_docs", n_docs, min=1)
        check_int("seed", seed, min=0)
        rng = np.random.default_rng(np.random.SeedSequence([self.cfg.seed, 0xE77A, seed]))
        return self._generate(rng, n_docs)
