"""The planted language as a corpus of the model-suite code (Section 4 of the paper, on ground truth).

The LLM chapters train suites of transformers and read per-token losses through one corpus interface
(:mod:`quanta.lm.corpora`): ``documents(split)`` yields :class:`~quanta.lm.corpora.Document` objects,
``manifest()`` describes the corpus, ``key`` names its content for the cache, and ``tokenizer()`` gives
the corpus's own tokenizer. :class:`PlantedCorpus` implements it for a planted language, so the same
training, loss and QDG code that runs on natural text runs here, and every token additionally carries
the id of the skill that predicts it (``Document.labels``, aligned one-to-one with the tokens).

Documents are generated on the fly, one chunk at a time, from the seed; nothing is stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import cached_property
from typing import Iterator

import numpy as np

from ..validate import check_choice, check_int
from .language import CHUNK_DOCS, SPLITS, Language, PlantedConfig, preset

#: Bump when the generator's output for a given config changes (it is part of the corpus key).
GENERATOR_VERSION = 1


class PlantedCorpus:
    """A planted-quanta language behind the corpus interface of :mod:`quanta.lm.corpora`.

    Parameters
    ----------
    cfg : PlantedConfig, optional
        The language. When omitted it is built from ``scale`` (default ``"small"``) and ``seed``.
    scale : {"smoke", "small", "paper"}, optional
        Preset of :func:`quanta.planted.language.preset`.
    seed : int
        Seed of the preset (ignored when ``cfg`` is given).
    **fields
        Fields of :class:`PlantedConfig` overriding the preset (or ``cfg``).
    """

    name = "planted"

    def __init__(self, cfg: PlantedConfig | None = None, *, scale: str | None = None, seed: int = 0, **fields):
        if cfg is None:
            cfg = preset(scale or "small", seed=seed, **fields)
        elif not isinstance(cfg, PlantedConfig):
            raise TypeError(f"cfg must be a PlantedConfig, got {type(cfg).__name__}")
        else:
            if scale is not None:
                raise TypeError("give either cfg or scale, not both")
            cfg = cfg.replace(**fields) if fields else cfg
        self.cfg = cfg
        self.language = Language(cfg)

    # ------------------------------------------------------------------ corpus interface
    def documents(self, split: str = "train") -> Iterator:
        """Yield the documents of ``split`` in order, each with per-token skill labels."""
        from ..lm.corpora import Document

        check_choice("split", split, SPLITS)
        decode = self.language.vocab.decode
        for i, ids, labels in self.language.iter_documents(split):
            yield Document(f"planted/{split}/{i:08d}", decode(ids), labels.copy())

    def tokenizer(self):
        """The word-level tokenizer of the language (every symbol one token, no BOS)."""
        return self._tokenizer

    @cached_property
    def _tokenizer(self):
        from .tokenizer import build_tokenizer

        return build_tokenizer(self.language.vocab)

    def manifest(self) -> dict:
        """Kind, generator version, config, document counts and vocabulary size of the corpus."""
        cfg = dataclasses.asdict(self.cfg)
        cfg["families"] = list(cfg["families"])
        return {"corpus": self.name, "source": "planted-quanta generator (quanta.planted)",
                "generator_version": GENERATOR_VERSION, "config": cfg,
                "documents": {"train": self.cfg.n_train_docs, "test": self.cfg.n_test_docs},
                "vocab_size": self.language.vocab.size, "content_sha256": self._content_hash}

    @cached_property
    def _content_hash(self) -> str:
        # the generator is deterministic, so the config and generator version name the content
        m = {"generator_version": GENERATOR_VERSION, "config": dataclasses.asdict(self.cfg)}
        return hashlib.sha256(json.dumps(m, sort_keys=True, default=list).encode()).hexdigest()

    @property
    def key(self) -> str:
        """Cache key of the corpus content."""
        return f"planted:{self._content_hash[:24]}"

    def __repr__(self) -> str:
        c = self.cfg
        return f"<PlantedCorpus K={c.n_skills} alpha={c.alpha} families={','.join(c.families)} seed={c.seed}>"

    # ------------------------------------------------------------------ fast paths and ground truth
    def token_arrays(self, split: str, *, max_docs: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token ids, labels and document offsets of the first ``max_docs`` documents of ``split``.

        The same tokens the tokenizer gives for ``documents(split)``, without building text.

        Returns
        -------
        ids : np.ndarray, shape (n_tokens,), int32
        labels : np.ndarray, shape (n_tokens,), int32
        offsets : np.ndarray, shape (n_docs + 1,), int64
        """
        check_choice("split", split, SPLITS)
        n = self.language.n_docs(split) if max_docs is None else min(check_int("max_docs", max_docs, min=1),
                                                                       self.language.n_docs(split))
        ids, labels, offs, base = [], [], [np.zeros(1, np.int64)], 0
        for c in range(-(-n // CHUNK_DOCS)):
            i, l, o = self.language.chunk(split, c)
            keep = min(len(o) - 1, n - c * CHUNK_DOCS)
            ids.append(i[: o[keep]])
            labels.append(l[: o[keep]])
            offs.append(o[1: keep + 1] + base)
            base += int(o[keep])
        return np.concatenate(ids), np.concatenate(labels), np.concatenate(offs)

    @property
    def skill_probs(self) -> np.ndarray:
        """Frequency p_k of each skill, shape (K,), skill id 0 the most frequent."""
        return self.language.probs.copy()

    @property
    def skill_family(self) -> np.ndarray:
        """Family name of each skill, shape (K,)."""
        return self.language.skill_family.copy()


def corpus(**kw) -> PlantedCorpus:
    """Factory used by ``quanta.lm.corpora.get_corpus("planted", **kw)``."""
    return PlantedCorpus(**kw)
