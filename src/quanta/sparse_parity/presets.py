"""Presets and the paper's reported numbers for the multitask sparse parity chapter (paper §3, App. B).

Intuition: the chapter runs four kinds of sweep: widths at one α (Figure 2 left, N), the widest of
those over steps (Figure 2 middle, S; Figures 7-8), training-set sizes at one α (Figure 2 right, D;
Figure 7 bottom), and both again for several α (Figures 9-10). ``paper`` holds the authors' grids
(SPEC §2.3); ``small`` is a scaled-down version that runs on a laptop CPU in minutes and ``smoke`` a
seconds-long version for tests. All α here are the paper's α (the authors' code uses α + 1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..validate import check_scale
from .train import SweepConfig


def paper_grid(lo: float, hi: float, m: int) -> tuple[int, ...]:
    """The authors' grids ``int(2**linspace(log2(lo), log2(hi), m))`` (int truncation: 10 -> 9)."""
    return tuple(int(v) for v in 2 ** np.linspace(np.log2(lo), np.log2(hi), m))


#: P-scaling-15 widths (Figure 2 N panel): 30 widths 10 -> 500 (SPEC §2.3).
PAPER_WIDTHS_30 = paper_grid(10, 500, 30)
#: D-scaling-6 training-set sizes (Figure 2 D panel): 30 values 1e4 -> 5e6.
PAPER_D_30 = paper_grid(1e4, 5e6, 30)
#: P-scaling-17 widths (Figure 10 N, S rows): 20 widths 10 -> 300.
PAPER_WIDTHS_20 = paper_grid(10, 300, 20)
#: D-scaling-9 training-set sizes (Figures 9, 10): 25 values 1e4 -> 5e6.
PAPER_D_25 = paper_grid(1e4, 5e6, 25)
#: Paper α grid of Figure 10 N/S rows (P-scaling-17).
PAPER_ALPHAS_8 = tuple(float(round(a, 2)) for a in np.arange(0.1, 0.85, 0.1))
#: Paper α grid of D-scaling-9 (Figures 9, 10 D row).
PAPER_ALPHAS_15 = tuple(float(round(a, 2)) for a in np.arange(0.10, 0.801, 0.05))

# --- Reported values (SPEC §2.4; Figure 10 values digitized from the authors' vector PDF, ±0.003) ---
#: Figure 8: slope of log(convergence step) on log(p_i) (theory -1).
PAPER_CONVERGENCE_SLOPE = -0.81
#: Figure 8 right: α_S of the width-500 run over steps 400-8,900 (theory α/(α+1) = 0.286).
PAPER_ALPHA_S_FIG8 = 0.45
#: Figure 10: α_N at α = 0.1 ... 0.8.
PAPER_ALPHA_N = dict(zip(PAPER_ALPHAS_8, (0.228, 0.283, 0.339, 0.378, 0.454, 0.503, 0.571, 0.608)))
#: Figure 10: α_S at α = 0.1 ... 0.8.
PAPER_ALPHA_S = dict(zip(PAPER_ALPHAS_8, (0.227, 0.266, 0.307, 0.345, 0.375, 0.422, 0.468, 0.482)))
#: Figure 10: α_D at α = 0.10, 0.15, ..., 0.80.
PAPER_ALPHA_D = dict(zip(PAPER_ALPHAS_15, (0.275, 0.271, 0.273, 0.284, 0.297, 0.310, 0.307, 0.322, 0.335,
                                           0.340, 0.357, 0.366, 0.373, 0.394, 0.404)))
#: Figure 9: exponent of n(D) (subtasks learned) at α = 0.1 ... 0.8 (theory 1/(α+1)).
PAPER_LEARNED_VS_D = dict(zip(PAPER_ALPHAS_8, (0.878, 0.765, 0.739, 0.678, 0.677, 0.650, 0.617, 0.578)))

#: Thresholds (SPEC §0.2): Figure 8 convergence at 0.1 bits; Figure 9 "learned" at 0.1 nats.
CONVERGENCE_THRESHOLD_BITS = 0.1
LEARNED_THRESHOLD_NATS = 0.1


def theory_alpha_n(alpha):
    """Quantization model: α_N = α (paper §2)."""
    return np.asarray(alpha, dtype=float)


def theory_alpha_s(alpha):
    """Quantization model: α_S = α_D = α / (α + 1) (paper §2)."""
    a = np.asarray(alpha, dtype=float)
    return a / (a + 1.0)


