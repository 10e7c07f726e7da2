"""Spectral clustering of the gradient-similarity matrix (paper §5; SPEC §4.2 step 7; PERF.md).

The authors cluster Ĉ with ``sklearn.cluster.SpectralClustering(affinity='precomputed', n_init=30)``
for many numbers of clusters K. That is our *reference* (:func:`spectral_reference`, seeded). It
recomputes the spectral embedding for every K, and its 30 k-means restarts dominate the cost. The
*fast* solver (:func:`spectral_fast`) computes the embedding once for the largest K (a float32 dense
eigendecomposition of D^{-1/2} A D^{-1/2}, the same normalized-Laplacian embedding scikit-learn uses:
zero diagonal, rows divided by √degree) and runs k-means with a few restarts for each K. With K in the
hundreds the reference disagrees with itself across seeds, so solvers are judged by agreement with
planted ground truth and by seed-to-seed stability, not against one reference run.
"""

from __future__ import annotations

import numpy as np

from ..validate import check_choice, check_int

METHODS = ("fast", "reference")


def _check_affinity(A) -> np.ndarray:
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"affinity must be a square matrix, got shape {A.shape}")
    if not np.isfinite(A).all() or (A < 0).any():
        raise ValueError("affinity must be finite and non-negative (use Ĉ = angular_similarity(C))")
    return A


def _check_ks(ks, S: int) -> list[int]:
    ks = [ks] if np.isscalar(ks) else list(ks)
    if not ks:
        raise ValueError("n_clusters must hold at least one K")
    for k in ks:
        check_int("n_clusters", k, min=2)
        if k >= S:
            raise ValueError(f"n_clusters={k} must be smaller than the number of samples S={S}")
    return [int(k) for k in ks]


def relabel_by_size(labels) -> np.ndarray:
    """Renumber clusters by decreasing size (0 = largest), as the paper numbers them; ties by old label."""
    labels = np.asarray(labels).ravel()
    u, inv, counts = np.unique(labels, return_inverse=True, return_counts=True)
    order = np.lexsort((u, -counts))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inv].astype(np.int64)


def spectral_reference(A, n_clusters, *, seed: int = 0, n_init: int = 30) -> dict[int, np.ndarray]:
    """The authors' clustering: scikit-learn ``SpectralClustering`` on a precomputed affinity, per K.

    Parameters
    ----------
    A : np.ndarray, shape (S, S)
        Non-negative symmetric affinity (Ĉ).
    n_clusters : int or list of int
        Each K must satisfy 2 <= K < S.
    seed : int
        ``random_state`` (the authors' LLM run was unseeded).
    n_init : int
        k-means restarts (paper 30).

    Returns
    -------
    dict K -> np.ndarray of int64, shape (S,), labels renumbered by size.
    """
    from sklearn.cluster import SpectralClustering

    A = _check_affinity(A)
    ks = _check_ks(n_clusters, A.shape[0])
    out = {}
    for k in ks:
        sc = SpectralClustering(n_clusters=k, affinity="precomputed", n_init=n_init, random_state=seed,
                                assign_labels="kmeans")
        out[k] = relabel_by_size(sc.fit_predict(A.astype(np.float64)))
    return out


def spectral_embedding(A, n_components: int, *, device: str = "cpu") -> np.ndarray:
    """Normalized-Laplacian embedding as scikit-learn builds it, float32, shape (S, n_components).

    The top eigenvectors of D^{-1/2} A₀ D^{-1/2} (A₀: A with zero diagonal, D its degrees), each row
    divided by √degree, signs fixed deterministically.
    """
    import torch

    A = _check_affinity(A)
    dev = torch.device(device)
    At = torch.as_tensor(A, dtype=torch.float32, device=dev).clone()
    At.fill_diagonal_(0.0)
    deg = At.sum(1)
    if (deg <= 0).any():
        raise ValueError("every sample needs a positive degree in the affinity")
    dd = deg.sqrt()
    M = At / dd[:, None] / dd[None, :]
    M = 0.5 * (M + M.T)
    if dev.type == "cpu" and A.shape[0] > 2 * n_components:
        from scipy.linalg import eigh

        S = A.shape[0]
        w, U = eigh(M.numpy(), subset_by_index=[S - n_components, S - 1], driver="evr")
        U = torch.from_numpy(np.ascontiguousarray(U[:, ::-1]))
    else:
        w, U = torch.linalg.eigh(M)
        U = U.flip(1)[:, :n_components]
    E = U / dd[:, None]
    # deterministic signs (as sklearn's _deterministic_vector_sign_flip): largest |entry| positive
    idx = E.abs().argmax(0)
    signs = torch.sign(E[idx, torch.arange(E.shape[1], device=E.device)])
    signs[signs == 0] = 1
    return (E * signs).cpu().numpy()


