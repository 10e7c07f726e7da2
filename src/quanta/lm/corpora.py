"""Text corpora behind one interface (paper §4; SPEC §3.2, §7 Figure 3 substitute).

The paper measures per-token losses of the Pythia suite on documents of The Pile. Offline we need the
same shape of data: a stream of *documents*, each with a stable identifier, split into train and test
*by document* (no document contributes tokens to both), always in the same order. Every corpus here
yields :class:`Document` objects from ``documents(split)`` and describes itself with ``manifest()``
(what was read, how much, a content hash); the manifest's hash is the corpus's cache ``key``, so a
changed file changes every downstream cache entry.

Registered names (:func:`get_corpus`):

``python-stdlib``  source files of the running interpreter's standard library (``site-packages``
                   excluded), present on every Python install.
``python-env``     every ``.py`` file of the installed environment (standard library plus installed
                   packages), deduplicated by content.
``pile``           The Pile's ``jsonl`` / ``jsonl.zst`` format from a local path.
``textdir``        a folder of text files.
``planted``        the planted-quanta language of :mod:`quanta.planted` (imported lazily).

Split rule: a document is in the test split when the first 8 bytes of ``sha256(doc_id)``, read as a
fraction of 2**64, fall below ``test_fraction``; documents are listed in the order of a second, salted
hash of the id, so "the first k test documents" is a stable pseudo-random sample that does not change
when unrelated files are added. Empty documents are skipped (the paper's convention: they contribute no losses) and
counted in the manifest; a split with no non-empty document raises ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
import sys
import sysconfig
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..validate import check_choice, check_float, check_int

log = logging.getLogger(__name__)

SPLITS = ("train", "test")


@dataclasses.dataclass(frozen=True)
class Document:
    """One document of a corpus.

    Parameters
    ----------
    doc_id : str
        Stable identifier (a relative path, ``file:line``, ...), unique within the corpus.
    text : str
        The document's text.
    labels : numpy.ndarray of int, shape (n_tokens,), optional
        Per-token integer labels aligned with the tokens of the corpus's own tokenizer (the planted
        corpus labels each token with the skill that predicts it; ``-1`` for none).
    """

    doc_id: str
    text: str
    labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.doc_id, str) or not self.doc_id:
            raise TypeError(f"doc_id={self.doc_id!r} must be a non-empty string")
        if not isinstance(self.text, str):
            raise TypeError(f"text of document {self.doc_id!r} must be a str, got {type(self.text).__name__}")
        if self.labels is not None:
            lab = np.asarray(self.labels)
            if lab.ndim != 1 or not np.issubdtype(lab.dtype, np.integer):
                raise TypeError(f"labels of document {self.doc_id!r} must be a 1-d integer array, got "
                                f"dtype {lab.dtype} shape {lab.shape}")


def split_of(doc_id: str, test_fraction: float) -> str:
    """``"test"`` or ``"train"`` for a document id (hash rule of the module docstring)."""
    return "test" if _hash_fraction(doc_id) < test_fraction else "train"


def _hash_fraction(doc_id: str) -> float:
    return int.from_bytes(hashlib.sha256(doc_id.encode()).digest()[:8], "big") / 2.0**64


def _order_key(doc_id: str) -> bytes:
    # salted, so that the order (and any "first k documents" subset) is independent of the split
    return hashlib.sha256(b"order\0" + doc_id.encode()).digest()


class Corpus:
    """Base class: subclasses implement ``_iter_raw()`` yielding ``(doc_id, text)`` or ``Document``.

    Attributes
    ----------
    name : str
        Registered name of the corpus kind.
    test_fraction : float
        Fraction of documents (by id hash) in the test split.
    """

    name = "corpus"

    def __init__(self, *, test_fraction: float = 0.05) -> None:
        self.test_fraction = check_float("test_fraction", test_fraction, min=0.0, max=1.0,
                                         min_inclusive=False, max_inclusive=False)
        self._manifest: dict | None = None

    # -- to implement -------------------------------------------------------------------------------
    def _iter_raw(self) -> Iterator[Document]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _describe(self) -> dict:
        return {}

    # -- public API ---------------------------------------------------------------------------------
    def tokenizer(self):
        """The corpus's own tokenizer (a ``PreTrainedTokenizerFast``) or ``None`` to train a BPE."""
        return None

    def documents(self, split: str = "train") -> Iterator[Document]:
        """Yield the non-empty documents of ``split`` (``"train"`` or ``"test"``) in a fixed order."""
        check_choice("split", split, SPLITS)
        docs = [d for d in self._all() if split_of(d.doc_id, self.test_fraction) == split]
        if not docs:
            raise ValueError(f"corpus {self.name!r} has no non-empty document in split {split!r} "
                             f"(test_fraction={self.test_fraction}); {self.manifest().get('source', '')}")
        yield from docs

    def manifest(self) -> dict:
        """What the corpus holds: kind, source, document/byte counts per split and a content hash."""
        if self._manifest is None:
            h = hashlib.sha256()
            counts = {s: 0 for s in SPLITS}
            nbytes = {s: 0 for s in SPLITS}
            for d in self._all():
                s = split_of(d.doc_id, self.test_fraction)
                counts[s] += 1
                b = d.text.encode("utf-8", "surrogatepass")
                nbytes[s] += len(b)
                h.update(d.doc_id.encode() + b"\0" + hashlib.sha256(b).digest())
                if d.labels is not None:
                    h.update(hashlib.sha256(np.ascontiguousarray(d.labels, dtype=np.int64).tobytes()).digest())
            self._manifest = {"corpus": self.name, **self._describe(), "test_fraction": self.test_fraction,
                              "documents": counts, "bytes": nbytes, "empty_skipped": self._n_empty,
                              "content_sha256": h.hexdigest()}
        return dict(self._manifest)

    @property
    def key(self) -> str:
        """Cache key of the corpus content (used by :mod:`quanta.cache` when a corpus is in a config)."""
        m = self.manifest()
        return f"{self.name}:{m['content_sha256'][:24]}:{self.test_fraction}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def _all(self) -> list[Document]:
        if not hasattr(self, "_docs"):
            docs, seen, n_empty = [], set(), 0
            for item in self._iter_raw():
                d = item if isinstance(item, Document) else Document(*item)
                if d.doc_id in seen:
                    raise ValueError(f"corpus {self.name!r}: duplicate doc_id {d.doc_id!r}")
                seen.add(d.doc_id)
                if not d.text.strip():
                    n_empty += 1
                    continue
                docs.append(d)
            docs.sort(key=lambda d: _order_key(d.doc_id))
            self._docs, self._n_empty = docs, n_empty
        return self._docs


