"""Citable figures: stable ids, files in three formats, a provenance sidecar, a registry.

Every figure has an id ``fig-<chapter>-<slug>`` that is at once the registry key (in
``figures/registry/<chapter>.yml``), the MyST label (``{numref}`` works), the HTML anchor and the file
name: ``figures/out/<id>.{pdf,png,svg,json}``. The JSON sidecar records the parameters, cache keys, git
commit, package versions, device, time, licence, sha256 of each file and a BibTeX entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from . import PAPER_CITATION, __version__
from .cache import LOOKUPS, atomic_write_bytes, atomic_write_text, canonical
from .paths import figures_dir, registry_dir
from .provenance import git_commit, timestamp, versions

ID_RE = re.compile(r"^fig-[a-z0-9]+(?:-[a-z0-9]+)+$")
FORMATS = ("pdf", "png", "svg")
LICENCE = "CC-BY-4.0"
PROJECT_URL = "https://github.com/quanta-book/quanta"


@lru_cache(maxsize=None)
def _load_registry(dirpath: str, stamp: tuple) -> dict[str, dict]:
    reg: dict[str, dict] = {}
    for f in sorted(Path(dirpath).glob("*.yml")):
        entries = yaml.safe_load(f.read_text()) or {}
        for fid, entry in entries.items():
            if fid in reg:
                raise ValueError(f"figure id {fid!r} is registered twice ({f.name})")
            if not ID_RE.match(fid):
                raise ValueError(f"figure id {fid!r} in {f.name} is not of the form fig-<chapter>-<slug>")
            missing = {"title", "caption"} - set(entry or {})
            if missing:
                raise ValueError(f"figure {fid!r} in {f.name} lacks {sorted(missing)}")
            reg[fid] = {"chapter": f.stem, **entry}
    return reg


def registry() -> dict[str, dict]:
    """All registered figures: id -> {chapter, title, caption, paper?}."""
    d = registry_dir()
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(d.glob("*.yml"))) if d.is_dir() else ()
    return dict(_load_registry(str(d), stamp))


def bibtex(fig_id: str, entry: dict, commit: str) -> str:
    year = timestamp()[:4]
    return (
        f"@misc{{quanta-{fig_id},\n"
        f"  title        = {{{entry['title']} (quanta figure {fig_id})}},\n"
        f"  author       = {{{{quanta contributors}}}},\n"
        f"  year         = {{{year}}},\n"
        f"  howpublished = {{{PROJECT_URL}}},\n"
        f"  note         = {{quanta {__version__}, commit {commit[:12]}. Companion to: {PAPER_CITATION}}}\n"
        f"}}"
    )


def show(fig, fig_id: str, *, cfg: Any = None, params: dict | None = None, inputs=(), display: bool = True) -> None:
    """Save ``fig`` as ``figures/out/<fig_id>.{pdf,png,svg,json}`` and display it once.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    fig_id : str
        Registered id ``fig-<chapter>-<slug>``.
    cfg : dataclass or dict, optional
        The configuration that produced the data (recorded in the sidecar).
    params : dict, optional
        Further parameters to record.
    inputs : iterable
        Cache results (objects with ``.key``) or keys the figure was drawn from.
    """
    import matplotlib.pyplot as plt

    reg = registry()
    if fig_id not in reg:
        raise ValueError(f"fig_id={fig_id!r} is not registered; add it to figures/registry/<chapter>.yml "
                         f"(registered: {', '.join(sorted(reg)) or 'none'})")
    entry = reg[fig_id]
    out = figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    hashes = {}
    meta_kw = {"pdf": {"CreationDate": None}, "svg": {"Date": None}, "png": {}}
    for fmt in FORMATS:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, bbox_inches="tight", metadata=meta_kw[fmt])
        atomic_write_bytes(out / f"{fig_id}.{fmt}", buf.getvalue())
        hashes[f"{fig_id}.{fmt}"] = hashlib.sha256(buf.getvalue()).hexdigest()
    commit = git_commit()
    keys = []
    for i in inputs:
        k = i if isinstance(i, str) else getattr(i, "key", None)
        if k:
            keys.append(k)
    notebook_params = json.loads(os.environ.get("QUANTA_PARAMS", "{}"))
    sidecar = {
        "id": fig_id, "chapter": entry["chapter"], "title": entry["title"], "caption": entry["caption"],
        "paper_analog": entry.get("paper"), "notebook": os.environ.get("QUANTA_NOTEBOOK"),
        "notebook_parameters": notebook_params, "config": canonical(cfg) if cfg is not None else None,
        "parameters": canonical(params or {}), "cache_keys": keys,
        "cache_lookups": [list(x) for x in LOOKUPS], "git_commit": commit, "versions": versions(),
        "device": (params or {}).get("device") or notebook_params.get("device"), "created": timestamp(),
        "licence": LICENCE, "files": hashes, "bibtex": bibtex(fig_id, entry, commit),
    }
    atomic_write_text(out / f"{fig_id}.json", json.dumps(sidecar, indent=1, sort_keys=True, default=str))
    if display:
        from IPython.display import display as _display

        _display(fig)
    plt.close(fig)


def sidecar(fig_id: str) -> dict | None:
    p = figures_dir() / f"{fig_id}.json"
    return json.loads(p.read_text()) if p.is_file() else None
