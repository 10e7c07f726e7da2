"""The S × S gradient similarity matrix, built blockwise so S = 10,000 fits (paper §5, SPEC §4.2 steps 5-6).

With rows ĝ_i = g_i/‖g_i‖, the cosine matrix is C = ÂÂᵀ and the affinity handed to spectral clustering
is the angular similarity Ĉ = 1 − arccos(clip(C, −1, 1))/π ∈ [0, 1] (the clip guards round-off; the
authors' LLM script omitted it, SPEC §9).

Two modes. ``exact``: the gradient matrix G (S × P) never exists whole; the tracked modules are cut into
parameter chunks whose S × P_c slice fits a memory budget, and C_raw = Σ_c G_c G_cᵀ is accumulated over
chunks (one forward/backward pass over the tokens per chunk; norms come from the diagonal). ``sketch``:
every per-sample gradient is CountSketched to k dimensions as soon as it is formed (one pass), and C is
the cosine of the sketches. Either way every gradient is formed once per chunk, unlike the reference,
which recomputes a block of gradients for every block pair. Partial results (per-chunk Gram matrices or
per-block sketches) are written to a resumable folder, so a killed run continues where it stopped.
"""

from __future__ import annotations

import io
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..cache import atomic_write_bytes
from ..progress import progress
from ..validate import check_choice, check_int
from .gradients import LossFn, group_by_module, module_gradients
from .params import ParamSpec, n_dims
from .sketch import CountSketch

log = logging.getLogger(__name__)

MODES = ("exact", "sketch")


def angular_similarity(C):
    """Ĉ = 1 − arccos(clip(C, −1, 1))/π, elementwise; numpy array or torch tensor of any shape."""
    if isinstance(C, torch.Tensor):
        return 1.0 - torch.arccos(C.clamp(-1.0, 1.0)) / math.pi
    return (1.0 - np.arccos(np.clip(C, -1.0, 1.0)) / np.pi).astype(np.asarray(C).dtype, copy=False)


@dataclass
class GradientSimilarity:
    """Cosine similarities of per-sample gradients.

    Attributes
    ----------
    cosine : np.ndarray, shape (S, S), float32
    norms : np.ndarray, shape (S,), float64 (gradient norms; sketch norms in sketch mode)
    mode : str
    n_params : int (P, length of the exact gradient)
    sketch_dim : int or None
    timings : dict (seconds: ``gradients``, ``gram``, ``total``)
    """

    cosine: np.ndarray
    norms: np.ndarray
    mode: str
    n_params: int
    sketch_dim: int | None = None
    timings: dict = field(default_factory=dict)

    @property
    def angular(self) -> np.ndarray:
        """Ĉ, shape (S, S)."""
        return angular_similarity(self.cosine)


def _to(batch, device):
    if hasattr(batch, "to"):
        return batch.to(device)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: _to(v, device) for k, v in batch.items()}
    return batch


def plan_chunks(groups: dict[str, list[ParamSpec]], n_samples: int, budget_bytes: float, itemsize: int
                ) -> list[dict[str, list[ParamSpec]]]:
    """Cut the tracked modules (in order) into chunks whose S × P_c gradient slice fits ``budget_bytes``."""
    chunks, cur, cur_p = [], {}, 0
    for name, specs in groups.items():
        p = sum(s.numel for s in specs)
        if cur and (cur_p + p) * n_samples * itemsize > budget_bytes:
            chunks.append(cur)
            cur, cur_p = {}, 0
        cur[name] = specs
        cur_p += p
    if cur:
        chunks.append(cur)
    return chunks


def _mm32(a: torch.Tensor, b: torch.Tensor, col_block: int = 1 << 18) -> torch.Tensor:
    """a @ b.T in float32 for (n, P) and (m, P) inputs (bf16 inputs accumulate in float32)."""
    if a.dtype == torch.float32:
        return a @ b.T
    if a.is_cuda:
        try:
            return torch.mm(a, b.T, out_dtype=torch.float32)
        except (RuntimeError, TypeError):
            pass
    out = torch.zeros(a.shape[0], b.shape[0], dtype=torch.float32, device=a.device)
    for c in range(0, a.shape[1], col_block):
        out.addmm_(a[:, c:c + col_block].float(), b[:, c:c + col_block].float().T)
    return out