# --------------------------------------------------------------------------------------------------
# File-based corpora
# --------------------------------------------------------------------------------------------------

def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as e:
        raise ValueError(f"cannot read corpus file {path}: {e}") from e


def _walk_py(base: Path, skip_dirs: tuple[str, ...]) -> list[Path]:
    out = []
    for r, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in skip_dirs and not d.startswith("."))
        out.extend(Path(r) / f for f in sorted(files) if f.endswith(".py"))
    return out


class StdlibCorpus(Corpus):
    """Source files of the running interpreter's standard library (``python-stdlib``).

    Parameters
    ----------
    include_tests : bool
        Keep the ``test``/``tests`` packages of the standard library (about 60 % of its bytes).
    max_files : int, optional
        Keep only the first ``max_files`` files in hash order (for quick runs).
    test_fraction : float
        Fraction of files in the test split.
    """

    name = "python-stdlib"
    _SKIP = ("site-packages", "dist-packages", "__pycache__")

    def __init__(self, *, include_tests: bool = True, max_files: int | None = None, test_fraction: float = 0.05):
        super().__init__(test_fraction=test_fraction)
        self.include_tests = bool(include_tests)
        self.max_files = None if max_files is None else check_int("max_files", max_files, min=2)
        self.root = Path(sysconfig.get_paths()["stdlib"])

    def _describe(self) -> dict:
        return {"python": sys.version.split()[0], "implementation": sys.implementation.name,
                "source": "standard library of the running interpreter", "include_tests": self.include_tests,
                "max_files": self.max_files}

    def _files(self) -> list[tuple[str, Path]]:
        skip = self._SKIP + (() if self.include_tests else ("test", "tests", "idle_test"))
        files = [(p.relative_to(self.root).as_posix(), p) for p in _walk_py(self.root, skip)]
        if self.max_files is not None:
            files = sorted(files, key=lambda x: _order_key(x[0]))[: self.max_files]
        return files

    def _iter_raw(self):
        for rel, p in self._files():
            yield rel, _read_text(p)


