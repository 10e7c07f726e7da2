"""Build the tokenized data of the paper-scale language-model suite on this machine.

The GPU machine has another set of installed packages, so the ``python-env`` corpus (every Python
file of this environment) is read, tokenized and frozen here: a zstd-compressed uint16 train stream,
the tokenized test documents and the tokenizer, written to a folder that travels with the GPU run.

Usage: ``python benchmarks/lm_paper_data.py OUT_DIR [--train-tokens N]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("--train-tokens", type=int, default=60_000_000)
    ap.add_argument("--eval-docs", type=int, default=None)
    ap.add_argument("--scale", default="paper")
    args = ap.parse_args()

    import zstandard

    from quanta.cache import atomic_write_bytes, atomic_write_text
    from quanta.lm import suite as S
    from quanta.lm.corpora import corpus_key
    from quanta.lm.tokenizer import save_tokenizer, tokenizer_key

    over = {"train_tokens": args.train_tokens}
    if args.eval_docs:
        over["eval_docs"] = args.eval_docs
    cfg = S.preset(args.scale, corpus="python-env", **over)
    t0 = time.perf_counter()
    corpus = S.resolve_corpus(cfg)
    manifest = corpus.manifest()
    print("corpus", manifest, f"{time.perf_counter() - t0:.1f}s", flush=True)
    tok = S.suite_tokenizer(cfg)
    print("tokenizer", len(tok), f"{time.perf_counter() - t0:.1f}s", flush=True)
    stream = S.train_stream(cfg)
    print("stream", stream.shape, stream.dtype, f"{time.perf_counter() - t0:.1f}s", flush=True)
    docs = S.test_docs(cfg)
    print("test", docs.n_docs, docs.tokens.shape, f"{time.perf_counter() - t0:.1f}s", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    raw = np.ascontiguousarray(stream.astype(np.uint16)).tobytes()
    atomic_write_bytes(args.out / "train.u16.zst", zstandard.ZstdCompressor(level=10, threads=2).compress(raw))
    np.savez_compressed(args.out / "test.npz", tokens=docs.tokens.astype(np.uint16), offsets=docs.offsets,
                        doc_ids=np.array(docs.doc_ids, dtype=str))
    save_tokenizer(tok, args.out / "tokenizer")
    text_bytes = sum(len(d.text.encode("utf-8", "surrogatepass")) for d in corpus.documents("train"))
    meta = {"cfg": {k: v for k, v in S.cache_config(cfg).items()}, "corpus": manifest, "corpus_key": corpus_key(corpus),
            "tokenizer_key": tokenizer_key(tok), "vocab": len(tok), "eos_token_id": tok.eos_token_id, "train_tokens": int(len(stream)),
            "train_split_bytes": text_bytes, "test_docs": docs.n_docs, "test_tokens": int(len(docs.tokens))}
    atomic_write_text(args.out / "meta.json", json.dumps(meta, indent=1, default=str))
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {args.out} ({size / 2**20:.1f} MiB) in {time.perf_counter() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
