"""Where the project keeps its files: repository root, result cache, figure outputs, frozen results.

Every location can be overridden with an environment variable so a reader can run the notebooks
from any working directory: ``QUANTA_ROOT``, ``QUANTA_CACHE``, ``QUANTA_FIGURES``.
"""

from __future__ import annotations

import os
from pathlib import Path


def _looks_like_root(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "src" / "quanta").is_dir()


def root() -> Path:
    """Repository root: ``$QUANTA_ROOT``, else the first parent of the cwd (or of this file) that
    holds ``pyproject.toml`` and ``src/quanta``, else the current directory."""
    env = os.environ.get("QUANTA_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for p in (start, *start.parents):
            if _looks_like_root(p):
                return p
    return Path.cwd().resolve()


def cache_dir() -> Path:
    """Content-addressed result cache (``$QUANTA_CACHE`` or ``<root>/.cache/quanta``)."""
    env = os.environ.get("QUANTA_CACHE")
    return Path(env).resolve() if env else root() / ".cache" / "quanta"


def figures_dir() -> Path:
    """Figure outputs (``$QUANTA_FIGURES`` or ``<root>/figures/out``)."""
    env = os.environ.get("QUANTA_FIGURES")
    return Path(env).resolve() if env else root() / "figures" / "out"


def registry_dir() -> Path:
    """Figure registry, one YAML file per chapter."""
    return root() / "figures" / "registry"


def results_dir() -> Path:
    """Frozen, committed result artifacts (GPU runs)."""
    return root() / "results"


def notebooks_dir() -> Path:
    return root() / "notebooks"


def generated_dir() -> Path:
    """Executed notebooks that the book renders."""
    return root() / "book" / "_generated"