class EnvCorpus(StdlibCorpus):
    """Every ``.py`` file of the installed environment, deduplicated by content (``python-env``).

    The standard library's ids start with ``stdlib/``, installed packages' with ``site/``; among files
    with identical bytes only the first id in sorted order is kept (the manifest counts the others).
    """

    name = "python-env"

    def __init__(self, *, max_files: int | None = None, test_fraction: float = 0.05):
        super().__init__(include_tests=True, max_files=max_files, test_fraction=test_fraction)
        paths = sysconfig.get_paths()
        self.site_roots = sorted({Path(paths["purelib"]), Path(paths["platlib"])})
        self._n_dup = 0

    def _describe(self) -> dict:
        d = super()._describe()
        d.update(source="standard library and installed packages of the running environment",
                 duplicates_removed=self._n_dup)
        return d

    def _files(self) -> list[tuple[str, Path]]:
        files = [("stdlib/" + p.relative_to(self.root).as_posix(), p) for p in _walk_py(self.root, self._SKIP)]
        for i, site in enumerate(self.site_roots):
            if site.is_dir():
                files += [(f"site{i or ''}/" + p.relative_to(site).as_posix(), p)
                          for p in _walk_py(site, ("__pycache__",))]
        files.sort()
        if self.max_files is not None:
            files = sorted(files, key=lambda x: _order_key(x[0]))[: self.max_files]
        return files

    def _iter_raw(self):
        seen: set[bytes] = set()
        self._n_dup = 0
        for rel, p in self._files():
            text = _read_text(p)
            h = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
            if h in seen:
                self._n_dup += 1
                continue
            seen.add(h)
            yield rel, text


class TextDirCorpus(Corpus):
    """A folder of text files (``textdir``); each file is one document, its id the relative path.

    Parameters
    ----------
    path : str or Path
        The folder (searched recursively).
    suffixes : tuple of str
        File name endings to include.
    """

    name = "textdir"

    def __init__(self, path, *, suffixes: tuple[str, ...] = (".txt", ".md", ".py", ".rst"), test_fraction: float = 0.05):
        super().__init__(test_fraction=test_fraction)
        self.path = Path(path)
        if not self.path.is_dir():
            raise ValueError(f"path={str(path)!r} is not a folder; textdir needs a folder of text files")
        self.suffixes = tuple(suffixes)

    def _describe(self) -> dict:
        return {"source": self.path.name, "suffixes": list(self.suffixes)}

    def _iter_raw(self):
        files = sorted(p for p in self.path.rglob("*") if p.is_file() and p.name.endswith(self.suffixes))
        if not files:
            raise ValueError(f"path={str(self.path)!r} holds no file ending in {self.suffixes}")
        for p in files:
            yield p.relative_to(self.path).as_posix(), _read_text(p)


def _stem(path: Path) -> str:
    name = path.name
    return name[: -len(".zst")] [: -len(".jsonl")] if name.endswith(".zst") else name[: -len(".jsonl")]


