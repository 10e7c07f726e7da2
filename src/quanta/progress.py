"""Progress bars for long loops (``tqdm.auto``), switched off with ``QUANTA_PROGRESS=0``."""

from __future__ import annotations

import os


def enabled() -> bool:
    return os.environ.get("QUANTA_PROGRESS", "1") not in ("0", "false", "no", "off")


def progress(iterable=None, *, total=None, desc=None, disable: bool = False, leave: bool = False,
             mininterval: float = 1.0, **kwargs):
    """A ``tqdm.auto`` progress bar over ``iterable`` (or a manual bar with ``total``)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=disable or not enabled(), leave=leave,
                mininterval=mininterval, **kwargs)