def _kmeans_torch(X, k: int, *, n_init: int, seed: int, iters: int = 100):
    """Lloyd's k-means with k-means++ seeding on a torch tensor X (S, d); best of ``n_init`` by inertia."""
    import torch

    g = torch.Generator(device=X.device).manual_seed(int(seed))
    best, best_inertia = None, float("inf")
    x2 = (X * X).sum(1)
    for _ in range(n_init):
        c_idx = [int(torch.randint(X.shape[0], (1,), generator=g, device=X.device))]
        d2 = (x2 - 2 * X @ X[c_idx[0]] + x2[c_idx[0]]).clamp_min(0)
        for _j in range(1, k):
            p = d2 / d2.sum() if d2.sum() > 0 else torch.full_like(d2, 1.0 / d2.numel())
            i = int(torch.multinomial(p, 1, generator=g))
            c_idx.append(i)
            d2 = torch.minimum(d2, (x2 - 2 * X @ X[i] + x2[i]).clamp_min(0))
        C = X[c_idx].clone()
        lab = None
        for _it in range(iters):
            dist = x2[:, None] - 2 * X @ C.T + (C * C).sum(1)[None]
            new = dist.argmin(1)
            if lab is not None and torch.equal(new, lab):
                break
            lab = new
            counts = torch.bincount(lab, minlength=k).to(X.dtype)
            sums = torch.zeros_like(C).index_add_(0, lab, X)
            nz = counts > 0
            C[nz] = sums[nz] / counts[nz, None]
        inertia = float(dist.gather(1, lab[:, None]).sum())
        if inertia < best_inertia:
            best, best_inertia = lab, inertia
    return best.cpu().numpy()


def spectral_fast(A, n_clusters, *, seed: int = 0, n_init: int = 3, device: str = "cpu") -> dict[int, np.ndarray]:
    """Spectral clustering for several K from one float32 embedding, k-means with few restarts.

    Parameters
    ----------
    A : np.ndarray, shape (S, S)
    n_clusters : int or list of int
        Each 2 <= K < S.
    seed : int
    n_init : int
        k-means restarts per K (the reference uses 30; PERF.md found 3 inside the seed-to-seed band).
    device : str
        ``"cpu"`` (scipy eigh + scikit-learn k-means) or a CUDA device (torch eigh + torch k-means).

    Returns
    -------
    dict K -> np.ndarray of int64, shape (S,), labels renumbered by size.
    """
    A = _check_affinity(A)
    ks = _check_ks(n_clusters, A.shape[0])
    check_int("n_init", n_init, min=1)
    E = spectral_embedding(A, max(ks), device=device)
    out = {}
    if device == "cpu":
        from sklearn.cluster import KMeans

        for k in ks:
            km = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
            out[k] = relabel_by_size(km.fit_predict(E[:, :k].astype(np.float64)))
    else:
        import torch

        Et = torch.as_tensor(E, device=device)
        for k in ks:
            out[k] = relabel_by_size(_kmeans_torch(Et[:, :k].contiguous(), k, n_init=n_init, seed=seed + k))
    return out


def cluster(A, n_clusters, *, method: str = "fast", seed: int = 0, n_init: int | None = None,
            device: str = "cpu") -> dict[int, np.ndarray]:
    """Dispatch to :func:`spectral_fast` or :func:`spectral_reference` (``n_init`` default 3 / 30)."""
    check_choice("method", method, METHODS)
    if method == "reference":
        return spectral_reference(A, n_clusters, seed=seed, n_init=30 if n_init is None else n_init)
    return spectral_fast(A, n_clusters, seed=seed, n_init=3 if n_init is None else n_init, device=device)


def adjusted_rand(a, b) -> float:
    """Adjusted Rand index between two labelings (scikit-learn)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(np.asarray(a).ravel(), np.asarray(b).ravel()))