class PileCorpus(Corpus):
    """The Pile's ``jsonl`` or ``jsonl.zst`` format from a local file (``pile``).

    Each line is a JSON object with a ``text`` field; the document id is ``<stem>:<line number>`` where
    the stem is the file name without ``.jsonl``/``.jsonl.zst`` (compressed or not, the same ids).

    Parameters
    ----------
    path : str or Path
        A ``.jsonl`` or ``.jsonl.zst`` file.
    max_docs : int, optional
        Read only the first ``max_docs`` lines (the paper used the first 200,000 test documents).
    test_path : str or Path, optional
        A separate file for the test split (e.g. Pile ``test.jsonl.zst``); then ``path`` is all train.
    text_key : str
        Field holding the text.
    """

    name = "pile"

    def __init__(self, path, *, max_docs: int | None = None, test_path=None, text_key: str = "text",
                 test_fraction: float = 0.05):
        super().__init__(test_fraction=test_fraction)
        self.path = Path(path)
        self.test_path = None if test_path is None else Path(test_path)
        for name, p in (("path", self.path), ("test_path", self.test_path)):
            if p is None:
                continue
            if not p.is_file():
                raise ValueError(f"{name}={str(p)!r} does not exist or is not a file")
            if not (p.name.endswith(".jsonl") or p.name.endswith(".jsonl.zst")):
                raise ValueError(f"{name}={str(p)!r}: allowed formats are .jsonl and .jsonl.zst")
        self.max_docs = None if max_docs is None else check_int("max_docs", max_docs, min=1)
        self.text_key = text_key

    def _describe(self) -> dict:
        return {"source": self.path.name, "test_source": None if self.test_path is None else self.test_path.name,
                "max_docs": self.max_docs}

    def documents(self, split: str = "train") -> Iterator[Document]:
        if self.test_path is None:
            yield from super().documents(split)
            return
        check_choice("split", split, SPLITS)
        want = _stem(self.test_path)
        docs = [d for d in self._all() if (d.doc_id.rsplit(":", 1)[0] == want) == (split == "test")]
        if not docs:
            raise ValueError(f"corpus 'pile' has no non-empty document in split {split!r}")
        yield from docs

    def manifest(self) -> dict:
        m = super().manifest()
        if self.test_path is not None:
            counts = {s: sum(1 for _ in self.documents(s)) for s in SPLITS}
            m["documents"] = counts
        return m

    def _lines(self, path: Path) -> Iterator[tuple[int, str]]:
        try:
            if path.name.endswith(".zst"):
                import zstandard

                with open(path, "rb") as fh:
                    reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
                    for i, line in enumerate(reader):
                        yield i, line
            else:
                with open(path, encoding="utf-8") as fh:
                    for i, line in enumerate(fh):
                        yield i, line
        except (OSError, UnicodeDecodeError) as e:  # zstandard.ZstdError is an OSError subclass? not always
            raise ValueError(f"corpus file {path} is corrupt or unreadable: {e}") from e
        except Exception as e:
            if type(e).__name__ == "ZstdError":
                raise ValueError(f"corpus file {path} is not a valid zstd stream: {e}") from e
            raise

    def _iter_raw(self):
        n = 0
        for path in (self.path, self.test_path):
            if path is None:
                continue
            for i, line in self._lines(path):
                if self.max_docs is not None and n >= self.max_docs:
                    break
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"corpus file {path}, line {i + 1}: not valid JSON ({e.msg})") from e
                text = obj.get(self.text_key) if isinstance(obj, dict) else None
                if not isinstance(text, str):
                    raise ValueError(f"corpus file {path}, line {i + 1}: expected an object with a string "
                                     f"field {self.text_key!r}")
                n += 1
                yield f"{_stem(path)}:{i}", text


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------

def _planted(**kw):
    try:
        import quanta.planted as planted
    except ImportError as e:  # pragma: no cover - depends on the planted package
        raise ValueError("corpus 'planted' needs the quanta.planted package, which is not importable") from e
    factory = getattr(planted, "corpus", None) or getattr(planted, "get_corpus", None) or getattr(planted, "PlantedCorpus", None)
    if factory is None:  # pragma: no cover
        raise ValueError("quanta.planted does not expose corpus(**kw), get_corpus(**kw) or PlantedCorpus")
    return factory(**kw)


CORPORA: dict[str, Callable[..., Any]] = {
    "python-stdlib": StdlibCorpus,
    "python-env": EnvCorpus,
    "pile": PileCorpus,
    "textdir": TextDirCorpus,
    "planted": _planted,
}


def register_corpus(name: str, factory: Callable[..., Any]) -> None:
    """Add a corpus kind: ``factory(**kwargs)`` must return an object with the corpus interface."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name={name!r} must be a non-empty string")
    CORPORA[name] = factory


def is_corpus(obj: Any) -> bool:
    """True if ``obj`` has the corpus interface (``documents``, ``manifest``)."""
    return callable(getattr(obj, "documents", None)) and callable(getattr(obj, "manifest", None))


def get_corpus(corpus, **kwargs):
    """Return a corpus object from a registered name (with keyword options) or a corpus object.

    Parameters
    ----------
    corpus : str or corpus object
        One of :data:`CORPORA` (``python-stdlib``, ``python-env``, ``pile``, ``textdir``,
        ``planted``) or an object with ``documents(split)`` and ``manifest()``.
    **kwargs
        Options of the corpus kind (e.g. ``path=`` for ``pile`` and ``textdir``).
    """
    if is_corpus(corpus):
        if kwargs:
            raise TypeError(f"options {sorted(kwargs)} cannot be applied to an existing corpus object")
        return corpus
    if not isinstance(corpus, str):
        raise TypeError(f"corpus={corpus!r} must be a registered name ({', '.join(CORPORA)}) or a corpus object")
    check_choice("corpus", corpus, tuple(CORPORA))
    return CORPORA[corpus](**kwargs)


def corpus_key(corpus) -> str:
    """A content key for any corpus object (its ``key`` if present, else a hash of its manifest)."""
    k = getattr(corpus, "key", None)
    if isinstance(k, str):
        return k
    blob = json.dumps(corpus.manifest(), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:24]
