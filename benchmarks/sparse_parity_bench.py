"""Multitask sparse parity: our batched trainer beside the reference approach, in one run.

Measures training throughput (samples per second summed over the networks of a width sweep) of

* ``reference``: the authors' approach re-implemented (``quanta.sparse_parity.reference``): a Python
  loop over subtasks builds each batch with a dense one-hot input, each width is its own model, and each
  logging step evaluates the Zipf-count mean test batch plus one batch per subtask;
* ``ours``: all widths as one block-diagonal ensemble sharing a vectorized batch
  (``quanta.sparse_parity``), with the per-subtask evaluation in one batched pass;

at the same configuration, with evaluation amortized at the same logging interval. It also estimates a
floor for one sweep step: the larger of (bytes an ideal fused implementation must move) / (measured copy
bandwidth) and (FLOPs of the step) / (measured fp32 matmul throughput).

Usage::

    python benchmarks/sparse_parity_bench.py --device cuda            # paper config, 30 widths
    python benchmarks/sparse_parity_bench.py --device cpu --reduced   # CPU-sized config
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from quanta.device import describe, resolve  # noqa: E402
from quanta.sparse_parity.data import make_task, per_task_test_set, sample_batch  # noqa: E402
from quanta.sparse_parity.model import MLPEnsemble  # noqa: E402
from quanta.sparse_parity.presets import PAPER_WIDTHS_30  # noqa: E402
from quanta.sparse_parity.reference import ReferenceRun  # noqa: E402
from quanta.sparse_parity.train import evaluate, member_seed  # noqa: E402


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device, repeats):
    sync(device)
    t = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync(device)
    return (time.perf_counter() - t) / repeats


def measure_bandwidth(device, nbytes):
    """Achievable copy bandwidth (bytes read + written per second)."""
    a = torch.empty(nbytes // 4, device=device)
    b = torch.empty_like(a)
    b.copy_(a)
    t = timed(lambda: b.copy_(a), device, 10 if device.type == "cuda" else 3)
    return 2 * a.numel() * 4 / t


def measure_matmul(device, size):
    """Achievable fp32 matmul throughput (FLOP/s) at the default precision setting."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    a @ b
    t = timed(lambda: a @ b, device, 10 if device.type == "cuda" else 2)
    return 2 * size**3 / t


def step_floor(batch, n_tasks, n, widths, bandwidth, flops):
    """Floor of one sweep step (forward, backward, AdamW) for an ideal fused implementation.

    Bytes: the (batch x H) hidden activation must be written once in the forward pass and read once in
    the backward pass, and its gradient written once and read once (4 passes, fp32); AdamW reads the
    parameters, gradients and two moments and writes three of them back (7 passes over the parameters).
    FLOPs: 2·B·n·H for the task-bit product forward and again for its weight gradient (the control
    block is a gather), 4·B·H forward and 8·B·H backward for the 2-logit output layers.
    """
    H = int(sum(widths))
    P = int(sum((n_tasks + n + 3) * w + 2 for w in widths))
    bytes_ = 4 * batch * H * 4 + 7 * P * 4
    flop = 4 * batch * n * H + 12 * batch * H
    return {"bytes": bytes_, "flop": flop, "t_mem_s": bytes_ / bandwidth, "t_flop_s": flop / flops,
            "t_floor_s": max(bytes_ / bandwidth, flop / flops)}


