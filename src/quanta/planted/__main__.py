"""``python -m quanta.planted freeze --scale small --device cuda``: run the planted-quanta study and
write it as a frozen artifact under ``results/`` (the notebook then loads it instead of training).

``--set FIELD=VALUE`` replaces a field of the preset (VALUE is a Python literal, e.g.
``--set n_skills=150 --set "sizes=((16, 1), (32, 1))"``); ``--out DIR`` writes the artifact under DIR
instead of ``results/``.
"""

from __future__ import annotations

import argparse
import ast
import shlex
import sys

from .experiment import freeze_study, preset


def parse_sets(items) -> dict:
    """``["name=literal", ...]`` -> ``{name: value}``; a value that is not a Python literal stays a string."""
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--set {item!r} must look like FIELD=VALUE")
        try:
            out[name.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[name.strip()] = value
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m quanta.planted", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=["freeze"])
    p.add_argument("--scale", default="small", choices=["smoke", "small", "paper"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a preset field")
    p.add_argument("--out", default=None, help="folder for the artifact (default: results/)")
    a = p.parse_args(argv)
    cfg = preset(a.scale, seed=a.seed, device=a.device, **parse_sets(a.set))
    args = list(argv if argv is not None else sys.argv[1:])
    if a.out is not None:  # the recorded command regenerates into results/
        i = args.index("--out") if "--out" in args else None
        args = args[:i] + args[i + 2:] if i is not None else [x for x in args if not x.startswith("--out=")]
    cmd = "python -m quanta.planted " + " ".join(shlex.quote(x) for x in args)
    print(freeze_study(cfg, device=a.device, command=cmd, base=a.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
