"""Numbers the QDG chapter reports: ground-truth scores, envelope slopes, benchmark, paper comparison.

Thin glue between :func:`quanta.qdg.pipeline.run_qdg`, the planted-skill scoring of
:mod:`quanta.planted.scoring` and the frozen GPU benchmark (``results/qdg_bench_h100``), so the
notebook only calls functions.
"""

from __future__ import annotations

import numpy as np

from .rankfreq import (PAPER_ENVELOPE_SLOPE, PAPER_ENVELOPE_SLOPE_FROM_LABELS, PAPER_FIT_RANKS, PAPER_IMPLIED_SLOPE,
                       PAPER_N_TOKENS, PAPER_SHOWN_K)

BENCH_ARTIFACT = "qdg_bench_h100"


def planted_language(run):
    """The planted corpus object behind a run on ``corpus="planted"`` (its ``cfg.alpha``, ``skill_family``)."""
    from quanta.lm.suite import resolve_corpus

    from .pipeline import suite_config

    if run.cfg.corpus != "planted":
        raise ValueError(f"run.cfg.corpus={run.cfg.corpus!r}: ground truth exists only for 'planted'")
    return resolve_corpus(suite_config(run.cfg))


def planted_score(run, k: int | None = None):
    """Score the K-clustering against the planted skills (:func:`quanta.planted.scoring.score_clustering`)."""
    from quanta.planted.scoring import score_clustering

    src = planted_language(run)
    k = run.shown_k if k is None else k
    return score_clustering(run.labels[k], run.skills, skill_family=np.asarray(src.skill_family),
                            alpha=float(src.cfg.alpha), seed=run.cfg.seed)


def score_table(run):
    """Purity, ARI and NMI against the planted skills for every K (pandas DataFrame)."""
    import pandas as pd

    rows = []
    for k in sorted(run.labels):
        s = planted_score(run, k)
        rows.append({"K": k, "purity": s.purity, "inverse purity": s.inverse_purity, "ARI": s.ari, "NMI": s.nmi,
                     "family purity": s.family_purity})
    return pd.DataFrame(rows)


def true_slope(run) -> float:
    """The planted rank-frequency slope −(α+1) of the language."""
    return -(float(planted_language(run).cfg.alpha) + 1.0)


def benchmark():
    """The frozen H100 benchmark: (dict of measurements, manifest)."""
    from quanta.artifacts import load_artifact

    _, manifest = load_artifact(BENCH_ARTIFACT)
    return manifest["meta"], manifest


def benchmark_table():
    """Time to the S × S matrix at S = 10,000 (pythia-70m shape) for each method, and sketch accuracy."""
    import pandas as pd

    b, manifest = benchmark()
    ref = b["reference"]["seconds_extrapolated"]
    rows = [{"method": "reference (authors' procedure, extrapolated)", "seconds": ref, "speed-up": 1.0,
             "corr(Ĉ, exact)": 1.0, "max |ΔĈ|": 0.0, "cluster ARI vs exact": None}]
    rows.append({"method": "ours, exact (bf16)", "seconds": b["exact"]["seconds"], "speed-up": ref / b["exact"]["seconds"],
                 "corr(Ĉ, exact)": 1.0, "max |ΔĈ|": 0.0,
                 "cluster ARI vs exact": b["clusters"]["ari_exact_seed0_vs_seed1"]})
    for k, r in sorted(b["sketch"].items(), key=lambda kv: int(kv[0])):
        rows.append({"method": f"ours, CountSketch k={int(k):,}", "seconds": r["seconds"], "speed-up": ref / r["seconds"],
                     "corr(Ĉ, exact)": r["corr"], "max |ΔĈ|": r["max_abs_err"],
                     "cluster ARI vs exact": b["clusters"][f"ari_sketch_{k}_vs_exact"]})
    return pd.DataFrame(rows), manifest["device"]


def comparison_rows(env_stdlib, env_planted, run_planted, score) -> list[dict]:
    """Our numbers beside the paper's (for :func:`quanta.report.comparison_table`)."""
    from quanta.report import fmt_ci

    b, _ = benchmark()
    lo, hi = env_stdlib.ranks
    rows = [
        {"quantity": "envelope slope, natural corpus", "ours": fmt_ci(env_stdlib.slope, env_stdlib.slope_ci, 2),
         "paper": PAPER_ENVELOPE_SLOPE, "note": f"ours: Python stdlib, S={int(sum(env_stdlib.sizes[env_stdlib.ks[0]]))}, ranks {lo}–{hi}; "
                                                f"paper: Pile, S={PAPER_N_TOKENS:,}, ranks {PAPER_FIT_RANKS[0]}–{PAPER_FIT_RANKS[1]} "
                                                f"({PAPER_ENVELOPE_SLOPE_FROM_LABELS} from the published labels)"},
        {"quantity": "envelope slope, planted language", "ours": fmt_ci(env_planted.slope, env_planted.slope_ci, 2),
         "paper": "–", "note": f"true slope −(α+1) = {true_slope(run_planted):.2f}"},
        {"quantity": "slope implied by α_N", "ours": "–", "paper": PAPER_IMPLIED_SLOPE, "note": "−(α_N + 1), paper Figure 5"},
        {"quantity": f"K shown (≈ {PAPER_SHOWN_K} × S/10,000)", "ours": run_planted.shown_k, "paper": PAPER_SHOWN_K,
         "note": "clusters numbered by size"},
        {"quantity": "ARI vs planted skills", "ours": f"{score.ari:.2f}", "paper": "–", "note": "no ground truth in the paper"},
        {"quantity": "S = 10,000 matrix, H100 (s)", "ours": f"{b['exact']['seconds']:.0f} exact / "
                                                          f"{min(r['seconds'] for r in b['sketch'].values()):.0f} sketched",
         "paper": "hours (A100)", "note": f"authors' procedure re-implemented: {b['reference']['seconds_extrapolated'] / 60:.0f} min"},
    ]
    return rows


def threshold_note(run) -> str:
    """How the candidate tokens of ``run`` were chosen, as a phrase for the prose."""
    thr = run.selection["threshold"]
    if run.cfg.loss_quantile is None:
        return f"loss below {thr:.2f} nats"
    return (f"loss below {thr:.2f} nats, the suite's best-predicted {run.cfg.loss_quantile:.0%} of test tokens "
            f"(too few fall below the paper's {run.cfg.loss_threshold} nats at this scale)")


def mode_note(run) -> str:
    """Which gradients the similarity matrix of ``run`` was built from, as a phrase for the prose."""
    if run.cfg.mode == "exact":
        return "exact gradients"
    return f"gradients CountSketched to k = {run.cfg.sketch_dim:,} dimensions"


def cluster_bench_table():
    """The frozen CPU clustering benchmark (``results/qdg_cluster_bench_cpu``): per K, ARI and timing."""
    import pandas as pd

    from quanta.artifacts import load_artifact

    _, manifest = load_artifact("qdg_cluster_bench_cpu")
    b = manifest["meta"]
    df = pd.DataFrame(b["per_k"]).rename(columns={
        "fast_ari_truth": "fast: ARI vs planted", "fast_ari_seeds": "fast: seed vs seed",
        "ref_ari_truth": "reference: ARI vs planted", "ref_ari_seeds": "reference: seed vs seed",
        "fast_vs_ref": "fast vs reference"})
    return df, b
