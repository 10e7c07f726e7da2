"""Paper-scale Figure 2 sweeps on one GPU, saved as frozen artifacts (paper §3, Figure 2; SPEC §2.3).

Intuition: the paper's Figure 2 needs the 30-width P-scaling-15 sweep (n_tasks 500, n 100, k 3, α 0.4,
batch 20,000, 200,000 steps) and the 30-size D-scaling-6 sweep (width 500). Trained as two batched
ensembles they take minutes on one GPU instead of hundreds of GPU-hours. When a time budget is given,
the number of steps is chosen from a timed pilot of the ensemble step so that each sweep fits in its
budget, and the steps actually run are recorded in the artifact's manifest.

Usage (repository root)::

    PYTHONPATH=src python -m quanta.sparse_parity.paper_run --device cuda --out results \\
        --n-budget-s 270 --d-budget-s 140
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..artifacts import write_artifact
from ..device import describe, resolve
from .data import make_task, sample_batch
from .model import MLPEnsemble
from .presets import preset
from .train import SweepConfig, train_sweep

N_ARTIFACT = "sparse_parity_fig2_n"
D_ARTIFACT = "sparse_parity_fig2_d"


def time_step(cfg: SweepConfig, repeats: int = 20) -> float:
    """Seconds per training step of the ensemble of ``cfg`` (shared batch or per-member batches)."""
    device = resolve(cfg.device)
    task = make_task(cfg.n_tasks, cfg.n, cfg.k, cfg.alpha, cfg.seed, device)
    members = cfg.members
    model = MLPEnsemble([w for _, w, _ in members], cfg.n_tasks, cfg.n, cfg.member_seeds).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0,
                            **({"fused": True} if device.type == "cuda" else {}))
    g = torch.Generator(device=device).manual_seed(0)
    M = len(members)
    shape = (M, min(cfg.batch, max(cfg.D))) if cfg.D else cfg.batch

    def step():
        ids, bits, y = sample_batch(task, shape, g)
        logits = model(ids, bits)
        yy = y if cfg.D else y.expand(M, -1)
        loss = F.cross_entropy(logits.transpose(1, 2), yy, reduction="none").mean(1).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t = time.perf_counter()
    for _ in range(repeats):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - t) / repeats


def fit_steps(cfg: SweepConfig, budget_s: float | None, overhead: float, round_to: int) -> SweepConfig:
    """``cfg`` with ``steps`` lowered (to a multiple of ``round_to``) so training fits ``budget_s``."""
    if budget_s is None:
        return cfg
    t = time_step(cfg) * overhead
    steps = int(min(cfg.steps, max(round_to, (budget_s / t) // round_to * round_to)))
    print(f"step {t * 1e3:.2f} ms (x{overhead} for logging/loading) -> {steps} steps", flush=True)
    if steps == cfg.steps:
        return cfg
    n_logs = cfg.n_logs if cfg.log_spacing == "log" else steps // (cfg.steps // (cfg.n_logs - 1)) + 1
    return replace(cfg, steps=steps, n_logs=n_logs)


def n_arrays(r: dict) -> dict:
    """Figure-2 N/S payload: final metrics of every width, full per-subtask curves of the widest."""
    wi = int(np.argmax(r["widths"]))
    return {"log_steps": r["log_steps"], "loss": r["loss"], "acc": r["acc"], "widths": r["widths"],
            "n_params": r["n_params"], "probs": r["probs"], "subsets": r["subsets"],
            "task_loss_final": r["task_loss"][:, -1], "task_loss_widest": r["task_loss"][wi]}


def d_arrays(r: dict) -> dict:
    """Figure-2 D payload: early-stopped per-subtask losses of every D, full curves of the largest D."""
    di = int(np.argmax(r["D"]))
    best = r["best_index"]
    return {"log_steps": r["log_steps"], "loss": r["loss"], "acc": r["acc"], "D": r["D"],
            "widths": r["widths"], "n_params": r["n_params"], "probs": r["probs"], "best_index": best,
            "task_loss_best": r["task_loss"][np.arange(len(best)), best],
            "task_loss_min": r["task_loss"].min(1), "task_loss_largest_d": r["task_loss"][di]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--out", default=None, help="base folder of the artifacts (default: results/)")
    p.add_argument("--n-budget-s", type=float, default=None, help="seconds for the N sweep (default: full 200k steps)")
    p.add_argument("--d-budget-s", type=float, default=None, help="seconds for the D sweep (default: 20k steps)")
    p.add_argument("--only", choices=("n", "d", "both"), default="both")
    p.add_argument("--commit", default=None, help="git commit of the code, recorded in the manifests")
    p.add_argument("--tiny", action="store_true", help="a seconds-long version for checking the script on a CPU")
    args = p.parse_args(argv)
    cfg = preset("paper", device=args.device)
    n_cfg, d_cfg = cfg.n_sweep, cfg.d_sweep
    if args.tiny:
        small = dict(n_tasks=50, n=20, batch=500, test_per_task=20)
        n_cfg = replace(n_cfg, widths=(9, 17, 33), steps=60, n_logs=10, **small)
        d_cfg = replace(d_cfg, widths=(17,), D=(300, 900, 3000), steps=50, n_logs=11, **small)
    base = Path(args.out) if args.out else None
    dev = describe(resolve(args.device))
    command = "PYTHONPATH=src python -m quanta.sparse_parity.paper_run " + " ".join(argv if argv is not None else sys.argv[1:])
    for which, c, budget, overhead, round_to, name, pack in (
            ("n", n_cfg, args.n_budget_s, 1.05, 1000, N_ARTIFACT, n_arrays),
            ("d", d_cfg, args.d_budget_s, 1.25, 500, D_ARTIFACT, d_arrays)):
        if args.only not in (which, "both"):
            continue
        c = fit_steps(c, budget, overhead, round_to)
        t0 = time.perf_counter()
        r = train_sweep(c, show_progress=False)
        wall = time.perf_counter() - t0
        meta = {"config": asdict(c), "paper_steps": (cfg.n_sweep if which == "n" else cfg.d_sweep).steps,
                "steps_run": c.steps, "wall_s": wall, "code_commit": args.commit,
                "final_loss_bits": (r["loss"][:, -1] / np.log(2)).tolist()}
        d = write_artifact(name, pack(r), meta, command=command, device=dev, base=base)
        print(f"{name}: {c.steps} steps, {wall:.1f} s -> {d}", flush=True)
        print(json.dumps({"final_loss_bits": meta["final_loss_bits"]}), flush=True)


if __name__ == "__main__":
    main()
