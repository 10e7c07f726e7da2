"""Quanta discovery from gradients (QDG; paper §5, App. C and D.1).

Cluster the tokens a model predicts well by the similarity of their loss gradients; if prediction is
made of quanta, tokens that use the same quantum share a gradient direction, and the cluster sizes
follow the quanta's Zipf law. Modules: :mod:`~quanta.qdg.select` (which tokens),
:mod:`~quanta.qdg.params` (which parameters), :mod:`~quanta.qdg.gradients` (per-sample gradients from
hooks), :mod:`~quanta.qdg.sketch` (CountSketch), :mod:`~quanta.qdg.similarity` (the S × S matrix),
:mod:`~quanta.qdg.cluster` (spectral clustering), :mod:`~quanta.qdg.rankfreq` (rank-frequency envelope),
:mod:`~quanta.qdg.reference` (the authors' procedure), :mod:`~quanta.qdg.pipeline` (on a model suite),
:mod:`~quanta.qdg.browser` (HTML cluster browser), :mod:`~quanta.qdg.chapter` (chapter numbers).
"""

from .cluster import adjusted_rand, cluster, relabel_by_size, spectral_fast, spectral_reference
from .gradients import hook_gradients, naive_gradients
from .params import PAPER_EXCLUDE, select_parameters
from .pipeline import QDGConfig, QDGRun, preset, run_qdg, solver_comparison
from .rankfreq import PAPER_ENVELOPE_SLOPE, EnvelopeResult, envelope_fit, fit_window, scaled_ks
from .samples import LMBatch, lm_token_loss, make_lm_batches
from .select import PAPER_LOSS_THRESHOLD, induction_mask, select_tokens
from .similarity import GradientSimilarity, angular_similarity, gradient_similarity
from .sketch import CountSketch


def envelope_slope(scale: str = "small", *, corpus: str = "python-stdlib", seed: int = 0, device: str = "auto",
                   n_boot: int = 1000) -> EnvelopeResult:
    """The measured envelope slope (with bootstrap CI) of the QDG chapter's run, from the cache.

    Glued in the chapter as ``qdg_envelope_slope`` (and ``_lo``/``_hi``) for cross-references.
    """
    return run_qdg(preset(scale, corpus=corpus, seed=seed, device=device), show_progress=False).envelope(n_boot=n_boot)


__all__ = ["CountSketch", "EnvelopeResult", "GradientSimilarity", "LMBatch", "PAPER_ENVELOPE_SLOPE", "PAPER_EXCLUDE",
           "PAPER_LOSS_THRESHOLD", "QDGConfig", "QDGRun", "adjusted_rand", "angular_similarity", "cluster",
           "envelope_fit", "envelope_slope", "fit_window", "gradient_similarity", "hook_gradients", "induction_mask",
           "lm_token_loss", "make_lm_batches", "naive_gradients", "preset", "relabel_by_size", "run_qdg",
           "scaled_ks", "select_parameters", "select_tokens", "solver_comparison", "spectral_fast",
           "spectral_reference"]
