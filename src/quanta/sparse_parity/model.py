"""Ensembles of one-hidden-layer ReLU MLPs trained at once (paper §3, App. B).

Intuition: the paper trains each width of a sweep as its own process, feeding a dense input whose first
``n_tasks`` columns are a one-hot task id. Both costs are avoidable without changing the algorithm.
Multiplying a one-hot block by the first-layer weight is a *row gather* of that weight, so the task id
is read with an embedding lookup. And the members of a sweep (widths, seeds) are independent networks,
so their hidden units can be concatenated into one wide layer (a block-diagonal model): the first layer
is then one matrix product for all members, and the second layer maps each member's hidden units only
to that member's two logits. Adam(W) is elementwise, so one optimizer over the concatenated parameters
is exactly one optimizer per member. Each member is still the paper's
``Linear(n_tasks + n -> w) -> ReLU -> Linear(w -> 2)`` with PyTorch's default initialisation, and has
``N = (n_tasks + n + 3) w + 2`` parameters.

Two input layouts are supported:

* **shared batch** (width sweeps): ``task_ids`` (B,), ``bits`` (B, n), every member sees the batch;
* **per-member batch** (data sweeps, every member with its own training set): ``task_ids`` (M, B),
  ``bits`` (M, B, n); members must then have equal widths (batched matrix products).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..validate import check_int


def n_params(width: int, n_tasks: int, n: int) -> int:
    """Parameter count of one member: ``(n_tasks + n) w + w + 2 w + 2 = (n_tasks + n + 3) w + 2``."""
    return (n_tasks + n + 3) * width + 2


def default_init(width: int, n_tasks: int, n: int, seed: int):
    """PyTorch's default ``nn.Linear`` initialisation for one member, from its own seed.

    ``nn.Linear(fan_in, fan_out)`` draws weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    (kaiming-uniform with a = sqrt(5)). Drawn in the order W1, b1, W2, b2.

    Returns
    -------
    W1 : torch.Tensor, shape (width, n_tasks + n)
    b1 : torch.Tensor, shape (width,)
    W2 : torch.Tensor, shape (2, width)
    b2 : torch.Tensor, shape (2,)
    """
    g = torch.Generator().manual_seed(int(seed))
    a1 = 1.0 / math.sqrt(n_tasks + n)
    a2 = 1.0 / math.sqrt(width)

    def u(shape, a):
        return (torch.rand(shape, generator=g, dtype=torch.float32) * 2.0 - 1.0) * a

    return u((width, n_tasks + n), a1), u((width,), a1), u((2, width), a2), u((2,), a2)


class MLPEnsemble(nn.Module):
    """``M`` independent one-hidden-layer ReLU MLPs stored as one block-diagonal network.

    Parameters
    ----------
    widths : sequence of int, length M
        Hidden width of each member (>= 1).
    n_tasks, n : int
        Control bits and task bits of the input.
    seeds : sequence of int, length M
        Initialisation seed of each member (see :func:`default_init`); a member trained alone with
        the same seed starts from identical weights.

    Attributes
    ----------
    w_task : (n_tasks, H) first-layer weights of the control bits (H = sum of widths)
    w_bits : (n, H) first-layer weights of the task bits
    b1 : (H,)
    w2 : (H, 2) second-layer weights, row j belongs to the member owning hidden unit j
    b2 : (M, 2)
    """

    def __init__(self, widths, n_tasks: int, n: int, seeds):
        super().__init__()
        widths = [check_int("width", w, min=1) for w in widths]
        if len(widths) == 0:
            raise ValueError("widths=() is empty; give at least one width >= 1")
        seeds = list(seeds)
        if len(seeds) != len(widths):
            raise ValueError(f"seeds has {len(seeds)} entries but widths has {len(widths)}; give one seed per member")
        self.widths = tuple(widths)
        self.n_tasks, self.n = int(n_tasks), int(n)
        inits = [default_init(w, n_tasks, n, s) for w, s in zip(widths, seeds)]
        W1 = torch.cat([i[0] for i in inits], 0)                     # (H, n_tasks + n)
        self.w_task = nn.Parameter(W1[:, :n_tasks].T.contiguous())
        self.w_bits = nn.Parameter(W1[:, n_tasks:].T.contiguous())
        self.b1 = nn.Parameter(torch.cat([i[1] for i in inits]))
        self.w2 = nn.Parameter(torch.cat([i[2].T for i in inits], 0).contiguous())
        self.b2 = nn.Parameter(torch.stack([i[3] for i in inits]))
        member = torch.repeat_interleave(torch.arange(len(widths)), torch.tensor(widths))
        self.register_buffer("member_onehot", F.one_hot(member, len(widths)).to(torch.float32), persistent=False)

    @property
    def n_members(self) -> int:
        return len(self.widths)

    def param_counts(self) -> np.ndarray:
        """Parameters of each member, shape (M,)."""
        return np.array([n_params(w, self.n_tasks, self.n) for w in self.widths], dtype=np.int64)

    def _w2_blockdiag(self) -> torch.Tensor:
        """Second layer as a (H, 2M) block-diagonal matrix (zeros outside each member's block)."""
        H, M = self.w2.shape[0], self.n_members
        return (self.member_onehot[:, :, None] * self.w2[:, None, :]).reshape(H, 2 * M)

    def forward(self, task_ids: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
        """Logits of every member.

        Parameters
        ----------
        task_ids : (B,) or (M, B) int64
        bits : (B, n) or (M, B, n), any numeric dtype with values in {0, 1}

        Returns
        -------
        torch.Tensor, shape (M, B, 2)
        """
        x = bits.to(self.w_bits.dtype)
        if task_ids.dim() == 1:
            h = torch.addmm(self.b1, x, self.w_bits) + F.embedding(task_ids, self.w_task)   # (B, H)
            h = torch.relu(h)
            logits = h @ self._w2_blockdiag() + self.b2.reshape(-1)                         # (B, 2M)
            return logits.view(-1, self.n_members, 2).transpose(0, 1)
        M = self.n_members
        if task_ids.shape[0] != M:
            raise ValueError(f"per-member batch has {task_ids.shape[0]} rows but the ensemble has {M} members")
        if len(set(self.widths)) != 1:
            raise ValueError(f"per-member batches need equal widths, got widths={self.widths}")
        w = self.widths[0]
        wb = self.w_bits.view(self.n, M, w).permute(1, 0, 2)                               # (M, n, w)
        wt = self.w_task.view(self.n_tasks * M, w)            # row t*M + m: member m's weights of task t
        rows = task_ids * M + torch.arange(M, device=task_ids.device)[:, None]
        h = torch.baddbmm(self.b1.view(M, 1, w), x, wb) + F.embedding(rows, wt)            # (M, B, w)
        h = torch.relu(h)
        return torch.baddbmm(self.b2.view(M, 1, 2), h, self.w2.view(M, w, 2))              # (M, B, 2)

    def member_state(self, m: int) -> dict[str, torch.Tensor]:
        """Weights of member ``m`` in ``nn.Sequential(Linear, ReLU, Linear)`` layout (keys 0.*, 2.*)."""
        lo = sum(self.widths[:m])
        hi = lo + self.widths[m]
        W1 = torch.cat([self.w_task[:, lo:hi], self.w_bits[:, lo:hi]], 0).T
        return {"0.weight": W1.detach().clone(), "0.bias": self.b1[lo:hi].detach().clone(),
                "2.weight": self.w2[lo:hi].T.detach().clone(), "2.bias": self.b2[m].detach().clone()}


def dense_mlp(width: int, n_tasks: int, n: int, seed: int) -> nn.Sequential:
    """The paper's model as written: ``Linear(n_tasks + n, w) -> ReLU -> Linear(w, 2)`` (dense input).

    Initialised exactly like member ``seed`` of :class:`MLPEnsemble` (reference implementations and
    tests use it).
    """
    net = nn.Sequential(nn.Linear(n_tasks + n, width), nn.ReLU(), nn.Linear(width, 2))
    W1, b1, W2, b2 = default_init(width, n_tasks, n, seed)
    with torch.no_grad():
        net[0].weight.copy_(W1)
        net[0].bias.copy_(b1)
        net[2].weight.copy_(W2)
        net[2].bias.copy_(b2)
    return net
