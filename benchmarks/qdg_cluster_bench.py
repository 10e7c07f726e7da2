"""Spectral clustering of a QDG-like affinity: fast solver vs scikit-learn reference, side by side.

A planted affinity like the paper's App. D.2 toy model: n_i = ⌊A / i^a⌋ points for cluster i
(Zipfian sizes), cluster means ~ N(0, I_d), points = mean + σ·noise, affinity Ĉ = 1 − arccos(cos)/π.
For each K the reference (``SpectralClustering(affinity='precomputed', n_init=30)``, embedding and
30 k-means restarts per K) and the fast solver (one float32 embedding for all K, 3 restarts) are timed,
scored against the planted clusters (ARI) and against themselves across two seeds.

Example::

    python benchmarks/qdg_cluster_bench.py --A 400 --n-clusters 300 --ks 25 50 100 --out OUT
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from quanta.qdg.cluster import adjusted_rand, spectral_fast, spectral_reference
from quanta.qdg.similarity import angular_similarity


def planted_affinity(A: int, n_clusters: int, a: float, d: int, sigma: float, seed: int):
    rng = np.random.default_rng(seed)
    sizes = np.floor(A / np.arange(1, n_clusters + 1) ** a).astype(int)
    sizes = sizes[sizes > 0]
    labels = np.repeat(np.arange(sizes.size), sizes)
    X = rng.normal(size=(sizes.size, d))[labels] + sigma * rng.normal(size=(labels.size, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return angular_similarity(np.clip(X @ X.T, -1, 1)).astype(np.float32), labels


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--A", type=int, default=400)
    ap.add_argument("--n-clusters", type=int, default=300)
    ap.add_argument("--a", type=float, default=1.0, help="rank-frequency exponent of the planted sizes")
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--sigma", type=float, default=1.0)
    ap.add_argument("--ks", type=int, nargs="+", default=[25, 50, 100])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    Aff, truth = planted_affinity(args.A, args.n_clusters, args.a, args.d, args.sigma, args.seed)
    S = truth.size
    print(f"S = {S} points in {truth.max() + 1} planted clusters", flush=True)
    res = {"args": vars(args), "S": int(S), "n_planted": int(truth.max() + 1)}
    t = time.perf_counter()
    f1 = spectral_fast(Aff, args.ks, seed=args.seed, device=args.device)
    res["fast_seconds_all_k"] = time.perf_counter() - t
    f2 = spectral_fast(Aff, args.ks, seed=args.seed + 1, device=args.device)
    t = time.perf_counter()
    r1 = spectral_reference(Aff, args.ks, seed=args.seed)
    res["reference_seconds_all_k"] = time.perf_counter() - t
    r2 = spectral_reference(Aff, args.ks, seed=args.seed + 1)
    res["per_k"] = []
    for k in args.ks:
        row = {"K": k, "fast_ari_truth": adjusted_rand(f1[k], truth), "fast_ari_seeds": adjusted_rand(f1[k], f2[k]),
               "ref_ari_truth": adjusted_rand(r1[k], truth), "ref_ari_seeds": adjusted_rand(r1[k], r2[k]),
               "fast_vs_ref": adjusted_rand(f1[k], r1[k])}
        res["per_k"].append(row)
        print(json.dumps(row), flush=True)
    res["speedup"] = res["reference_seconds_all_k"] / res["fast_seconds_all_k"]
    print(f"fast {res['fast_seconds_all_k']:.1f} s vs reference {res['reference_seconds_all_k']:.1f} s "
          f"for {len(args.ks)} K: {res['speedup']:.1f}x", flush=True)
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "cluster_bench.json").write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
