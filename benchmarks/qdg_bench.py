"""Time to the S × S QDG similarity matrix: our exact and sketched modes vs the authors' procedure.

Same model, same documents, same tokens, one run. The reference (quanta.qdg.reference) forwards the
whole document per token, runs a backward pass through every parameter and recomputes block j's
gradients for every block pair (i ≤ j); at S = 10,000 that is 215,000 gradients (~70 min on an H100),
so it is timed on a subset of ``--ref-tokens`` gradients and extrapolated by its exact operation count:
``reference_gradient_count(S, 250)`` gradients plus ``reference_block_pairs(S, 250)`` block products
(each timed as a product of the subset's gradients, scaled by (250 / ref_tokens)²).

Models are random-init GPT-NeoX of a given shape (timing does not depend on the weights). Documents
are synthetic: ``--doc-len`` tokens drawn from a Zipfian unigram distribution; target positions are
uniform over each document, so our truncated contexts average half the reference's full documents.

Sketch accuracy (k in ``--sketch-dims``): correlation and max |error| of Ĉ against the exact Ĉ, and
ARI of fast spectral clusterings (K = ``--cluster-k``) against the exact one, beside the exact
clustering's own seed-to-seed ARI.

Examples
--------
CPU (small S)::

    python benchmarks/qdg_bench.py --shape tiny --n-tokens 400 --ref-tokens 40 --doc-len 128 --device cpu

GPU (paper S, pythia-70m shape)::

    python benchmarks/qdg_bench.py --shape pythia-70m --n-tokens 10000 --ref-tokens 128 --doc-len 1024 --device cuda
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from quanta.qdg.cluster import adjusted_rand, spectral_fast
from quanta.qdg.params import n_dims, select_parameters
from quanta.qdg.reference import reference_block_pairs, reference_gradient, reference_gradient_count
from quanta.qdg.samples import lm_token_loss, make_lm_batches
from quanta.qdg.similarity import angular_similarity, gradient_similarity

SHAPES = {
    # pythia-70m (= pythia-19m v0): d_model 512, 6 layers, 8 heads, d_ff 2048, vocab 50304
    "pythia-70m": dict(hidden_size=512, num_hidden_layers=6, num_attention_heads=8, intermediate_size=2048,
                       vocab_size=50304, max_position_embeddings=2048, rotary_pct=0.25, use_parallel_residual=True),
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
                 vocab_size=512, max_position_embeddings=512, rotary_pct=0.25, use_parallel_residual=True),
}


def build_model(shape: str, device: torch.device, seed: int = 0):
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    torch.manual_seed(seed)
    model = GPTNeoXForCausalLM(GPTNeoXConfig(**SHAPES[shape])).to(device).eval()
    return model


def make_docs(n_docs: int, doc_len: int, vocab: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(vocab) + 10.0)
    p /= p.sum()
    return [rng.choice(vocab, size=doc_len, p=p) for _ in range(n_docs)]


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--n-tokens", type=int, default=400)
    ap.add_argument("--doc-len", type=int, default=128)
    ap.add_argument("--n-docs", type=int, default=None)
    ap.add_argument("--ref-tokens", type=int, default=40)
    ap.add_argument("--ref-block", type=int, default=250)
    ap.add_argument("--sketch-dims", type=int, nargs="*", default=[1024, 4096, 16384])
    ap.add_argument("--cluster-k", type=int, default=None, help="default S/25 (400 at S=10,000)")
    ap.add_argument("--max-tokens", type=int, default=32768, help="token budget of one batch")
    ap.add_argument("--max-batch", type=int, default=256)
    ap.add_argument("--budget-gb", type=float, default=None, help="exact-mode chunk budget")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="folder for bench.json and bench.npz")
    args = ap.parse_args(argv)

    from quanta.device import describe, resolve

    dev = resolve(args.device)
    S = args.n_tokens
    log = {"args": vars(args), "device": describe(dev) if callable(describe) else str(dev)}

    def say(msg):
        print(msg, flush=True)

    def dump():
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            (Path(args.out) / "bench.json").write_text(json.dumps(log, indent=1, default=float))

    model = build_model(args.shape, dev, args.seed)
    specs = select_parameters(model)
    P = n_dims(specs)
    vocab = SHAPES[args.shape]["vocab_size"]
    n_docs = args.n_docs or max(1, S // 4)
    docs = make_docs(n_docs, args.doc_len, vocab, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    di = rng.integers(0, n_docs, size=S)
    pos = rng.integers(1, args.doc_len, size=S)
    log.update(P=P, S=S, mean_context=float(pos.mean()))
    say(f"model {args.shape}: P = {P:,} tracked parameters; S = {S}; mean context {pos.mean():.0f} of {args.doc_len}")
    amp = torch.bfloat16 if dev.type == "cuda" else None
    bkw = dict(max_tokens=args.max_tokens, max_batch=args.max_batch)
    batches = make_lm_batches(docs, di, pos, **bkw)

    # warm-up (kernels, allocator) on a few tokens
    wb = make_lm_batches(docs, di[:64], pos[:64], **bkw)
    for mode in ("exact", "sketch"):
        gradient_similarity(model, specs, lm_token_loss, wb, 64, mode=mode, sketch_dim=1024, amp_dtype=amp,
                            show_progress=False)

    # ours, exact
    sync(dev)
    t = time.perf_counter()
    exact = gradient_similarity(model, specs, lm_token_loss, batches, S, mode="exact", amp_dtype=amp,
                                memory_budget_gb=args.budget_gb, show_progress=False)
    sync(dev)
    t_exact = time.perf_counter() - t
    log["exact"] = {"seconds": t_exact, **exact.timings}
    say(f"ours exact: {t_exact:.1f} s  ({exact.timings})")
    dump()
    A_exact = exact.angular
    off = ~np.eye(S, dtype=bool)

    # ours, sketched
    log["sketch"] = {}
    sketches = {}
    for k in args.sketch_dims:
        sync(dev)
        t = time.perf_counter()
        sk = gradient_similarity(model, specs, lm_token_loss, batches, S, mode="sketch", sketch_dim=k, seed=args.seed,
                                 amp_dtype=amp, show_progress=False)
        sync(dev)
        dt = time.perf_counter() - t
        A = sk.angular
        err = (A - A_exact)[off]
        rec = {"seconds": dt, **sk.timings, "corr": float(np.corrcoef(A[off], A_exact[off])[0, 1]),
               "max_abs_err": float(np.abs(err).max()), "rmse": float(np.sqrt(np.mean(err ** 2))),
               "cos_rmse": float(np.sqrt(np.mean((sk.cosine - exact.cosine)[off] ** 2))),
               "spread": float(A_exact[off].std())}
        log["sketch"][k] = rec
        sketches[k] = A
        say(f"ours sketch k={k}: {dt:.1f} s  corr {rec['corr']:.4f}  max|err| {rec['max_abs_err']:.4f}  rmse {rec['rmse']:.4f}")
        dump()

    # reference: time per gradient on a subset, block products, extrapolate by operation count
    n_ref = min(args.ref_tokens, S)
    sync(dev)
    t = time.perf_counter()
    G = torch.stack([reference_gradient(model, specs, docs[di[i]], int(pos[i]), max_length=args.doc_len)
                     for i in range(n_ref)])
    sync(dev)
    t_grad = (time.perf_counter() - t) / n_ref
    sync(dev)
    t = time.perf_counter()
    reps = 3
    for _ in range(reps):
        Cref = G @ G.T
    sync(dev)
    t_pair = (time.perf_counter() - t) / reps * (args.ref_block / n_ref) ** 2
    n_grad = reference_gradient_count(S, args.ref_block)
    n_pair = reference_block_pairs(S, args.ref_block)
    t_ref = n_grad * t_grad + n_pair * t_pair
    log["reference"] = {"seconds_extrapolated": t_ref, "seconds_per_gradient": t_grad, "gradients": n_grad,
                        "block_pairs": n_pair, "seconds_per_block_pair": t_pair, "timed_gradients": n_ref,
                        "recomputation_factor": n_grad / S}
    say(f"reference: {t_grad * 1e3:.2f} ms/gradient x {n_grad:,} gradients + {n_pair} block products "
        f"({t_pair * 1e3:.1f} ms each) = {t_ref:.0f} s (extrapolated from {n_ref} gradients)")

    # agreement with the reference on the timed subset
    Cref = Cref.float().cpu().numpy()
    sub = np.arange(n_ref)
    fp32 = gradient_similarity(model, specs, lm_token_loss, make_lm_batches(docs, di[sub], pos[sub], **bkw), n_ref,
                               mode="exact", amp_dtype=None, storage_dtype=torch.float32, show_progress=False)
    log["agreement"] = {"max_abs_dcos_exact_fp32": float(np.abs(fp32.cosine - Cref).max()),
                        "max_abs_dcos_exact_run": float(np.abs(exact.cosine[np.ix_(sub, sub)] - Cref).max())}
    say(f"agreement with reference on {n_ref} tokens: fp32 {log['agreement']['max_abs_dcos_exact_fp32']:.2e}, "
        f"this run's exact mode {log['agreement']['max_abs_dcos_exact_run']:.2e}")

    log["speedup"] = {"exact": t_ref / t_exact, **{f"sketch_{k}": t_ref / log["sketch"][k]["seconds"] for k in sketches}}
    say("speed-up vs reference: " + ", ".join(f"{k} {v:.0f}x" for k, v in log["speedup"].items()))
    dump()
    del G

    # clustering agreement (fast spectral solver, K = S/25)
    K = args.cluster_k or max(2, S // 25)
    cdev = "cuda" if dev.type == "cuda" else "cpu"
    t = time.perf_counter()
    lab0 = spectral_fast(A_exact, [K], seed=0, device=cdev)[K]
    t_cluster = time.perf_counter() - t
    lab1 = spectral_fast(A_exact, [K], seed=1, device=cdev)[K]
    log["clusters"] = {"K": K, "seconds_fast_one_K": t_cluster, "ari_exact_seed0_vs_seed1": adjusted_rand(lab0, lab1)}
    for k, A in sketches.items():
        log["clusters"][f"ari_sketch_{k}_vs_exact"] = adjusted_rand(spectral_fast(A, [K], seed=0, device=cdev)[K], lab0)
    say("clusters: " + json.dumps(log["clusters"]))

    dump()
    if args.out:
        out = Path(args.out)
        np.savez_compressed(out / "bench.npz", labels_exact_seed0=lab0, labels_exact_seed1=lab1,
                            angular_exact_diag_block=A_exact[:500, :500].astype(np.float32))
    return log


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
