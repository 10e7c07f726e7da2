"""Command line: ``quanta run | run-all | params | build | check | figures``.

Parameter errors exit with status 2 and list the notebook's valid parameters, before any kernel starts.
"""

from __future__ import annotations

import argparse
import sys
import time

from .validate import SCALES


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="quanta", description="Run and build the quanta book.")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="execute one notebook with papermill")
    r.add_argument("notebook", help="chapter id (e.g. theory) or path to a notebook")
    r.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[])
    r.add_argument("--scale", choices=SCALES)
    r.add_argument("-o", "--output", help="executed notebook path (default book/_generated/<id>.ipynb)")
    r.add_argument("--progress", action="store_true", help="show progress bars and cell progress")
    ra = sub.add_parser("run-all", help="execute every chapter at one scale")
    ra.add_argument("--scale", choices=SCALES, default="small")
    ra.add_argument("--only", nargs="*", help="chapter ids to run (default: all)")
    ra.add_argument("--progress", action="store_true")
    pp = sub.add_parser("params", help="list a notebook's parameters")
    pp.add_argument("notebook")
    b = sub.add_parser("build", help="write toc and figures page, build the HTML book, check it")
    b.add_argument("--no-strict", action="store_true")
    sub.add_parser("check", help="check that every chapter page and figure is present")
    sub.add_parser("figures", help="list registered figures")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from . import notebooks as nbs

    try:
        if args.cmd == "run":
            overrides = dict(args.parameter)
            if args.scale:
                overrides["scale"] = args.scale
            t0 = time.time()  # run_notebook validates the overrides before any kernel starts
            out = nbs.run_notebook(args.notebook, overrides, output=args.output, progress=args.progress)
            print(f"executed {args.notebook} -> {out} in {time.time() - t0:.1f} s")
        elif args.cmd == "run-all":
            chapters = args.only or nbs.available_chapters()
            for ch in chapters:
                nbs.read(ch)
            t_all = time.time()
            for ch in chapters:
                t0 = time.time()
                print(f"[quanta] running {ch} (scale={args.scale}) ...", flush=True)
                out = nbs.run_notebook(ch, scale=args.scale, progress=args.progress)
                print(f"[quanta] {ch}: {time.time() - t0:.1f} s -> {out}", flush=True)
            print(f"[quanta] all notebooks: {time.time() - t_all:.1f} s")
        elif args.cmd == "params":
            print(nbs.describe_parameters(nbs.parameters(nbs.read(args.notebook))))
        elif args.cmd == "build":
            from .book import build

            html_dir = build(strict=not args.no_strict)
            print(f"book built: {html_dir / 'index.html'}")
        elif args.cmd == "check":
            from .book import check

            print("book ok: " + ", ".join(check()))
        elif args.cmd == "figures":
            from .figures import registry

            for fid, e in registry().items():
                print(f"{fid}\t{e['chapter']}\t{e['title']}")
    except nbs.ParameterError as e:
        print(f"quanta: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - report cleanly at the command line
        from .book import BookError

        if isinstance(e, BookError):
            print(f"quanta: {e}", file=sys.stderr)
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
