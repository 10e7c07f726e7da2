"""Provenance facts recorded beside every figure, cache entry and frozen artifact."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from functools import lru_cache
from importlib import metadata

from . import __version__
from .paths import root

TRACKED_PACKAGES = ("numpy", "scipy", "torch", "transformers", "tokenizers", "scikit-learn", "matplotlib", "pandas")


@lru_cache(maxsize=1)
def git_commit() -> str:
    """Current commit of the repository (``+dirty`` if the work tree differs), or ``"unknown"``.

    ``$QUANTA_SOURCE_COMMIT`` takes precedence: set it where the tree travels without its ``.git``
    (e.g. a GPU machine that receives a copy of the working tree).
    """
    env = os.environ.get("QUANTA_SOURCE_COMMIT")
    if env:
        return env
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root(), capture_output=True, text=True,
                             timeout=10).stdout.strip()
        if len(sha) != 40:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root(),
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Versions of Python, quanta and the scientific packages that shape results."""
    out = {"python": platform.python_version(), "quanta": __version__}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def timestamp() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
