"""Token samples of a causal LM, batched by length (paper §5; PERF.md "QDG").

A QDG sample for a language model is one token of one document: the context is the document up to
(not including) the token and the target is the token itself. In a causal model nothing after the
token can change its prediction, so truncating the context at the token gives exactly the gradient of
the full-document forward pass the authors ran, at half the mean cost. Samples are sorted by context
length and cut into batches under a token budget; batches are right-padded (no attention mask is needed:
the padding sits after every target and a causal model never attends forward), and the hidden state is
read only at each sample's last real position, so the unembedding runs on B rows instead of B × T.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..validate import check_int


@dataclass
class LMBatch:
    """A right-padded batch of truncated contexts.

    Attributes
    ----------
    input_ids : Tensor, shape (B, T), int64
    lengths : Tensor, shape (B,), int64 (context length of each sample; target row is ``lengths - 1``)
    targets : Tensor, shape (B,), int64
    """

    input_ids: torch.Tensor
    lengths: torch.Tensor
    targets: torch.Tensor

    def to(self, device) -> "LMBatch":
        return LMBatch(self.input_ids.to(device), self.lengths.to(device), self.targets.to(device))


def lm_token_loss(model: torch.nn.Module, batch: LMBatch) -> torch.Tensor:
    """Cross-entropy (nats) of each sample's target at its last context position, shape (B,).

    Uses ``model.base_model`` + ``model.get_output_embeddings()`` when both exist (transformers causal
    LMs), so logits are formed only at the B target rows; otherwise the model's full ``logits``.
    """
    rows = torch.arange(batch.input_ids.shape[0], device=batch.input_ids.device)
    last = batch.lengths - 1
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    base = getattr(model, "base_model", None)
    if head is not None and base is not None and base is not model:
        h = base(input_ids=batch.input_ids, use_cache=False).last_hidden_state[rows, last]
        logits = head(h)
    else:
        logits = model(input_ids=batch.input_ids, use_cache=False).logits[rows, last]
    return torch.nn.functional.cross_entropy(logits.float(), batch.targets, reduction="none")


def token_contexts(docs, doc_index: np.ndarray, position: np.ndarray, *, max_context: int | None = None):
    """Context lengths for tokens (doc_index[i], position[i]); the target is ``docs[d][p]``.

    Returns
    -------
    np.ndarray, shape (S,), int64
        ``min(position, max_context)``.
    """
    doc_index = np.asarray(doc_index, dtype=np.int64)
    position = np.asarray(position, dtype=np.int64)
    if doc_index.shape != position.shape:
        raise ValueError(f"doc_index and position must have the same shape, got {doc_index.shape} and {position.shape}")
    if (position < 1).any():
        raise ValueError("position must be >= 1 (the first token of a document has no context)")
    lens = np.array([len(docs[d]) for d in doc_index], dtype=np.int64) if len(doc_index) else np.zeros(0, np.int64)
    if (position >= lens).any():
        raise ValueError("position must be < the length of its document")
    ctx = position.copy()
    if max_context is not None:
        ctx = np.minimum(ctx, check_int("max_context", max_context, min=1))
    return ctx


def make_lm_batches(docs, doc_index, position, *, max_tokens: int = 16384, max_batch: int = 64,
                    max_context: int | None = None, pad_id: int = 0) -> list[tuple[np.ndarray, LMBatch]]:
    """Sort samples by context length and cut them into right-padded batches under a token budget.

    Parameters
    ----------
    docs : sequence of 1-D int arrays
        Token ids of each document.
    doc_index, position : array_like, shape (S,)
        Sample i predicts ``docs[doc_index[i]][position[i]]`` from the tokens before it.
    max_tokens : int
        Upper bound on ``B × T_max`` of a batch (padding included).
    max_batch : int
        Upper bound on B.
    max_context : int, optional
        Keep only the last ``max_context`` tokens of each context (the model's window).
    pad_id : int
        Token id written into padding (never attended to by a target).

    Returns
    -------
    list of (indices, LMBatch)
        ``indices`` (shape (B,)) are the samples' positions in the input order.
    """
    check_int("max_tokens", max_tokens, min=1)
    check_int("max_batch", max_batch, min=1)
    doc_index = np.asarray(doc_index, dtype=np.int64)
    position = np.asarray(position, dtype=np.int64)
    ctx = token_contexts(docs, doc_index, position, max_context=max_context)
    order = np.argsort(-ctx, kind="stable")  # longest first: the largest allocation happens first
    out = []
    i = 0
    while i < len(order):
        T = int(ctx[order[i]])
        b = max(1, min(max_batch, max_tokens // max(T, 1)))
        idx = order[i:i + b]
        ids = np.full((len(idx), T), pad_id, dtype=np.int64)
        for r, j in enumerate(idx):
            d, p, c = doc_index[j], position[j], ctx[j]
            ids[r, :c] = np.asarray(docs[d][p - c:p])
        targets = np.array([docs[doc_index[j]][position[j]] for j in idx], dtype=np.int64)
        out.append((idx, LMBatch(torch.from_numpy(ids), torch.from_numpy(ctx[idx].copy()), torch.from_numpy(targets))))
        i += b
    return out
