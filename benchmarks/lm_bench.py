"""Training and evaluation throughput of a suite member on a GPU: tokens/s and model-FLOPs utilisation.

Measures the training step that :func:`quanta.lm.suite.train_member` runs (GPT-NeoX from transformers,
bf16 autocast, fused AdamW, gradient clipping) for one member, eager and with ``torch.compile``, and the
forward-only evaluation of :func:`quanta.lm.losses.per_token_losses`. MFU = tokens/s × model FLOPs per
token (:func:`quanta.lm.checkpoints.flops_per_token`: 6 (N_nonemb + d·V) + 6 L T d) / 989.4 TFLOP/s,
the dense bf16 peak of an H100/H200 SXM. Warm-up steps (and compilation) are excluded from the timing.

Usage: ``PYTHONPATH=src python benchmarks/lm_bench.py [--d 640 --layers 10 --vocab 16384 --context 1024
--batch 32] [--out results.json]``
"""

from __future__ import annotations

import argparse
import json
import time


def bench_train(d, layers, vocab, context, batch, *, compile, steps=20, warmup=5, device="cuda", head_dim=32):
    import torch
    from transformers import GPTNeoXForCausalLM

    from quanta.lm.checkpoints import flops_per_token, neox_config
    from quanta.lm.suite import PEAK_BF16_FLOPS

    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = True
    model = GPTNeoXForCausalLM(neox_config(d, layers, vocab_size=vocab, context=context, head_dim=head_dim)).to(device)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), fused=True)
    fwd = torch.compile(model) if compile else model
    x = torch.randint(0, vocab, (batch, context), device=device)

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = fwd(input_ids=x, labels=x).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    t0 = time.perf_counter()
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    t_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    tps = steps * batch * context / dt
    fpt = flops_per_token(d, layers, vocab, context)
    return {"d_model": d, "n_layers": layers, "vocab": vocab, "context": context, "batch": batch, "compile": compile,
            "attn_implementation": getattr(model.config, "_attn_implementation", None),
            "warmup_s": t_warm, "step_ms": 1e3 * dt / steps, "tokens_per_s": tps, "flops_per_token": fpt,
            "mfu": tps * fpt / PEAK_BF16_FLOPS, "peak_mem_gib": torch.cuda.max_memory_allocated() / 2**30}


def bench_eval(d, layers, vocab, context, *, n_docs=256, device="cuda", head_dim=32):
    import numpy as np
    import torch
    from transformers import GPTNeoXForCausalLM

    from quanta.lm.checkpoints import neox_config
    from quanta.lm.losses import per_token_losses
    from quanta.lm.tokenizer import TokenizedDocs

    rng = np.random.default_rng(0)
    lengths = rng.integers(64, context + 1, n_docs)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    docs = TokenizedDocs(rng.integers(0, vocab, offsets[-1]).astype(np.uint32), offsets, tuple(map(str, range(n_docs))))
    model = GPTNeoXForCausalLM(neox_config(d, layers, vocab_size=vocab, context=context, head_dim=head_dim)).to(device)
    per_token_losses(model, docs, device=device, precision="bfloat16")  # warm-up
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = per_token_losses(model, docs, device=device, precision="bfloat16", batch_tokens=65536)
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    return {"d_model": d, "n_layers": layers, "tokens": int(out.size), "eval_s": dt, "eval_tokens_per_s": out.size / dt}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--d", type=int, default=640)
    ap.add_argument("--layers", type=int, default=10)
    ap.add_argument("--vocab", type=int, default=16384)
    ap.add_argument("--context", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    from quanta.device import describe

    res = {"device": describe("cuda"), "train": []}
    for comp in (False, True):
        try:
            r = bench_train(args.d, args.layers, args.vocab, args.context, args.batch, compile=comp, steps=args.steps)
        except Exception as e:  # a compiler failure must not hide the eager numbers
            r = {"compile": comp, "error": f"{type(e).__name__}: {e}"[:2000]}
        print(json.dumps(r), flush=True)
        res["train"].append(r)
    res["eval"] = bench_eval(args.d, args.layers, args.vocab, args.context)
    print(json.dumps(res["eval"]), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
