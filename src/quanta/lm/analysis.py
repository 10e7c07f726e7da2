"""Scaling of the mean loss and the distribution of per-token losses (paper §4.1, Figures 3 and 11).

The paper's first LLM observation: the mean test loss of the Pythia suite falls as a power law in
non-embedding parameters, L(N) ∝ N^-α_N with α_N ≈ 0.083 (no irreducible term in the fit), yet the
distribution p(L) of per-token losses is nothing like a shifted copy of one shape. A large spike of
tokens near zero loss grows with size, and L·p(L) (whose area is the mean loss) shows that the mean
is carried by tokens at several bits. The same holds across training steps of one model, where the mean
loss falls as S^-α_S with α_S between 0.037 and 0.06. In the quantization picture, the spike is the
set of tokens whose quantum a model has learned; growth moves tokens from the tail into the spike.

Conventions (SPEC §0, §3.3-3.4): stored losses are nats; plots and fits use bits (÷ ln 2). p(L) is a
``density=True`` histogram on (0, 18) bits with the paper's 1000 bins when there are millions of
tokens, and about 50 tokens per bin for our smaller test sets; the training-dynamics fit uses
checkpoints after the learning-rate warm-up (the paper fitted steps 11,000-100,000 of 143,000).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..fitting import PowerLawFit, fit_power_law
from .losses import TokenLosses

LN2 = float(np.log(2.0))
HIST_BINS = 1000
HIST_RANGE_BITS = (0.0, 18.0)


def n_bins(n_tokens: int) -> int:
    """Histogram bins for ``n_tokens`` losses: the paper's 1000 for millions of tokens, ~50 tokens per bin below."""
    return int(np.clip(n_tokens // 50, 60, HIST_BINS))


def histogram_bits(losses_nats: np.ndarray, *, bins: int = HIST_BINS, range_bits=HIST_RANGE_BITS) -> np.ndarray:
    """p(L) in bits per column: (bins, M) densities for losses (T, M) in nats (or (T,) -> (bins,))."""
    x = np.asarray(losses_nats, dtype=np.float64) / LN2
    if x.ndim == 1:
        return np.histogram(x, bins=bins, range=range_bits, density=True)[0]
    return np.stack([np.histogram(x[:, j], bins=bins, range=range_bits, density=True)[0] for j in range(x.shape[1])], axis=1)


@dataclasses.dataclass(frozen=True)
class SizeScaling:
    """Mean loss against size and the loss distributions of every member (Figure 3 analog).

    Attributes
    ----------
    n_params : (M,) non-embedding parameters.
    mean_bits : (M,) mean test loss, bits.
    fit : PowerLawFit of mean_bits against n_params (``exponent`` = α_N).
    edges_bits : (B + 1,) histogram edges, bits.
    density : (B, M) p(L) of each member.
    zero_fraction : (M,) share of tokens below 0.1 bits (the "spike" of solved tokens).
    names : member names.
    n_tokens : number of test tokens.
    """

    n_params: np.ndarray
    mean_bits: np.ndarray
    fit: PowerLawFit
    edges_bits: np.ndarray
    density: np.ndarray
    zero_fraction: np.ndarray
    names: tuple
    n_tokens: int

    @property
    def centers_bits(self) -> np.ndarray:
        return 0.5 * (self.edges_bits[1:] + self.edges_bits[:-1])


def size_scaling(tl: TokenLosses, *, n_boot: int = 1000, seed: int = 0) -> SizeScaling:
    """Fit L(N) ∝ N^-α_N to the mean losses of the final models and histogram their per-token losses."""
    fin = tl.final()
    mean_bits = fin.mean / LN2
    fit = fit_power_law(fin.n_params.astype(float), mean_bits, n_boot=n_boot, seed=seed)
    b = n_bins(fin.n_tokens)
    return SizeScaling(fin.n_params, mean_bits, fit, np.linspace(*HIST_RANGE_BITS, b + 1),
                       histogram_bits(fin.losses, bins=b), (fin.losses / LN2 < 0.1).mean(axis=0), fin.names, fin.n_tokens)


@dataclasses.dataclass(frozen=True)
class Dynamics:
    """Mean loss over training of every member and the loss distributions of one member (Figure 11 analog).

    Attributes
    ----------
    steps : (C,) checkpoint steps.
    mean_bits : (M, C) mean test loss of member m at checkpoint c, bits.
    names : (M,) member names; n_params : (M,).
    fits : list of PowerLawFit or None, one per member: mean loss ∝ S^-α_S over ``fit_steps``.
    fit_steps : (lo, hi) the step window of the fits.
    member : name of the member whose distributions are kept.
    edges_bits : (B + 1,); density : (B, C) p(L) of ``member`` at every checkpoint.
    """

    steps: np.ndarray
    mean_bits: np.ndarray
    names: tuple
    n_params: np.ndarray
    fits: list
    fit_steps: tuple
    member: str
    edges_bits: np.ndarray
    density: np.ndarray

    @property
    def centers_bits(self) -> np.ndarray:
        return 0.5 * (self.edges_bits[1:] + self.edges_bits[:-1])

    @property
    def exponents(self) -> np.ndarray:
        """(M,) α_S of each member (NaN where there were too few checkpoints to fit)."""
        return np.array([np.nan if f is None else f.exponent for f in self.fits])


def fit_window(total_steps: int) -> tuple[int, int]:
    """Steps whose checkpoints enter the α_S fit: after warm-up (5 %) through the end of training."""
    return max(1, total_steps // 20), total_steps


def dynamics(tl: TokenLosses, *, member: str | None = None, n_boot: int = 1000, seed: int = 0) -> Dynamics:
    """Mean loss per checkpoint of every member, α_S fits and p(L) over training of ``member``.

    ``tl`` holds every checkpoint (``token_losses(cfg, checkpoints=True)``); ``member`` defaults to
    the largest.
    """
    names = list(dict.fromkeys(tl.names))
    per = [tl.member(n) for n in names]
    steps = per[0].steps
    if any(not np.array_equal(p.steps, steps) for p in per):
        raise ValueError("every member must have the same checkpoint steps")
    mean_bits = np.stack([p.mean / LN2 for p in per])
    lo, hi = fit_window(int(steps.max()))
    sel = (steps >= lo) & (steps <= hi)
    fits = [fit_power_law(steps[sel].astype(float), mb[sel], n_boot=n_boot, seed=seed) if sel.sum() >= 3 else None
            for mb in mean_bits]
    member = names[-1] if member is None else member
    chosen = tl.member(member)
    b = n_bins(chosen.n_tokens)
    return Dynamics(steps, mean_bits, tuple(names), np.array([p.n_params[0] for p in per]), fits, (lo, hi), member,
                    np.linspace(*HIST_RANGE_BITS, b + 1), histogram_bits(chosen.losses, bins=b))


def dynamics_from_summary(steps, mean_bits, names, n_params, density, edges_bits, member: str, *, n_boot: int = 1000,
                          seed: int = 0) -> Dynamics:
    """:class:`Dynamics` from precomputed per-checkpoint means and histograms (the GPU artifact)."""
    steps = np.asarray(steps)
    lo, hi = fit_window(int(steps.max()))
    sel = (steps >= lo) & (steps <= hi)
    fits = [fit_power_law(steps[sel].astype(float), mb[sel], n_boot=n_boot, seed=seed) if sel.sum() >= 3 else None
            for mb in np.asarray(mean_bits)]
    return Dynamics(steps, np.asarray(mean_bits), tuple(names), np.asarray(n_params), fits, (lo, hi), member,
                    np.asarray(edges_bits), np.asarray(density))


def member_table(records: dict):
    """One row per suite member: shape, N, training tokens, epochs over the train stream, wall time.

    ``records`` is :func:`quanta.lm.losses.suite_records` output.
    """
    import pandas as pd

    rows = []
    for m in records["members"]:
        rows.append({"member": m["name"], "d_model": m["d_model"], "layers": m["n_layers"],
                     "non-embedding N": f"{m['non_embedding']:,}", "total params": f"{m['total_params']:,}",
                     "train tokens": f"{m['tokens']:,}", "epochs": round(float(m["epochs"]), 2),
                     "peak lr": m["peak_lr"], "train time (s)": round(float(m["train_s"]), 1),
                     "final train loss (nats)": round(float(m["final_train_loss"]), 3)})
    return pd.DataFrame(rows)


def comparison_rows(results: dict) -> list[dict]:
    """Rows of the chapter's comparison table: our α_N and α_S per corpus beside the paper's Pythia numbers.

    ``results`` maps a corpus label to ``(SizeScaling, Dynamics)``.
    """
    from ..report import fmt_ci
    from .pythia import PAPER_ALPHA_N, PAPER_ALPHA_S_RANGE

    rows = []
    for label, (sc, dyn) in results.items():
        rows.append({"quantity": "α_N (mean loss ∝ N^-α_N)", "suite": label,
                     "ours": fmt_ci(sc.fit.exponent, sc.fit.exponent_ci),
                     "paper (Pythia v0, The Pile)": PAPER_ALPHA_N, "paper source": "§4.1, Fig. 3"})
        ex = dyn.exponents[np.isfinite(dyn.exponents)]
        rows.append({"quantity": "α_S range over members (mean loss ∝ S^-α_S)", "suite": label,
                     "ours": f"{ex.min():.3f} – {ex.max():.3f}" if ex.size else "–",
                     "paper (Pythia v0, The Pile)": f"{PAPER_ALPHA_S_RANGE[0]} – {PAPER_ALPHA_S_RANGE[1]}",
                     "paper source": "App. C, Fig. 11"})
    return rows
