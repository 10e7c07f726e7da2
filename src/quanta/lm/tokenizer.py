"""Tokenizers and tokenized splits (paper §4; SPEC §3.1-3.2).

Pythia uses one byte-level BPE tokenizer for the whole suite, so every model predicts the same tokens
and per-token losses line up across sizes. We do the same: one byte-level BPE (``tokenizers``) trained
on the *train* split of a corpus, saved and reloaded as a transformers ``PreTrainedTokenizerFast``,
shared by every member of a suite. A corpus that brings its own tokenizer (the planted-quanta
language, where each symbol is exactly one token and carries a skill label) is used as is.

Tokenized splits (:class:`TokenizedDocs`) are flat arrays: ``tokens`` (n_tokens,) of all documents
concatenated, ``offsets`` (n_docs + 1,) so that document i is ``tokens[offsets[i]:offsets[i+1]]``,
and, for labelled corpora, ``labels`` (n_tokens,) aligned with ``tokens``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from ..validate import check_choice, check_int
from .corpora import corpus_key, get_corpus

log = logging.getLogger(__name__)

EOS = "<|endoftext|>"
PAD = "<|padding|>"
TOKENIZER_VERSION = 1


def train_bpe(corpus, vocab_size: int, *, max_bytes: int | None = 20_000_000, min_frequency: int = 2):
    """Train a byte-level BPE tokenizer on the train split of ``corpus``.

    Parameters
    ----------
    corpus : str or corpus object
        See :func:`quanta.lm.corpora.get_corpus`.
    vocab_size : int
        Vocabulary size including the 256 byte symbols and two special tokens.
    max_bytes : int, optional
        Train on at most this many bytes of the train split (documents in corpus order).
    min_frequency : int
        Minimum pair count for a merge.

    Returns
    -------
    transformers.PreTrainedTokenizerFast
        With ``eos_token`` = ``<|endoftext|>`` and ``pad_token`` = ``<|padding|>``.
    """
    vocab_size = check_int("vocab_size", vocab_size, min=260, max=65536)
    corpus = get_corpus(corpus)
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=[EOS, PAD],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)

    def texts():
        n = 0
        for d in corpus.documents("train"):
            yield d.text
            n += len(d.text)
            if max_bytes is not None and n >= max_bytes:
                break

    tok.train_from_iterator(texts(), trainer=trainer)
    return wrap_tokenizer(tok)


def wrap_tokenizer(tok):
    """Wrap a ``tokenizers.Tokenizer`` as a ``PreTrainedTokenizerFast`` with our special tokens."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, bos_token=EOS, unk_token=None, pad_token=PAD)


