"""Multitask sparse parity (paper §3, Appendix B): data, batched MLP ensembles, training sweeps, analysis.

Intuition: a subtask is a k-bit parity selected by a one-hot control block; subtask frequencies follow
a Zipf law ``p_i ∝ i^-(α+1)``. Networks learn subtasks one by one, frequent ones first, so the mean
loss falls as a power law in parameters, steps and data, made of many small emergent drops. All ``alpha``
arguments are the paper's α (the authors' code calls α + 1 ``alpha``).
"""

from .data import Task, make_subsets, make_task, one_hot_inputs, parity, per_task_test_set, sample_batch, zipf_probs
from .model import MLPEnsemble, dense_mlp, n_params
from .presets import ChapterConfig, preset
from .train import SweepConfig, evaluate, log_schedule, member_seed, run_sweep, train_sweep

__all__ = ["Task", "make_subsets", "make_task", "one_hot_inputs", "parity", "per_task_test_set", "sample_batch",
           "zipf_probs", "MLPEnsemble", "dense_mlp", "n_params", "ChapterConfig", "preset", "SweepConfig",
           "evaluate", "log_schedule", "member_seed", "run_sweep", "train_sweep"]