def bench(args):
    device = resolve(args.device)
    if args.tf32:
        torch.backends.cuda.matmul.allow_tf32 = True
    widths = tuple(args.widths)
    task = make_task(args.n_tasks, args.n, args.k, args.alpha, seed=0, device=device)
    B, M = args.batch, len(widths)
    out = {"device": describe(device), "config": {
        "n_tasks": args.n_tasks, "n": args.n, "k": args.k, "alpha": args.alpha, "batch": B, "widths": widths,
        "log_freq": args.log_freq, "test_points": args.test_points, "test_points_per_task": args.test_per_task,
        "tf32": bool(args.tf32)}}

    # ---- reference: one model per width, loop generator, per-subtask evaluation ----
    ref_rows = []
    for i, w in enumerate(widths):
        run = ReferenceRun(task, w, member_seed(0, w, 0), seed=i)
        for _ in range(args.ref_warmup):
            run.step(batch=B)
        t_step = timed(lambda: run.step(batch=B), device, args.ref_steps)
        t_eval = timed(lambda: run.evaluate(args.test_points, args.test_per_task), device, 1)
        ref_rows.append({"width": w, "t_step_s": t_step, "t_eval_s": t_eval})
        print(f"reference width {w:4d}: step {t_step * 1e3:8.2f} ms, eval {t_eval * 1e3:9.1f} ms", flush=True)
        del run
    t_ref_step = sum(r["t_step_s"] for r in ref_rows)
    t_ref_eval = sum(r["t_eval_s"] for r in ref_rows)

    # ---- ours: one ensemble over all widths ----
    model = MLPEnsemble(widths, task.n_tasks, task.n, [member_seed(0, w, 0) for w in widths]).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0,
                            **({"fused": True} if device.type == "cuda" else {}))
    g = torch.Generator(device=device).manual_seed(1)
    test = per_task_test_set(task, args.test_per_task, torch.Generator(device=device).manual_seed(2))

    def our_step():
        ids, bits, y = sample_batch(task, B, g)
        logits = model(ids, bits)
        loss = F.cross_entropy(logits.transpose(1, 2), y.expand(M, -1), reduction="none").mean(1).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(args.our_warmup):
        our_step()
    t_our_step = timed(our_step, device, args.our_steps)
    evaluate(model, test, task.n_tasks, task.probs)
    t_our_eval = timed(lambda: evaluate(model, test, task.n_tasks, task.probs), device, 3)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        our_step()
        out["ours_peak_memory_gib"] = torch.cuda.max_memory_allocated(device) / 2**30

    tf32_row = None
    if device.type == "cuda" and not args.tf32:
        torch.backends.cuda.matmul.allow_tf32 = True
        for _ in range(3):
            our_step()
        t_tf32 = timed(our_step, device, args.our_steps)
        torch.backends.cuda.matmul.allow_tf32 = False
        tf32_row = {"t_sweep_step_s": t_tf32, "samples_per_s_train_only": M * B / t_tf32}

    bw = measure_bandwidth(device, args.bw_bytes)
    fl = measure_matmul(device, args.mm_size)
    floor = step_floor(B, task.n_tasks, task.n, widths, bw, fl)

    ref_amort = t_ref_step + t_ref_eval / args.log_freq
    our_amort = t_our_step + t_our_eval / args.log_freq
    out.update({
        "reference": {"per_width": ref_rows, "t_sweep_step_s": t_ref_step, "t_sweep_eval_s": t_ref_eval,
                      "t_sweep_step_amortized_s": ref_amort, "samples_per_s": M * B / ref_amort,
                      "samples_per_s_train_only": M * B / t_ref_step},
        "ours": {"t_sweep_step_s": t_our_step, "t_sweep_eval_s": t_our_eval, "t_sweep_step_amortized_s": our_amort,
                 "samples_per_s": M * B / our_amort, "samples_per_s_train_only": M * B / t_our_step},
        "ours_tf32_matmul": tf32_row,
        "speedup": ref_amort / our_amort, "speedup_train_only": t_ref_step / t_our_step,
        "floor": {**floor, "measured_copy_bandwidth_Bps": bw, "measured_matmul_flops": fl,
                  "our_step_over_floor": t_our_step / floor["t_floor_s"]},
    })
    print(f"ours: sweep step {t_our_step * 1e3:.2f} ms, eval {t_our_eval * 1e3:.1f} ms; reference sweep step "
          f"{t_ref_step * 1e3:.1f} ms, eval {t_ref_eval * 1e3:.0f} ms", flush=True)
    print(f"speedup (eval amortized every {args.log_freq} steps) {out['speedup']:.1f}x, train only "
          f"{out['speedup_train_only']:.1f}x; floor {floor['t_floor_s'] * 1e3:.3f} ms "
          f"(mem {floor['t_mem_s'] * 1e3:.3f}, flop {floor['t_flop_s'] * 1e3:.3f}); ours / floor "
          f"{out['floor']['our_step_over_floor']:.2f}", flush=True)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--reduced", action="store_true", help="CPU-sized config (n_tasks 100, n 30, batch 2000, 6 widths)")
    p.add_argument("--n-tasks", type=int, default=500)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--alpha", type=float, default=0.4, help="paper alpha (the authors' code: alpha + 1)")
    p.add_argument("--batch", type=int, default=20000)
    p.add_argument("--widths", type=int, nargs="+", default=list(PAPER_WIDTHS_30))
    p.add_argument("--log-freq", type=int, default=100)
    p.add_argument("--test-points", type=int, default=1_000_000)
    p.add_argument("--test-per-task", type=int, default=1000)
    p.add_argument("--ref-steps", type=int, default=3)
    p.add_argument("--ref-warmup", type=int, default=1)
    p.add_argument("--our-steps", type=int, default=30)
    p.add_argument("--our-warmup", type=int, default=5)
    p.add_argument("--bw-bytes", type=int, default=2**30)
    p.add_argument("--mm-size", type=int, default=8192)
    p.add_argument("--tf32", action="store_true", help="allow TF32 matmuls (default: full fp32)")
    p.add_argument("--out", default=None, help="JSON output path (default results/sparse_parity_bench_<device>.json)")
    args = p.parse_args(argv)
    if args.reduced:
        args.n_tasks, args.n, args.batch = 100, 30, 2000
        args.widths = [9, 22, 50, 113, 254, 500] if args.widths == list(PAPER_WIDTHS_30) else args.widths
        args.test_points, args.test_per_task = 100_000, 200
        args.our_steps, args.bw_bytes, args.mm_size = 10, 2**27, 1024
    result = bench(args)
    result["command"] = "python " + " ".join(["benchmarks/sparse_parity_bench.py", *(argv if argv is not None else sys.argv[1:])])
    path = Path(args.out) if args.out else (Path(__file__).resolve().parents[1] / "results" /
                                             f"sparse_parity_bench_{resolve(args.device).type}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
