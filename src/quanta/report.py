"""Tables for the book: our numbers beside the paper's, and the closing provenance cell."""

from __future__ import annotations

import json
import os
import time
from typing import Any, Iterable

from .cache import LOOKUPS, canonical
from .provenance import git_commit, timestamp, versions

_T0 = time.time()

#: The paper, as cited in every comparison table.
PAPER_KEY = "michaud2023quantization"


def fmt_ci(value: float, ci: Iterable[float] | None = None, digits: int = 3) -> str:
    """``"0.412 [0.380, 0.441]"``."""
    if value is None:
        return "–"
    s = f"{value:.{digits}f}"
    if ci is not None:
        lo, hi = ci
        s += f" [{lo:.{digits}f}, {hi:.{digits}f}]"
    return s


def comparison_table(rows: list[dict[str, Any]], columns: list[str] | None = None):
    """A DataFrame of our measurements beside theory and the paper's reported numbers.

    Each row is a dict, e.g. ``{"quantity": "α_N at α=0.4", "ours": "0.39 [0.35, 0.43]", "theory": 0.4,
    "paper": 0.378, "paper source": "Fig. 10 (digitized)"}``. Missing entries show as "–".
    """
    import pandas as pd

    if not rows:
        raise ValueError("rows must hold at least one comparison")
    df = pd.DataFrame(rows)
    if columns is not None:
        df = df[columns]
    df = df.astype(object).where(df.notna(), "–")
    return df.style.hide(axis="index").format(precision=3) if hasattr(df, "style") else df


def provenance(cfg: Any = None, **extra: Any):
    """A two-column table: notebook parameters, config, git commit, versions, device, cache, wall time."""
    import pandas as pd

    rows = [("notebook", os.environ.get("QUANTA_NOTEBOOK", "(interactive)")),
            ("parameters", json.dumps(json.loads(os.environ.get("QUANTA_PARAMS", "{}")), sort_keys=True))]
    if cfg is not None:
        rows.append(("config", json.dumps(canonical(cfg), sort_keys=True, default=str)))
    for k, v in extra.items():
        rows.append((k, v if isinstance(v, str) else json.dumps(canonical(v), default=str)))
    rows += [("git commit", git_commit()),
             ("versions", ", ".join(f"{k} {v}" for k, v in versions().items())),
             ("cache", "; ".join(f"{s} {k[:10]} ({st})" for s, k, st in LOOKUPS) or "none"),
             ("finished", timestamp()),
             ("kernel wall time", f"{time.time() - _T0:.1f} s")]
    df = pd.DataFrame(rows, columns=["item", "value"])
    return df.style.hide(axis="index")
