"""Frozen result artifacts: small files from long (GPU) runs, committed with their provenance.

``results/<name>/data.npz`` holds the arrays and ``results/<name>/manifest.json`` the parameters, git
commit, device, wall time, the command that regenerates the artifact and the sha256 of every file.
:func:`load_artifact` refuses an artifact whose checksum does not match its manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from .cache import atomic_write_bytes, atomic_write_text, canonical
from .paths import results_dir
from .provenance import git_commit, timestamp, versions


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def artifact_dir(name: str, base: Path | None = None) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"name={name!r} must be a plain folder name such as 'sparse_parity_fig2'")
    return Path(base) / name if base is not None else results_dir() / name


def write_artifact(name: str, arrays: dict[str, np.ndarray], meta: dict[str, Any], *, command: str,
                   device: str, base: Path | None = None, extra_files: dict[str, bytes] | None = None) -> Path:
    """Write ``arrays`` and a manifest to ``results/<name>/`` (or ``base/<name>``), atomically.

    Parameters
    ----------
    meta : dict
        Parameters and measurements (wall time, sizes...). Stored under ``"meta"``.
    command : str
        The one command that regenerates this artifact.
    device : str
        Where it was computed (e.g. ``quanta.device.describe()``).
    extra_files : dict of name -> bytes, optional
        Further small files (e.g. a JSON log) recorded with checksums.
    """
    d = artifact_dir(name, base)
    d.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    blobs = {"data.npz": buf.getvalue(), **(extra_files or {})}
    for fname, blob in blobs.items():
        atomic_write_bytes(d / fname, blob)
    manifest = {"name": name, "created": timestamp(), "git_commit": git_commit(), "device": device,
                "command": command, "versions": versions(), "meta": canonical(meta),
                "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()},
                "files": {f: _sha(b) for f, b in blobs.items()}}
    atomic_write_text(d / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
    return d


def load_artifact(name: str, base: Path | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load ``results/<name>`` after verifying every file against the manifest's sha256."""
    d = artifact_dir(name, base)
    mpath = d / "manifest.json"
    if not mpath.is_file():
        raise FileNotFoundError(f"artifact {name!r} not found: no {mpath.name} in {d}")
    manifest = json.loads(mpath.read_text())
    for fname, digest in manifest["files"].items():
        p = d / fname
        if not p.is_file() or _sha(p.read_bytes()) != digest:
            raise ValueError(f"artifact {name!r}: file {fname} is missing or its sha256 does not match the manifest")
    with np.load(d / "data.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return arrays, manifest


def has_artifact(name: str, base: Path | None = None) -> bool:
    return (artifact_dir(name, base) / "manifest.json").is_file()
