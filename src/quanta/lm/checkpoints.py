"""GPT-NeoX members of a suite: configuration, parameter counts, safetensors checkpoints (SPEC §3.1).

Pythia is a GPT-NeoX family: pre-LayerNorm blocks with parallel attention and MLP residuals, rotary
embeddings on a quarter of each head, untied input and output embeddings. The paper plots losses
against *non-embedding* parameters, N = total − embed_in − embed_out (for transformers ≥ 5 the output
embedding is called ``lm_head``). A member is named ``d{d_model}-l{n_layers}``; its checkpoints are
folders ``step{k:07d}`` with ``model.safetensors`` and ``config.json``. Loading checks the stored
configuration against the expected one field by field, so a checkpoint from another suite fails with
a message naming the fields that differ instead of a shape error deep inside torch.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np

from ..cache import atomic_write_text

#: configuration fields compared when loading a checkpoint
CHECKED_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                  "max_position_embeddings", "rotary_pct", "use_parallel_residual", "tie_word_embeddings")


def member_name(d_model: int, n_layers: int) -> str:
    return f"d{d_model}-l{n_layers}"


def padded_vocab(n: int, multiple: int = 64) -> int:
    """Model vocabulary: the tokenizer's size rounded up to a multiple of 64 (as Pythia pads 50277 → 50304)."""
    return int(-(-n // multiple) * multiple)


def neox_config(d_model: int, n_layers: int, *, vocab_size: int, context: int, head_dim: int = 32,
                eos_token_id: int | None = None):
    """A ``GPTNeoXConfig`` with Pythia's architecture choices at width ``d_model`` and depth ``n_layers``."""
    from transformers import GPTNeoXConfig

    if d_model % head_dim:
        raise ValueError(f"d_model={d_model} must be a multiple of head_dim={head_dim}")
    return GPTNeoXConfig(
        vocab_size=vocab_size, hidden_size=d_model, num_hidden_layers=n_layers,
        num_attention_heads=d_model // head_dim, intermediate_size=4 * d_model,
        max_position_embeddings=context, rotary_pct=0.25, rotary_emb_base=10000,
        use_parallel_residual=True, tie_word_embeddings=False, hidden_dropout=0.0, attention_dropout=0.0,
        layer_norm_eps=1e-5, initializer_range=0.02, use_cache=False,
        bos_token_id=eos_token_id, eos_token_id=eos_token_id,
    )


def count_params(model) -> dict:
    """Parameter counts of a GPT-NeoX model.

    Returns
    -------
    dict
        ``total``, ``embed_in``, ``embed_out`` and ``non_embedding`` = total − embed_in − embed_out
        (the paper's N; SPEC §3.1).
    """
    total = emb_in = emb_out = 0
    for name, p in model.named_parameters():
        n = p.numel()
        total += n
        if "embed_in" in name:
            emb_in += n
        elif "lm_head" in name or "embed_out" in name:
            emb_out += n
    return {"total": total, "embed_in": emb_in, "embed_out": emb_out, "non_embedding": total - emb_in - emb_out}


def non_embedding_params(d_model: int, n_layers: int) -> int:
    """Closed form of the non-embedding count for our configuration (12 d² + 13 d per layer + final LN)."""
    return n_layers * (12 * d_model**2 + 13 * d_model) + 2 * d_model


def flops_per_token(d_model: int, n_layers: int, vocab_size: int, context: int) -> float:
    """Training FLOPs per token: 6 (N + d·V) + 6 L · context · d (attention scores and values, causal ½ not taken).

    The standard model-FLOPs count used for MFU (Kaplan et al. 2020; PaLM appendix B): every weight
    does a multiply-add forward and two backward; the attention matmuls add 12 L T d per token,
    of which we count half because the mask is causal.
    """
    n = non_embedding_params(d_model, n_layers) + d_model * vocab_size
    return 6.0 * n + 6.0 * n_layers * context * d_model


def save_checkpoint(model, path) -> Path:
    """Write ``model.safetensors`` and ``config.json`` into folder ``path`` atomically."""
    from safetensors.torch import save_file

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    atomic_write_text(tmp / "config.json", json.dumps(model.config.to_dict(), indent=1, sort_keys=True, default=str))
    if path.exists():
        import shutil

        shutil.rmtree(path)
    os.replace(tmp, path)
    return path


def load_checkpoint(path, expected=None, *, device="cpu", dtype=None):
    """Load a checkpoint folder written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : str or Path
        Folder with ``model.safetensors`` and ``config.json``.
    expected : GPTNeoXConfig, optional
        The configuration the caller expects; fields in :data:`CHECKED_FIELDS` must match.
    device, dtype
        Where and in which dtype to put the weights.

    Raises
    ------
    ValueError
        Missing files, a configuration that differs from ``expected``, or weights that do not fit it.
    """
    from safetensors.torch import load_file
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    path = Path(path)
    for f in ("model.safetensors", "config.json"):
        if not (path / f).is_file():
            raise ValueError(f"checkpoint {path.name!r} is incomplete: {f} is missing")
    stored = json.loads((path / "config.json").read_text())
    if expected is not None:
        want = expected.to_dict()
        diff = {k: (stored.get(k), want.get(k)) for k in CHECKED_FIELDS if stored.get(k) != want.get(k)}
        if diff:
            text = ", ".join(f"{k}: checkpoint {a!r} vs expected {b!r}" for k, (a, b) in diff.items())
            raise ValueError(f"checkpoint {path.name!r} was saved from another configuration ({text})")
    cfg = GPTNeoXConfig.from_dict({k: v for k, v in stored.items() if k not in ("transformers_version",)})
    model = GPTNeoXForCausalLM(cfg)
    state = load_file(str(path / "model.safetensors"))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ValueError(f"checkpoint {path.name!r}: weights do not match its config.json ({e})") from e
    model = model.to(device=device)
    if dtype is not None:
        model = model.to(dtype=dtype)
    model.eval()
    return model


def check_vocab(model, tokenizer) -> None:
    """Raise ``ValueError`` if the tokenizer can produce ids the model has no embedding for."""
    n_tok, n_model = len(tokenizer), model.config.vocab_size
    if n_tok > n_model:
        raise ValueError(f"tokenizer has {n_tok} tokens but the model's vocabulary has {n_model}: "
                         "they do not belong together")


def log_spaced_steps(steps: int, n: int, first: int | None = None) -> np.ndarray:
    """About ``n`` log-spaced integer steps from ``first`` (default ``max(1, steps // 100)``) to ``steps``."""
    first = max(1, steps // 100) if first is None else first
    return np.unique(np.round(np.geomspace(first, steps, n)).astype(np.int64))
