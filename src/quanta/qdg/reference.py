"""A faithful re-implementation of the authors' QDG similarity computation (SPEC §4.2 steps 4-5).

``experiments/clustering-0/compute_similarity_full_more.py`` does, for each token: forward the whole
document (up to 1,024 tokens) with logits at every position, take the single loss at the token, run a
backward pass through every parameter, flatten the gradients of the chosen subset and L2-normalize.
Because all S gradients do not fit in memory, C is filled block pair by block pair (blocks of 250), and
the gradients of block j are recomputed for every block i ≤ j: about 21.5 × S gradients at S = 10,000.
This module reproduces that procedure step for step, for the benchmark and as a test oracle; it is
deliberately slow. It uses the same parameter subset as our fast path (so the comparison is like for
like; the original name filter would add the unembedding under transformers >= 5, PERF.md).
"""

from __future__ import annotations

import numpy as np
import torch

from .params import ParamSpec


def reference_gradient(model: torch.nn.Module, specs: list[ParamSpec], doc: np.ndarray, position: int, *,
                       max_length: int = 1024) -> torch.Tensor:
    """Normalized gradient of the loss at ``doc[position]`` from a full-document pass, shape (P,)."""
    device = next(model.parameters()).device
    ids = torch.as_tensor(np.asarray(doc[:max_length], dtype=np.int64), device=device)[None]
    model.zero_grad(set_to_none=True)
    logits = model(input_ids=ids).logits[0]
    ls = torch.nn.functional.cross_entropy(logits[:-1].float(), ids[0, 1:], reduction="none")
    ls[position - 1].backward()
    named = dict(model.named_parameters())
    g = torch.cat([named[s.name].grad.reshape(-1) for s in specs])
    model.zero_grad(set_to_none=True)
    return torch.nn.functional.normalize(g, dim=0)


def reference_gradient_count(n_tokens: int, block: int = 250) -> int:
    """Gradients the reference computes for S tokens: block i once, plus block j for every j ≥ i."""
    nb = -(-n_tokens // block)
    sizes = [min(block, n_tokens - b * block) for b in range(nb)]
    return sum(sizes[i] + sum(sizes[j] for j in range(i, nb)) for i in range(nb))


def reference_block_pairs(n_tokens: int, block: int = 250) -> int:
    """Block pairs (i ≤ j) whose product G_i G_jᵀ the reference computes."""
    nb = -(-n_tokens // block)
    return nb * (nb + 1) // 2


def reference_similarity(model: torch.nn.Module, specs: list[ParamSpec], docs, doc_index, position, *,
                         block: int = 250, max_length: int = 1024) -> np.ndarray:
    """The authors' blockwise cosine matrix with recomputation, shape (S, S), float32.

    Parameters
    ----------
    docs : sequence of 1-D int arrays
    doc_index, position : array_like, shape (S,)
        Token i is ``docs[doc_index[i]][position[i]]`` (position >= 1, < max_length).
    block : int
        Block length (authors: 250).
    """
    doc_index = np.asarray(doc_index)
    position = np.asarray(position)
    S = doc_index.size
    nb = -(-S // block)

    def grads(b):
        return torch.stack([reference_gradient(model, specs, docs[doc_index[t]], int(position[t]), max_length=max_length)
                            for t in range(b * block, min(S, (b + 1) * block))])

    C = np.zeros((S, S), dtype=np.float32)
    for i in range(nb):
        Gi = grads(i)
        for j in range(i, nb):
            Gj = grads(j)
            cij = (Gi @ Gj.T).cpu().numpy()
            C[i * block:i * block + cij.shape[0], j * block:j * block + cij.shape[1]] = cij
            C[j * block:j * block + cij.shape[1], i * block:i * block + cij.shape[0]] = cij.T
    return C
