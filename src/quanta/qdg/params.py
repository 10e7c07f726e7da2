"""Which parameters a QDG gradient covers (paper §5, App. C; SPEC §4.2 step 4).

The paper concatenates the gradients of every parameter whose name contains neither ``layernorm`` nor
``embed``: for GPT-NeoX that keeps the attention QKV and output matrices, both MLP matrices, all their
biases and, because its name is ``final_layer_norm``, the final layer norm (1,024 of 18,903,040
dimensions for pythia-70m). With transformers >= 5 the unembedding is called ``lm_head`` (formerly
``embed_out``), so the same name filter would silently add the 25.8M unembedding parameters; we exclude
the model's output embeddings by identity, whatever they are called.

Decision on the final layer norm: we keep it, as the paper's computation did (the name filter
``layernorm`` does not match ``final_layer_norm``). Pass ``exclude=PAPER_EXCLUDE + ("final_layer_norm",)``
to drop it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

#: Substrings the paper's filter rejects (``'layernorm' not in name and 'embed' not in name``).
PAPER_EXCLUDE: tuple[str, ...] = ("layernorm", "embed")


@dataclass(frozen=True)
class ParamSpec:
    """One tracked parameter: its name, owning module name, role (``weight``/``bias``) and size."""

    name: str
    module: str
    role: str
    shape: tuple[int, ...]
    offset: int

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


def _output_embedding_ids(model: torch.nn.Module) -> set[int]:
    ids: set[int] = set()
    get = getattr(model, "get_output_embeddings", None)
    if callable(get):
        try:
            out = get()
        except (NotImplementedError, AttributeError):
            out = None
        if isinstance(out, torch.nn.Module):
            ids |= {id(p) for p in out.parameters()}
    return ids


def select_parameters(model: torch.nn.Module, *, include: tuple[str, ...] | None = None,
                      exclude: tuple[str, ...] = PAPER_EXCLUDE, exclude_output_embeddings: bool = True
                      ) -> list[ParamSpec]:
    """The parameters whose per-token gradients QDG concatenates, in ``named_parameters`` order.

    Parameters
    ----------
    model : torch.nn.Module
        Any module (a transformers causal LM, an MLP).
    include : tuple of str, optional
        Regular expressions; if given, a parameter is kept only if its name matches one of them.
    exclude : tuple of str
        Substrings; a parameter whose name contains any of them is dropped (default: the paper's).
    exclude_output_embeddings : bool
        Drop the model's output embeddings (``lm_head`` / ``embed_out``) by identity (the naming trap).

    Returns
    -------
    list of ParamSpec
        With running ``offset`` into the concatenated gradient vector.

    Raises
    ------
    ValueError
        If the selection matches no parameter.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    skip = _output_embedding_ids(model) if exclude_output_embeddings else set()
    modules = dict(model.named_modules())
    specs: list[ParamSpec] = []
    offset = 0
    for name, p in model.named_parameters():
        if include is not None and not any(re.search(pat, name) for pat in include):
            continue
        if any(s in name for s in exclude) or id(p) in skip:
            continue
        mod, _, role = name.rpartition(".")
        if mod not in modules:
            raise ValueError(f"parameter {name!r} is not owned by a named module")
        specs.append(ParamSpec(name, mod, role, tuple(p.shape), offset))
        offset += p.numel()
    if not specs:
        names = [n for n, _ in model.named_parameters()]
        raise ValueError(
            f"the parameter subset (include={include!r}, exclude={exclude!r}) matches no parameter of "
            f"{type(model).__name__}; its parameters are: {', '.join(names[:12])}{' …' if len(names) > 12 else ''}")
    return specs


def n_dims(specs: list[ParamSpec]) -> int:
    """Length of the concatenated gradient vector."""
    return sum(s.numel for s in specs)
