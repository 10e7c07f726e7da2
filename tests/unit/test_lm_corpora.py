"""Corpora and tokenizer of quanta.lm: splits, manifests, formats and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from quanta.lm import corpora
from quanta.lm.corpora import Document, PileCorpus, StdlibCorpus, TextDirCorpus, get_corpus


def _write_docs(folder, n=40, seed=0):
    rng = np.random.default_rng(seed)
    words = ["def", "return", "self", "import", "class", "for", "in", "if", "else", "x", "y", "(", ")", ":"]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = " ".join(rng.choice(words, size=int(rng.integers(20, 80))))
        (folder / f"doc{i:03d}.txt").write_text(text)
    return folder


def test_stdlib_manifest_and_split_are_stable():
    c = StdlibCorpus(max_files=60)
    m = c.manifest()
    assert m["corpus"] == "python-stdlib" and m["python"].count(".") == 2
    assert m["documents"]["train"] + m["documents"]["test"] + m["empty_skipped"] == 60
    assert len(m["content_sha256"]) == 64
    train = [d.doc_id for d in c.documents("train")]
    test = [d.doc_id for d in c.documents("test")]
    assert not set(train) & set(test)
    assert all(i.endswith(".py") and not i.startswith("/") for i in train)
    # same ids in the same order from a fresh object; the split does not depend on the other files
    c2 = StdlibCorpus(max_files=60)
    assert [d.doc_id for d in c2.documents("train")] == train
    assert all(corpora.split_of(i, 0.05) == "test" for i in test)


def test_textdir_skips_empty_documents_and_rejects_empty_splits(tmp_path):
    d = _write_docs(tmp_path / "docs", n=30)
    (d / "empty.txt").write_text("   \n")
    c = TextDirCorpus(d, test_fraction=0.3)
    m = c.manifest()
    assert m["empty_skipped"] == 1 and sum(m["documents"].values()) == 30
    assert all(doc.text.strip() for doc in c.documents("test"))
    only_empty = tmp_path / "empty"
    only_empty.mkdir()
    (only_empty / "a.txt").write_text("")
    with pytest.raises(ValueError, match="no non-empty document"):
        list(TextDirCorpus(only_empty).documents("train"))
    with pytest.raises(ValueError, match="not a folder"):
        TextDirCorpus(tmp_path / "missing")


def test_pile_jsonl_and_zst_agree_and_bad_files_fail(tmp_path):
    import zstandard

    lines = [json.dumps({"text": f"document number {i} " * (i % 5 + 1), "meta": {}}) for i in range(50)]
    lines.insert(7, json.dumps({"text": ""}))
    raw = ("\n".join(lines) + "\n").encode()
    (tmp_path / "test.jsonl").write_bytes(raw)
    (tmp_path / "test.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    a = PileCorpus(tmp_path / "test.jsonl", test_fraction=0.2)
    b = PileCorpus(tmp_path / "test.jsonl.zst", test_fraction=0.2)
    assert [d.text for d in a.documents("test")] == [d.text for d in b.documents("test")]
    assert a.manifest()["empty_skipped"] == 1
    # explicit test file: everything in `path` is train
    (tmp_path / "train.jsonl").write_bytes(raw)
    c = PileCorpus(tmp_path / "train.jsonl", test_path=tmp_path / "test.jsonl.zst")
    assert c.manifest()["documents"] == {"train": 50, "test": 50}

    (tmp_path / "bad.jsonl.zst").write_bytes(b"\x28\xb5\x2f\xfd garbage that is not zstd")
    with pytest.raises(ValueError, match="bad.jsonl.zst"):
        PileCorpus(tmp_path / "bad.jsonl.zst").manifest()
    (tmp_path / "bad.jsonl").write_text('{"text": "ok"}\n{"text": \n')
    with pytest.raises(ValueError, match="line 2"):
        PileCorpus(tmp_path / "bad.jsonl").manifest()
    (tmp_path / "nokey.jsonl").write_text('{"content": "x"}\n')
    with pytest.raises(ValueError, match="'text'"):
        PileCorpus(tmp_path / "nokey.jsonl").manifest()
    with pytest.raises(ValueError, match="does not exist"):
        PileCorpus(tmp_path / "nothere.jsonl")
    with pytest.raises(ValueError, match="allowed formats"):
        PileCorpus(_touch(tmp_path / "x.txt"))


def _touch(p):
    p.write_text("x")
    return p


def test_registry_accepts_names_and_objects(tmp_path):
    c = TextDirCorpus(_write_docs(tmp_path / "d", n=10))
    assert get_corpus(c) is c
    with pytest.raises(ValueError, match="not allowed"):
        get_corpus("wikipedia")
    with pytest.raises(TypeError):
        get_corpus(c, path="x")
    assert isinstance(get_corpus("textdir", path=tmp_path / "d"), TextDirCorpus)
    with pytest.raises(TypeError, match="doc_id"):
        Document("", "text")
    with pytest.raises(TypeError, match="labels"):
        Document("a", "text", labels=np.array([0.5]))


def test_bpe_tokenizer_round_trip_and_label_alignment(tmp_path):
    from quanta.lm.tokenizer import encode_documents, load_tokenizer, save_tokenizer, train_bpe

    c = TextDirCorpus(_write_docs(tmp_path / "d", n=40), test_fraction=0.25)
    tok = train_bpe(c, 300)
    assert len(tok) <= 300 and tok.eos_token == "<|endoftext|>"
    save_tokenizer(tok, tmp_path / "tok")
    tok2 = load_tokenizer(tmp_path / "tok")
    text = next(c.documents("test")).text
    assert tok(text)["input_ids"] == tok2(text)["input_ids"]
    assert tok2.decode(tok2(text)["input_ids"]) == text  # byte-level BPE is lossless
    docs = encode_documents(c, tok, "test", max_length=16)
    assert docs.lengths.max() <= 16 and docs.n_docs == len(list(c.documents("test")))
    with pytest.raises(ValueError, match="tokenizer.json"):
        load_tokenizer(tmp_path)

    class Labelled(TextDirCorpus):
        def _iter_raw(self):
            for doc_id, text in super()._iter_raw():
                yield Document(doc_id, text, labels=np.zeros(3, dtype=np.int64))

    with pytest.raises(ValueError, match="labels must align"):
        encode_documents(Labelled(tmp_path / "d", test_fraction=0.25), tok, "test")
