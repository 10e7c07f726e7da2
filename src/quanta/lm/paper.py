"""The paper-scale suite's frozen per-token-loss artifact (GPU run; paper §4.1, Figures 3 and 11).

The ``paper`` preset (7 GPT-NeoX members from 1e5 to 5e7 non-embedding parameters, bf16) trains on a
GPU from token data frozen on the CPU machine (``benchmarks/lm_paper_data.py``), with
``benchmarks/lm_paper_suite.py``. What comes back is small: float16 per-token losses of the final
models on the fixed test tokens, and for every checkpoint of every member its mean loss and its loss
histogram. :func:`freeze` commits that output as ``results/lm_paper`` with its provenance;
:func:`load` turns it back into the chapter's :class:`~quanta.lm.analysis.SizeScaling` and
:class:`~quanta.lm.analysis.Dynamics`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..artifacts import has_artifact, load_artifact, write_artifact
from .analysis import LN2, SizeScaling, dynamics_from_summary, histogram_bits
from .losses import TokenLosses

ARTIFACT = "lm_paper"
COMMAND = ("python benchmarks/lm_paper_data.py .lmdata && PYTHONPATH=src python benchmarks/lm_paper_suite.py .lmdata OUT "
           "(GPU) && python -c 'from quanta.lm import paper; paper.freeze(\"OUT/lm_paper.npz\", \"OUT/lm_paper.json\")'")


def freeze(npz_path, json_path, *, base=None) -> Path:
    """Write the GPU run's output as the committed artifact ``results/lm_paper``."""
    with np.load(npz_path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(Path(json_path).read_text())
    for k in ("losses", "n_params", "ckpt_steps", "ckpt_mean", "ckpt_hist_bits", "hist_edges_bits", "doc_lengths", "token"):
        if k not in arrays:
            raise ValueError(f"{npz_path}: array {k!r} is missing; was it written by benchmarks/lm_paper_suite.py?")
    return write_artifact(ARTIFACT, arrays, meta, command=COMMAND, device=meta.get("device", "unknown"), base=base)


def available(base=None) -> bool:
    """True if the paper-scale artifact is present."""
    return has_artifact(ARTIFACT, base)


def load(base=None):
    """``(token_losses, size_scaling, dynamics, manifest)`` of the paper-scale suite.

    ``token_losses`` is a :class:`~quanta.lm.losses.TokenLosses` of the final models (float32 from the
    stored float16); ``dynamics`` uses the stored per-checkpoint means and the histograms of the
    largest member.
    """
    from ..fitting import fit_power_law

    arrays, manifest = load_artifact(ARTIFACT, base)
    meta = manifest["meta"]
    losses = arrays["losses"].astype(np.float32)
    lengths = arrays["doc_lengths"].astype(np.int64)
    n_pred = np.maximum(lengths - 1, 0)
    doc = np.repeat(np.arange(len(lengths), dtype=np.int32), n_pred)
    starts = np.concatenate([[0], np.cumsum(n_pred)])[:-1]
    pos = (np.arange(n_pred.sum()) - np.repeat(starts, n_pred) + 1).astype(np.int32)
    names = tuple(meta["names"])
    steps_final = int(arrays["ckpt_steps"].max())
    tl = TokenLosses(losses, doc, pos, arrays["token"].astype(np.int32), None, arrays["n_params"].astype(np.int64),
                     np.full(len(names), steps_final, np.int64), names, tuple(meta.get("doc_ids", map(str, range(len(lengths))))))
    mean_bits = tl.mean / LN2
    edges = arrays["hist_edges_bits"]
    scaling = SizeScaling(tl.n_params, mean_bits, fit_power_law(tl.n_params.astype(float), mean_bits),
                          np.linspace(edges[0], edges[-1], 1001), histogram_bits(losses), (losses / LN2 < 0.1).mean(axis=0),
                          names, tl.n_tokens)
    dyn = dynamics_from_summary(arrays["ckpt_steps"], arrays["ckpt_mean"] / LN2, names, tl.n_params,
                                arrays["ckpt_hist_bits"][-1].T, edges, names[-1])
    return tl, scaling, dyn, manifest
