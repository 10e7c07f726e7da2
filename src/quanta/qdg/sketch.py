"""CountSketch projection of gradients as soon as they are formed (a deviation from paper §5).

The exact S × S cosine matrix needs every gradient of P ≈ 19M dimensions (pythia-70m): 378 GB for
S = 10,000 in bf16. A CountSketch maps each coordinate j to one of k buckets h(j) with a random sign
s(j) and adds: z = Σ_j s(j) g_j e_{h(j)}. Inner products are preserved in expectation
(E⟨z_a, z_b⟩ = ⟨g_a, g_b⟩) with error ~ 1/√k in cosine, like a dense Gaussian (Johnson–Lindenstrauss)
projection, but at O(P) cost per sample instead of O(P·k) (PERF.md). The authors' later code used a
sparse random projection to 5,000 dimensions for the same purpose (SPEC §4.5).
"""

from __future__ import annotations

import torch

from ..validate import check_int
from .params import ParamSpec


class CountSketch:
    """Hash and sign of every tracked coordinate, drawn once from ``seed``.

    Parameters
    ----------
    specs : list of ParamSpec
        The tracked parameters (their offsets define the coordinate index).
    k : int
        Sketch dimension.
    seed : int
    device : torch.device or str
    """

    def __init__(self, specs: list[ParamSpec], k: int, *, seed: int = 0, device="cpu"):
        self.k = check_int("k", k, min=1)
        g = torch.Generator().manual_seed(int(seed))
        self._h: dict[str, torch.Tensor] = {}
        self._s: dict[str, torch.Tensor] = {}
        for s in specs:  # per parameter, so a subset of specs hashes the same way
            self._h[s.name] = torch.randint(0, self.k, (s.numel,), generator=g).to(device)
            self._s[s.name] = (torch.randint(0, 2, (s.numel,), generator=g, dtype=torch.int8) * 2 - 1).to(device)

    def add_(self, out: torch.Tensor, spec: ParamSpec, grad: torch.Tensor) -> torch.Tensor:
        """Accumulate the sketch of one parameter's per-sample gradients into ``out``.

        Parameters
        ----------
        out : Tensor, shape (B, k), float32
        grad : Tensor, shape (B, numel)
        """
        s = self._s[spec.name].to(grad.dtype)
        out.index_add_(1, self._h[spec.name], (grad * s).to(out.dtype))
        return out

    def apply(self, specs: list[ParamSpec], grads: torch.Tensor) -> torch.Tensor:
        """Sketch full concatenated gradients, shape (B, P) -> (B, k) (used by tests and the reference)."""
        out = torch.zeros(grads.shape[0], self.k, dtype=torch.float32, device=grads.device)
        for s in specs:
            self.add_(out, s, grads[:, s.offset:s.offset + s.numel])
        return out