def save_tokenizer(tokenizer, path) -> Path:
    """Save with ``save_pretrained`` into ``path`` atomically (temporary folder, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    tokenizer.save_pretrained(str(tmp))
    if path.exists():
        shutil.rmtree(path)
    os.replace(tmp, path)
    return path


def load_tokenizer(path):
    """Load a tokenizer saved by :func:`save_tokenizer` (or any local transformers tokenizer folder)."""
    from transformers import PreTrainedTokenizerFast

    path = Path(path)
    if not (path / "tokenizer.json").is_file():
        raise ValueError(f"path={str(path)!r} holds no tokenizer.json; save one with save_tokenizer()")
    return PreTrainedTokenizerFast.from_pretrained(str(path))


def bpe_bytes(vocab_size: int) -> int:
    """Bytes of training text used for a BPE of ``vocab_size`` (2 kB per merge, at most 20 MB)."""
    return int(min(20_000_000, 2000 * vocab_size))


def get_tokenizer(corpus, vocab_size: int, *, max_bytes: int | None = None):
    """The tokenizer of a suite: the corpus's own if it has one, else a cached BPE trained on it.

    The trained tokenizer is stored in the cache stage ``lm.tokenizer`` keyed by the corpus content
    and ``vocab_size``, so every chapter that uses the same corpus gets the same token ids.
    """
    corpus = get_corpus(corpus)
    own = corpus.tokenizer() if callable(getattr(corpus, "tokenizer", None)) else None
    if own is not None:
        return own
    from ..cache import stage_dir

    max_bytes = bpe_bytes(vocab_size) if max_bytes is None else max_bytes
    sd = stage_dir("lm.tokenizer", {"corpus": corpus_key(corpus), "vocab_size": vocab_size, "max_bytes": max_bytes},
                   version=TOKENIZER_VERSION)
    if sd.complete:
        return load_tokenizer(sd.path / "tokenizer")
    tok = train_bpe(corpus, vocab_size, max_bytes=max_bytes)
    save_tokenizer(tok, sd.path / "tokenizer")
    sd.mark_complete({"vocab_size": len(tok), "corpus": corpus.manifest()})
    return tok


def tokenizer_key(tokenizer) -> str:
    """A content hash of a tokenizer's vocabulary and merges (for cache keys)."""
    import hashlib

    blob = tokenizer.backend_tokenizer.to_str() if hasattr(tokenizer, "backend_tokenizer") else json.dumps(tokenizer.get_vocab(), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


@dataclasses.dataclass(frozen=True)
class TokenizedDocs:
    """Documents of one split tokenized independently and concatenated.

    Attributes
    ----------
    tokens : numpy.ndarray of uint32, shape (n_tokens,)
    offsets : numpy.ndarray of int64, shape (n_docs + 1,)
        Document i is ``tokens[offsets[i]:offsets[i + 1]]``.
    doc_ids : tuple of str, length n_docs
    labels : numpy.ndarray of int32, shape (n_tokens,), or None
        Per-token labels for labelled corpora.
    """

    tokens: np.ndarray
    offsets: np.ndarray
    doc_ids: tuple
    labels: np.ndarray | None = None

    @property
    def n_docs(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def doc(self, i: int) -> np.ndarray:
        return self.tokens[self.offsets[i]:self.offsets[i + 1]]

    def to_dict(self) -> dict:
        d = {"tokens": self.tokens, "offsets": self.offsets, "doc_ids": np.array(self.doc_ids, dtype=str)}
        if self.labels is not None:
            d["labels"] = self.labels
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TokenizedDocs":
        return cls(np.asarray(d["tokens"]), np.asarray(d["offsets"]), tuple(str(x) for x in d["doc_ids"]),
                   None if "labels" not in d else np.asarray(d["labels"]))


def encode_documents(corpus, tokenizer, split: str, *, max_docs: int | None = None, max_length: int | None = None,
                     batch: int = 256) -> TokenizedDocs:
    """Tokenize each document of ``split`` independently (no special tokens added).

    Parameters
    ----------
    corpus : str or corpus object
    tokenizer : PreTrainedTokenizerFast
    split : {"train", "test"}
    max_docs : int, optional
        Keep the first ``max_docs`` documents of the split.
    max_length : int, optional
        Truncate each document to its first ``max_length`` tokens (the paper used 1024; SPEC §3.2).
    batch : int
        Documents per call of the fast (Rust, multi-threaded) encoder.

    Raises
    ------
    ValueError
        If a document's labels do not have one entry per token, or a token id does not fit the
        tokenizer's vocabulary.
    """
    check_choice("split", split, ("train", "test"))
    corpus = get_corpus(corpus)
    docs = []
    for d in corpus.documents(split):
        docs.append(d)
        if max_docs is not None and len(docs) >= max_docs:
            break
    return encode_texts(docs, tokenizer, max_length=max_length, batch=batch)


def encode_texts(docs, tokenizer, *, max_length: int | None = None, batch: int = 256) -> TokenizedDocs:
    """Tokenize a list of :class:`~quanta.lm.corpora.Document` independently (see :func:`encode_documents`)."""
    docs = list(docs)
    pieces, labels, lengths = [], [], []
    labelled = any(d.labels is not None for d in docs)
    for s in range(0, len(docs), batch):
        chunk = docs[s:s + batch]
        enc = tokenizer([d.text for d in chunk], add_special_tokens=False)["input_ids"]
        for d, ids in zip(chunk, enc):
            ids = np.asarray(ids, dtype=np.uint32)
            if labelled:
                if d.labels is None or len(d.labels) != len(ids):
                    raise ValueError(f"document {d.doc_id!r}: {0 if d.labels is None else len(d.labels)} labels "
                                     f"for {len(ids)} tokens; labels must align one-to-one with the tokenizer's tokens")
                lab = np.asarray(d.labels, dtype=np.int32)
            if max_length is not None:
                ids = ids[:max_length]
                if labelled:
                    lab = lab[:max_length]
            pieces.append(ids)
            lengths.append(len(ids))
            if labelled:
                labels.append(lab)
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    tokens = np.concatenate(pieces) if pieces else np.zeros(0, np.uint32)
    if tokens.size and int(tokens.max()) >= len(tokenizer):
        raise ValueError(f"token id {int(tokens.max())} >= tokenizer vocabulary size {len(tokenizer)}")
    return TokenizedDocs(tokens, offsets, tuple(d.doc_id for d in docs),
                         np.concatenate(labels) if labelled else None)