def _gram(G: torch.Tensor, n_tiles: int = 8) -> torch.Tensor:
    """G Gᵀ in float32 for G of shape (S, P), from the tiles on and above the diagonal (about half the work)."""
    S = G.shape[0]
    t = max(1, -(-S // n_tiles))
    out = torch.empty(S, S, dtype=torch.float32, device=G.device)
    for a in range(0, S, t):
        for b in range(a, S, t):
            blk = _mm32(G[a:a + t], G[b:b + t])
            out[a:a + t, b:b + t] = blk
            if b != a:
                out[b:b + t, a:a + t] = blk.T
    return out


def _save(path: Path, arr: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())


def _load(path: Path, shape) -> np.ndarray | None:
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        log.warning("partial result %s is unreadable; recomputing it", path)
        return None
    return a if a.shape == tuple(shape) else None


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def gradient_similarity(model: torch.nn.Module, specs: list[ParamSpec], loss_fn: LossFn, batches, n_samples: int,
                        *, mode: str = "exact", sketch_dim: int = 4096, seed: int = 0,
                        amp_dtype: torch.dtype | None = None, storage_dtype: torch.dtype | None = None,
                        memory_budget_gb: float | None = None, store_dir: Path | None = None,
                        blocks_per_file: int = 16, show_progress: bool = True) -> GradientSimilarity:
    """Cosine similarity matrix of per-sample gradients, computed once per sample (per chunk).

    Parameters
    ----------
    model : torch.nn.Module
        Any model (in eval mode; its device is used); samples must not interact inside it.
    specs : list of ParamSpec
        From :func:`quanta.qdg.params.select_parameters`.
    loss_fn : callable
        ``loss_fn(model, batch) -> Tensor (B,)``.
    batches : list of (indices, batch)
        ``indices`` (shape (B,)) place each batch's samples among the ``n_samples`` outputs; every sample
        must appear exactly once.
    n_samples : int
        S.
    mode : {"exact", "sketch"}
    sketch_dim : int
        k for ``mode="sketch"``.
    seed : int
        Seed of the CountSketch hashes.
    amp_dtype : torch.dtype, optional
        Autocast dtype for forward/backward (``None``: the model's own precision).
    storage_dtype : torch.dtype, optional
        dtype of the stored exact gradient chunks (default float32 on CPU, bfloat16 on CUDA); the Gram
        matrix is always accumulated in float32.
    memory_budget_gb : float, optional
        Bytes allowed for one exact gradient chunk (default: 2 GB on CPU, half the free memory on CUDA).
    store_dir : Path, optional
        Folder for resumable partial results (e.g. ``quanta.cache.stage_dir(...).path``).
    blocks_per_file : int
        Sketch mode: batches per saved block file.

    Returns
    -------
    GradientSimilarity
    """
    check_choice("mode", mode, MODES)
    S = check_int("n_samples", n_samples, min=2)
    if mode == "sketch":
        check_int("sketch_dim", sketch_dim, min=1)
    batches = list(batches)
    perm = np.concatenate([np.asarray(i, dtype=np.int64) for i, _ in batches]) if batches else np.zeros(0, np.int64)
    if perm.shape[0] != S or np.unique(perm).shape[0] != S or perm.min() < 0 or perm.max() >= S:
        raise ValueError(f"batches must cover each of the n_samples={S} samples exactly once")
    groups = group_by_module(model, specs)  # fails early on unsupported modules
    device = next(model.parameters()).device
    if storage_dtype is None:
        storage_dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    if store_dir is not None:
        store_dir = Path(store_dir)
        store_dir.mkdir(parents=True, exist_ok=True)
    starts = np.cumsum([0] + [len(i) for i, _ in batches])
    # move every batch to the device once: a copy from pageable memory inside the loop would make the
    # host wait for the device at every batch (the batches are token ids, a few bytes per token)
    batches = [(i, _to(b, device)) for i, b in batches]
    t0 = time.perf_counter()
    t_grad = t_gram = 0.0

    if mode == "exact":
        itemsize = torch.empty(0, dtype=storage_dtype).element_size()
        if memory_budget_gb is None:
            budget = (torch.cuda.mem_get_info(device)[0] * 0.5) if device.type == "cuda" else 2e9
        else:
            budget = float(memory_budget_gb) * 1e9
        chunks = plan_chunks(groups, S, budget, itemsize)
        C = torch.zeros(S, S, dtype=torch.float32, device=device)
        for ci, chunk in enumerate(chunks):
            path = store_dir / f"gram_chunk_{ci:03d}.npy" if store_dir is not None else None
            if path is not None and path.exists():
                a = _load(path, (S, S))
                if a is not None:
                    C += torch.from_numpy(a).to(device)
                    continue
            offs, Pc = {}, 0
            for specs_m in chunk.values():
                for s in specs_m:
                    offs[s.name] = Pc
                    Pc += s.numel
            G = torch.zeros(S, Pc, dtype=storage_dtype, device=device)
            ta = time.perf_counter()
            desc = f"gradients (chunk {ci + 1}/{len(chunks)})"
            for b, (_, batch) in enumerate(progress(batches, desc=desc, disable=not show_progress)):
                r0, r1 = starts[b], starts[b + 1]
                for spec, g in module_gradients(model, chunk, loss_fn, _to(batch, device), amp_dtype=amp_dtype):
                    G[r0:r1, offs[spec.name]:offs[spec.name] + spec.numel] = g
            _sync(device)
            tb = time.perf_counter()
            gram = _gram(G)
            del G
            _sync(device)
            t_grad += tb - ta
            t_gram += time.perf_counter() - tb
            if path is not None:
                _save(path, gram.cpu().numpy())
            C += gram
            del gram
        norms2 = torch.diagonal(C).clone()
    else:
        sk = CountSketch(specs, sketch_dim, seed=seed, device=device)
        Z = torch.zeros(S, sketch_dim, dtype=torch.float32, device=device)
        nblk = (len(batches) + blocks_per_file - 1) // blocks_per_file
        ta = time.perf_counter()
        for blk in progress(range(nblk), desc="gradients (sketch)", disable=not show_progress):
            b0, b1 = blk * blocks_per_file, min(len(batches), (blk + 1) * blocks_per_file)
            r0, r1 = starts[b0], starts[b1]
            path = store_dir / f"sketch_block_{blk:05d}.npy" if store_dir is not None else None
            if path is not None and path.exists():
                a = _load(path, (r1 - r0, sketch_dim))
                if a is not None:
                    Z[r0:r1] = torch.from_numpy(a).to(device)
                    continue
            for b in range(b0, b1):
                out = Z[starts[b]:starts[b + 1]]
                for spec, g in module_gradients(model, groups, loss_fn, _to(batches[b][1], device), amp_dtype=amp_dtype):
                    sk.add_(out, spec, g)
            if path is not None:
                _save(path, Z[r0:r1].cpu().numpy())
        _sync(device)
        tb = time.perf_counter()
        t_grad = tb - ta
        norms2 = (Z * Z).sum(1)
        Zn = Z / norms2.sqrt().clamp_min(1e-30)[:, None]
        C = Zn @ Zn.T
        del Z, Zn
        _sync(device)
        t_gram = time.perf_counter() - tb
    norms = norms2.clamp_min(0).sqrt()
    if mode == "exact":
        inv = 1.0 / norms.clamp_min(1e-30)
        C = C * inv[:, None] * inv[None, :]
    C = (0.5 * (C + C.T)).clamp_(-1.0, 1.0)  # exactly symmetric (BLAS tiles round differently)
    inv_perm = torch.from_numpy(np.argsort(perm)).to(device)
    C = C[inv_perm][:, inv_perm]
    norms = norms[inv_perm]
    _sync(device)
    cos = C.cpu().numpy().astype(np.float32)
    if (norms == 0).any():
        log.warning("%d sample(s) have a zero gradient; their similarities are 0", int((norms == 0).sum()))
    return GradientSimilarity(cosine=cos, norms=norms.double().cpu().numpy(), mode=mode, n_params=n_dims(specs),
                              sketch_dim=sketch_dim if mode == "sketch" else None,
                              timings={"gradients": t_grad, "gram": t_gram, "total": time.perf_counter() - t0})
