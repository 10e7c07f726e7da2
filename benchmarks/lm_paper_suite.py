"""Train the paper-scale suite on a GPU from frozen token data and evaluate its per-token losses.

Input: the folder written by ``benchmarks/lm_paper_data.py`` (train stream, tokenized test documents,
tokenizer, metadata). Every member of ``quanta.lm.preset("paper")`` is trained with
:func:`quanta.lm.suite.train_member` (bf16, same stream and order), then evaluated with
:func:`quanta.lm.losses.evaluate_suite` on the same test tokens: final models per token (float16), and
every checkpoint of every member as a mean loss and a loss histogram (bits). Output: ``lm_paper.npz``
and ``lm_paper.json`` in OUT, from which ``quanta.lm.paper.freeze`` writes the committed artifact.

Usage: ``PYTHONPATH=src python benchmarks/lm_paper_suite.py DATA OUT [--steps N] [--pilot]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

HIST_BINS = 1000
HIST_RANGE_BITS = (0.0, 18.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--compile-min", type=float, default=2e7, help="compile members with at least this many non-embedding params")
    ap.add_argument("--pilot", action="store_true", help="10 steps per member, no evaluation (timing only)")
    ap.add_argument("--max-test-tokens", type=int, default=900_000)
    ap.add_argument("--scale", default="paper", help="preset of the suite (smoke for a CPU check)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--work", default="/tmp/lm_suite", help="folder for checkpoints (not returned)")
    args = ap.parse_args()

    import torch
    import zstandard

    from quanta.device import describe
    from quanta.lm import suite as S
    from quanta.lm.checkpoints import padded_vocab
    from quanta.lm.losses import evaluate_suite, token_index
    from quanta.lm.tokenizer import TokenizedDocs

    t_start = time.perf_counter()
    meta = json.loads((args.data / "meta.json").read_text())
    raw = zstandard.ZstdDecompressor().decompress((args.data / "train.u16.zst").read_bytes())
    stream = np.frombuffer(raw, dtype=np.uint16)
    z = np.load(args.data / "test.npz")
    docs = TokenizedDocs(z["tokens"].astype(np.uint32), z["offsets"], tuple(str(x) for x in z["doc_ids"]))
    # keep whole documents up to the token budget of the artifact
    n_pred = np.cumsum(np.maximum(docs.lengths - 1, 0))
    keep = int(np.searchsorted(n_pred, args.max_test_tokens, side="right"))
    docs = TokenizedDocs(docs.tokens[: docs.offsets[keep]], docs.offsets[: keep + 1], docs.doc_ids[:keep])
    over = {}
    if args.steps:
        over["steps"] = args.steps
    if args.batch:
        over["batch_size"] = args.batch
    if args.pilot:
        over["steps"] = 12
    cfg = S.preset(args.scale, corpus="python-env", train_tokens=meta["cfg"]["train_tokens"], **over)
    vocab = padded_vocab(meta["vocab"])
    dev = args.device
    print(f"device {describe(dev)}; stream {len(stream):,} tokens; test {docs.n_docs} docs, "
          f"{int(n_pred[keep - 1]):,} losses; cfg {cfg}", flush=True)
    work = Path(args.work)
    if dev == "cpu":
        import torch as _t

        _t.set_num_threads(1)  # see quanta.lm.suite.cpu_threads
    recs = []
    for i, (d, L) in enumerate(cfg.sizes):
        comp = S.non_embedding_params(d, L) >= args.compile_min
        t0 = time.perf_counter()
        try:
            rec = S.train_member(cfg, i, stream, vocab, work, device=dev, eos_token_id=meta["eos_token_id"],
                                 compile=comp, progress=False)
        except Exception as e:
            if not comp:
                raise
            print(f"compile failed for member {i} ({type(e).__name__}: {e}); training it eagerly", flush=True)
            rec = S.train_member(cfg, i, stream, vocab, work, device=dev, eos_token_id=meta["eos_token_id"],
                                 compile=False, progress=False)
        rec["wall_s"] = time.perf_counter() - t0
        recs.append(rec)
        print(json.dumps({k: v for k, v in rec.items() if k != "curve"}), flush=True)
        args.out.mkdir(parents=True, exist_ok=True)  # progress so far, in case the run is cut off
        (args.out / "lm_members.json").write_text(json.dumps(recs, indent=1, default=str))
        if dev.startswith("cuda"):
            torch.cuda.empty_cache()
    t_train = time.perf_counter() - t_start
    out = {"device": describe(dev), "cfg": S.cache_config(cfg), "data_meta": meta, "train_wall_s": t_train,
           "members": [{k: v for k, v in r.items() if k != "curve"} for r in recs],
           "curves": {r["name"]: r["curve"] for r in recs}}
    arrays = {}
    if not args.pilot:
        suite = S.Suite(cfg, work, tuple(recs), vocab)
        t0 = time.perf_counter()
        fin = evaluate_suite(suite, docs, device=dev, batch_tokens=65536, progress=False)
        t_eval_final = time.perf_counter() - t0
        t0 = time.perf_counter()
        dyn = evaluate_suite(suite, docs, checkpoints=True, device=dev, batch_tokens=65536, progress=False)
        t_eval_ckpt = time.perf_counter() - t0
        names, steps = list(dict.fromkeys(dyn.names)), [int(s) for s in cfg.checkpoint_steps]
        bits = dyn.losses / np.log(2)
        hist = np.stack([np.histogram(bits[:, j], bins=HIST_BINS, range=HIST_RANGE_BITS, density=True)[0]
                         for j in range(bits.shape[1])]).reshape(len(names), len(steps), HIST_BINS)
        idx = token_index(docs)
        arrays = {"losses": fin.losses.astype(np.float16), "n_params": fin.n_params, "token": idx["token"].astype(np.uint16),
                  "doc_lengths": docs.lengths.astype(np.int32), "ckpt_steps": np.array(steps, np.int64),
                  "ckpt_mean": dyn.mean.reshape(len(names), len(steps)).astype(np.float64),
                  "ckpt_hist_bits": hist.astype(np.float32), "hist_edges_bits": np.linspace(*HIST_RANGE_BITS, HIST_BINS + 1),
                  "mean_final": fin.mean}
        out.update(eval_final_s=t_eval_final, eval_ckpt_s=t_eval_ckpt, eval_tokens=int(fin.n_tokens),
                   eval_columns=int(dyn.losses.shape[1] + fin.losses.shape[1]),
                   eval_tokens_per_s=(dyn.losses.size + fin.losses.size) / (t_eval_final + t_eval_ckpt),
                   doc_ids=list(docs.doc_ids), names=names)
        print("eval", t_eval_final, t_eval_ckpt, fin.mean.tolist(), flush=True)
    out["total_wall_s"] = time.perf_counter() - t_start
    args.out.mkdir(parents=True, exist_ok=True)
    if arrays:
        np.savez_compressed(args.out / "lm_paper.npz", **arrays)
    (args.out / ("lm_pilot.json" if args.pilot else "lm_paper.json")).write_text(json.dumps(out, indent=1, default=str))
    print("done", out["total_wall_s"], flush=True)


if __name__ == "__main__":
    main()
