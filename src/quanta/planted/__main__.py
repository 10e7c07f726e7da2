"""``python -m quanta.planted freeze --scale small --device cuda``: run the planted-quanta study and
write it as a frozen artifact under ``results/`` (the notebook then loads it instead of training)."""

from __future__ import annotations

import argparse
import shlex
import sys

from .experiment import freeze_study, preset


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m quanta.planted", description=__doc__)
    p.add_argument("action", choices=["freeze"])
    p.add_argument("--scale", default="small", choices=["smoke", "small", "paper"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    a = p.parse_args(argv)
    cfg = preset(a.scale, seed=a.seed, device=a.device)
    cmd = "python -m quanta.planted " + " ".join(shlex.quote(x) for x in (argv if argv is not None else sys.argv[1:]))
    print(freeze_study(cfg, device=a.device, command=cmd))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
