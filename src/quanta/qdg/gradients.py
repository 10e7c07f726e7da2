"""Per-sample gradients from hooks, computed once per token (paper §5; PERF.md "QDG").

QDG needs one gradient per sample: g_i = ∇_θ L(f_θ(x_i), y_i) over a parameter subset. The authors'
scripts run one backward pass per token through every parameter. Here a whole batch is done in one
pass: forward hooks keep each tracked module's input X (shape ``(B, T, in)``); autograd is asked only for
dL/dY of the tracked modules' outputs (so no weight GEMM is computed); the per-sample weight gradient is
then ``einsum('bto,bti->boi', dY, X)`` for a Linear layer and the bias gradient is dY summed over
positions. Because the per-sample losses are independent, ``d(Σ_b L_b)/dY_b = dL_b/dY_b``: the sum of
losses gives every sample's own output gradient in one pass. The rule needs samples that do not interact
inside the model (no batch norm; a causal LM with right padding is fine).

Supported module types: ``torch.nn.Linear``, ``torch.nn.LayerNorm``, ``torch.nn.Embedding`` and the
transformers ``Conv1D``. :func:`naive_gradients` (one backward per sample) works for anything and is the
test oracle.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterator

import torch

from .params import ParamSpec

LossFn = Callable[[torch.nn.Module, object], torch.Tensor]
"""``loss_fn(model, batch) -> Tensor (B,)``: one loss per sample of the batch."""


def _conv1d_type():
    try:
        from transformers.pytorch_utils import Conv1D
    except Exception:  # pragma: no cover - transformers always present in this project
        return None
    return Conv1D


def _kind(module: torch.nn.Module) -> str | None:
    if isinstance(module, torch.nn.Linear):
        return "linear"
    if isinstance(module, torch.nn.LayerNorm):
        return "layernorm"
    if isinstance(module, torch.nn.Embedding):
        return "embedding"
    c = _conv1d_type()
    if c is not None and isinstance(module, c):
        return "conv1d"
    return None


def group_by_module(model: torch.nn.Module, specs: list[ParamSpec]) -> dict[str, list[ParamSpec]]:
    """Tracked parameters grouped by owning module, in order; raise for unsupported module types."""
    modules = dict(model.named_modules())
    groups: dict[str, list[ParamSpec]] = defaultdict(list)
    for s in specs:
        groups[s.module].append(s)
    for name in groups:
        if _kind(modules[name]) is None:
            raise ValueError(
                f"module {name!r} ({type(modules[name]).__name__}) holds tracked parameters but has no "
                "per-sample gradient rule (Linear, LayerNorm, Embedding, Conv1D); use method='naive' "
                "or exclude its parameters")
    return dict(groups)


def _per_sample(kind: str, module: torch.nn.Module, X: torch.Tensor, dY: torch.Tensor, B: int
                ) -> dict[str, torch.Tensor]:
    """Per-sample gradients of one module call. X: (B, ..., in) (indices for embeddings); dY: (B, ..., out)."""
    if kind == "embedding":
        idx = X.reshape(B, -1)
        d = dY.reshape(B, idx.shape[1], -1)
        V = module.num_embeddings
        flat = (idx + V * torch.arange(B, device=idx.device)[:, None]).reshape(-1)
        out = torch.zeros(B * V, d.shape[-1], dtype=d.dtype, device=d.device)
        out.index_add_(0, flat, d.reshape(-1, d.shape[-1]))
        return {"weight": out.view(B, V, -1)}
    X = X.reshape(B, -1, X.shape[-1])
    dY = dY.reshape(B, -1, dY.shape[-1])
    res = {}
    if kind == "linear":
        res["weight"] = torch.einsum("bto,bti->boi", dY, X.to(dY.dtype))
        if module.bias is not None:
            res["bias"] = dY.sum(1)
    elif kind == "conv1d":
        res["weight"] = torch.einsum("bti,bto->bio", X.to(dY.dtype), dY)
        res["bias"] = dY.sum(1)
    elif kind == "layernorm":
        nd = len(module.normalized_shape)
        if nd != 1:
            raise ValueError(f"LayerNorm over {nd} dims is not supported by the per-sample rule")
        Xf = X.float()
        xhat = (Xf - Xf.mean(-1, keepdim=True)) * torch.rsqrt(Xf.var(-1, unbiased=False, keepdim=True) + module.eps)
        if module.weight is not None:
            res["weight"] = (dY.float() * xhat).sum(1).to(dY.dtype)
        if module.bias is not None:
            res["bias"] = dY.sum(1)
    return res


def module_gradients(model: torch.nn.Module, groups: dict[str, list[ParamSpec]], loss_fn: LossFn, batch,
                     *, amp_dtype: torch.dtype | None = None
                     ) -> Iterator[tuple[ParamSpec, torch.Tensor]]:
    """Per-sample gradients of the tracked parameters for one batch, one parameter at a time.

    Parameters
    ----------
    model : torch.nn.Module
    groups : dict
        ``group_by_module(model, specs)`` (or a sub-dict of it: only those modules are differentiated).
    loss_fn : callable
        ``loss_fn(model, batch) -> Tensor (B,)`` per-sample losses.
    batch : object
        Passed to ``loss_fn`` unchanged.
    amp_dtype : torch.dtype, optional
        Run forward and backward under autocast to this dtype (e.g. ``torch.bfloat16`` on a GPU).

    Yields
    ------
    (ParamSpec, Tensor of shape (B, numel))
        In the order of ``groups``.
    """
    modules = dict(model.named_modules())
    calls: dict[str, list[list]] = defaultdict(list)  # name -> [[X, Y], ...] one entry per call
    handles = []

    def make_hook(name):
        def hook(mod, inp, out):
            calls[name].append([inp[0].detach(), out])
        return hook

    for name in groups:
        handles.append(modules[name].register_forward_hook(make_hook(name)))
    try:
        dev_type = next(model.parameters()).device.type
        with torch.autocast(dev_type, dtype=amp_dtype, enabled=amp_dtype is not None):
            losses = loss_fn(model, batch)
    finally:
        for h in handles:
            h.remove()
    if losses.ndim != 1:
        raise ValueError(f"loss_fn must return one loss per sample, shape (B,), got {tuple(losses.shape)}")
    B = losses.shape[0]
    names = [n for n in groups if calls.get(n)]
    outs = [c[1] for n in names for c in calls[n]]
    if not outs:
        raise ValueError("no tracked module was called by loss_fn")
    grads = torch.autograd.grad(losses.float().sum(), outs, allow_unused=True)
    it = iter(grads)
    for name in groups:
        kind = _kind(modules[name])
        acc: dict[str, torch.Tensor] = {}
        for X, Y in calls.get(name, []):
            dY = next(it)
            if dY is None:
                dY = torch.zeros_like(Y)
            for role, g in _per_sample(kind, modules[name], X, dY, B).items():
                acc[role] = g if role not in acc else acc[role] + g
        for spec in groups[name]:
            g = acc.get(spec.role)
            if g is None:
                p = dict(modules[name].named_parameters())[spec.role]
                g = torch.zeros((B, p.numel()), dtype=p.dtype, device=p.device)
            yield spec, g.reshape(B, -1)
    calls.clear()


def naive_gradients(model: torch.nn.Module, specs: list[ParamSpec], loss_fn: LossFn, batch) -> torch.Tensor:
    """Per-sample gradients by one autograd call per sample (the oracle for tests).

    Returns
    -------
    Tensor, shape (B, P)
        Gradients of each sample's loss w.r.t. the parameters in ``specs``, concatenated in order.
    """
    named = dict(model.named_parameters())
    params = [named[s.name] for s in specs]
    losses = loss_fn(model, batch)
    rows = []
    for i in range(losses.shape[0]):
        gs = torch.autograd.grad(losses[i], params, retain_graph=i + 1 < losses.shape[0], allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                               for g, p in zip(gs, params)]))
    return torch.stack(rows)


def hook_gradients(model: torch.nn.Module, specs: list[ParamSpec], loss_fn: LossFn, batch, *,
                   amp_dtype: torch.dtype | None = None) -> torch.Tensor:
    """Per-sample gradients from hooks, concatenated: Tensor of shape (B, P) (in ``specs`` order)."""
    groups = group_by_module(model, specs)
    parts = {s.name: g for s, g in module_gradients(model, groups, loss_fn, batch, amp_dtype=amp_dtype)}
    return torch.cat([parts[s.name] for s in specs], dim=1)
