"""Pilot of the planted-quanta study (``quanta.planted.experiment``): candidate configurations side by side.

The `small` study must show the quantization model's phenomena at a cost of minutes on one GPU: skills
learned progressively across the suite (not all by the smallest member, not none by the largest) and a
mean labelled-token loss that falls as a measurable power of N. Which skill count K, member sizes and
training length do that is an empirical question, so this script trains every candidate's suites (one
worker process per candidate and generating α, all sharing one GPU: the members are small enough that
one process is bound by kernel launches, not by the GPU), freezes each candidate exactly as
``python -m quanta.planted freeze`` would (artifact keyed by the config hash), and prints the numbers a
choice rests on. The chosen candidate becomes the ``small`` preset; its artifact is committed.

Run (GPU): ``PYTHONPATH=src python benchmarks/planted_pilot.py --device cuda --out OUT``.
Check the plumbing on a CPU in seconds: ``PYTHONPATH=src python benchmarks/planted_pilot.py --tiny --out /tmp/p``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from quanta.planted.experiment import PILOTS

#: Candidates, as overrides of the ``small`` preset (the library's pilots: the chapter shows their
#: committed artifacts side by side).
CANDIDATES = PILOTS
#: A CPU plumbing check (seconds), built on the ``smoke`` preset.
TINY = {"tiny_a": dict(n_skills=12, steps=12), "tiny_b": dict(n_skills=18, steps=16)}


def candidates(tiny: bool) -> dict:
    return TINY if tiny else CANDIDATES


def config(name: str, tiny: bool, seed: int):
    from quanta.planted.experiment import preset

    return preset("smoke" if tiny else "small", seed=seed, **candidates(tiny)[name])


def command(name: str, tiny: bool, device: str, seed: int) -> str:
    sets = " ".join(f"--set {shlex.quote(f'{k}={v!r}')}" for k, v in candidates(tiny)[name].items())
    return (f"python -m quanta.planted freeze --scale {'smoke' if tiny else 'small'} --seed {seed} "
            f"--device {device} {sets}")


def worker(name: str, alpha: float, tiny: bool, device: str, seed: int) -> None:
    """Train one candidate's suite for one α (without torch.compile: a compile per member costs more
    than it saves at these sizes) and cache its per-token losses at every checkpoint."""
    from quanta.lm.losses import token_losses
    from quanta.lm.suite import train_suite

    cfg = config(name, tiny, seed)
    scfg = cfg.suite(alpha)
    t = time.time()
    suite = train_suite(scfg, device=device, compile=False, progress=False)
    t_train = time.time() - t
    token_losses(scfg, checkpoints=True, device=device, progress=False)
    print(json.dumps({"candidate": name, "alpha": alpha, "train_s": t_train, "total_s": time.time() - t,
                      "members": [{k: m.get(k) for k in ("name", "train_s", "tokens_per_s")} for m in suite.members]}),
          flush=True)


def describe(res, fits) -> dict:
    """The numbers a choice rests on, for every α."""
    import numpy as np

    out = {"n_params": res.n_params.tolist(), "steps": res.steps.tolist(), "per_alpha": {}}
    for i, (a, f) in enumerate(zip(res.alphas, fits)):
        learned = (res.skill_loss[i, :, -1] < res.cfg.threshold).sum(-1).tolist()
        present = int((res.skill_count[i] > 0).sum())
        rs = res.order_correlation(a, by="size")
        rt = res.order_correlation(a, by="step")
        out["per_alpha"][f"{a:g}"] = {
            "alpha_n": f.exponent, "ci": list(f.exponent_ci), "r2": f.r2, "learned_by_member": learned,
            "skills_with_tokens": present, "rho_size": rs[:2], "rho_step": rt[:2],
            "mean_labelled_final": res.mean_labelled[i, :, -1].tolist(),
            "family_final": {k: np.round(v, 3).tolist() for k, v in res.family_losses(a).items()}}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto")
    p.add_argument("--out", required=True, help="folder for the artifacts, pilot.json and pilot.log")
    p.add_argument("--tiny", action="store_true", help="CPU plumbing check on smoke-sized candidates")
    p.add_argument("--only", nargs="*", default=None, help="candidate names to run")
    p.add_argument("--deadline", type=float, default=480.0, help="seconds after which unfinished workers stop")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--worker", nargs=2, metavar=("NAME", "ALPHA"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        worker(a.worker[0], float(a.worker[1]), a.tiny, a.device, a.seed)
        return 0

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    names = a.only or list(candidates(a.tiny))
    bad = sorted(set(names) - set(candidates(a.tiny)))
    if bad:
        raise ValueError(f"--only {bad}: unknown; choose from {sorted(candidates(a.tiny))}")
    logdir = Path(os.environ.get("TMPDIR", "/tmp")) / "planted_pilot_logs"
    logdir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    procs = {}
    for n in names:
        for alpha in config(n, a.tiny, a.seed).alphas:
            log = open(logdir / f"{n}_{alpha:g}.log", "w")
            cmd = [sys.executable, __file__, "--worker", n, str(alpha), "--device", a.device, "--seed", str(a.seed),
                   "--out", str(out)] + (["--tiny"] if a.tiny else [])
            procs[(n, alpha)] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log)
    status = {}
    while len(status) < len(procs):
        for k, (pr, log) in procs.items():
            if k in status:
                continue
            rc = pr.poll()
            if rc is not None:
                status[k] = rc
                log.close()
                print(f"[{time.time() - t0:6.1f}s] worker {k} rc={rc}", flush=True)
            elif time.time() - t0 > a.deadline:
                pr.kill()  # only the workers this script started
                pr.wait()
                status[k] = "killed"
                log.close()
                print(f"[{time.time() - t0:6.1f}s] worker {k} killed at the deadline", flush=True)
        time.sleep(1.0)
    t_workers = time.time() - t0

    from quanta.planted.experiment import freeze_study, study

    report = {"device": a.device, "workers_wall_s": t_workers, "candidates": {}}
    for n in names:
        cfg = config(n, a.tiny, a.seed)
        ok = all(status[(n, al)] == 0 for al in cfg.alphas)
        entry = {"overrides": {k: repr(v) for k, v in candidates(a.tiny)[n].items()}, "complete": ok}
        if ok:
            t = time.time()
            name = freeze_study(cfg, device=a.device, command=command(n, a.tiny, a.device, a.seed), base=out)
            res, _ = study(cfg, device=a.device, progress=False)
            entry.update(artifact=name, freeze_s=time.time() - t, **describe(res, res.alpha_n_fits()))
        report["candidates"][n] = entry
        print(json.dumps({n: entry}, indent=1, default=str), flush=True)
    report["total_wall_s"] = time.time() - t0
    (out / "pilot.json").write_text(json.dumps(report, indent=1, default=str))
    with open(out / "pilot.log", "w") as f:
        for (n, alpha) in procs:
            f.write(f"==== {n} alpha={alpha:g} status={status[(n, alpha)]}\n")
            f.write((logdir / f"{n}_{alpha:g}.log").read_text()[-6000:])
    print(f"total {report['total_wall_s']:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