@dataclass(frozen=True)
class ChapterConfig:
    """Every sweep of the chapter at one scale.

    Attributes
    ----------
    scale : str
    n_sweep : SweepConfig
        Width sweep at the main α, single-epoch (Figure 2 N and S panels, Figures 7 top, 8).
    d_sweep : SweepConfig
        Training-set-size sweep at the main α, multi-epoch (Figure 2 D panel, Figure 7 bottom).
    alphas : tuple of float
        α values of the α sweeps (Figures 9, 10); each reuses ``n_sweep``/``d_sweep`` with that α
        (``alpha_n_template``/``alpha_d_template``).
    alpha_n_template, alpha_d_template : SweepConfig
    s_fit_range : tuple of int
        Steps ``[lo, hi)`` of the α_S fits of Figure 10 (the paper: 500 <= S < 15,000).
    fig8_fit_range : tuple of int
        Steps ``[lo, hi]`` of the Figure 8 α_S fit (the paper: 400-8,900).
    """

    scale: str
    n_sweep: SweepConfig
    d_sweep: SweepConfig
    alphas: tuple[float, ...]
    alpha_n_template: SweepConfig
    alpha_d_template: SweepConfig
    s_fit_range: tuple[int, int]
    fig8_fit_range: tuple[int, int]

    def alpha_n_sweeps(self) -> list[SweepConfig]:
        return [replace(self.alpha_n_template, alpha=float(a)) for a in self.alphas]

    def alpha_d_sweeps(self) -> list[SweepConfig]:
        return [replace(self.alpha_d_template, alpha=float(a)) for a in self.alphas]


def preset(scale: str = "small", *, seed: int = 0, device: str = "cpu") -> ChapterConfig:
    """The chapter's sweeps at ``scale`` (``smoke``, ``small`` or ``paper``).

    ``small`` was chosen by a pilot on a 2-core CPU (see the chapter): n = 10 task bits instead of 100
    (a k-sparse parity takes a number of samples that grows steeply with n, so n is shrunk before the
    steps are), 32 subtasks, batch 1,000, widths 8-128, and lr 1e-2 instead of 1e-3: with Adam every
    weight moves by at most about lr per step, so at 1e-3 even the most frequent subtask needs about a
    thousand steps; in the pilot (3,000 steps, width 128) lr 3e-3 learned 5 of 32 subtasks, lr 1e-2
    learned 17.
    """
    check_scale(scale)
    if scale == "paper":
        base = dict(n_tasks=500, n=100, k=3, alpha=0.4, batch=20000, lr=1e-3, test_per_task=1000,
                    seed=seed, device=device)
        n_sweep = SweepConfig(widths=PAPER_WIDTHS_30, steps=200_000, n_logs=200, log_spacing="log", **base)
        d_sweep = SweepConfig(widths=(500,), D=PAPER_D_30, steps=20_000, n_logs=201, log_spacing="linear", **base)
        an = SweepConfig(widths=PAPER_WIDTHS_20, replicates=3, steps=100_000, n_logs=200, log_spacing="linear", **base)
        ad = SweepConfig(widths=(500,), D=PAPER_D_25, steps=100_000, n_logs=201, log_spacing="linear", **base)
        return ChapterConfig("paper", n_sweep, d_sweep, PAPER_ALPHAS_8, an, ad, (500, 15_000), (400, 8_900))
    if scale == "small":
        base = dict(n_tasks=32, n=10, k=3, alpha=0.4, batch=1000, lr=1e-2, test_per_task=200,
                    seed=seed, device=device)
        n_sweep = SweepConfig(widths=paper_grid(8, 128, 6), steps=3000, n_logs=40, log_spacing="log", **base)
        d_sweep = SweepConfig(widths=(64,), D=paper_grid(300, 30_000, 6), steps=1500, n_logs=31,
                              log_spacing="linear", **base)
        an = SweepConfig(widths=paper_grid(8, 128, 4), steps=1500, n_logs=30, log_spacing="log", **base)
        ad = SweepConfig(widths=(64,), D=paper_grid(300, 30_000, 5), steps=1000, n_logs=21,
                         log_spacing="linear", **base)
        return ChapterConfig("small", n_sweep, d_sweep, (0.2, 0.4, 0.8), an, ad, (100, 1500), (100, 3000))
    base = dict(n_tasks=12, n=8, k=3, alpha=0.4, batch=256, lr=1e-3, test_per_task=50, seed=seed, device=device)
    n_sweep = SweepConfig(widths=(4, 8, 16, 32), steps=150, n_logs=12, log_spacing="log", **base)
    d_sweep = SweepConfig(widths=(16,), D=(64, 256, 1024), steps=100, n_logs=11, log_spacing="linear", **base)
    an = SweepConfig(widths=(4, 8, 16), steps=80, n_logs=8, log_spacing="log", **base)
    ad = SweepConfig(widths=(16,), D=(64, 256, 1024), steps=60, n_logs=7, log_spacing="linear", **base)
    return ChapterConfig("smoke", n_sweep, d_sweep, (0.3, 0.6), an, ad, (5, 80), (5, 150))
