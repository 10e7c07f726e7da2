"""A Pythia-style model suite trained on one token stream (paper §4, App. C; SPEC §3.1, §7).

The paper's LLM evidence comes from Pythia: models of many sizes trained on the *same* data in the
*same* order with the same schedule, so that differences between members are differences of size
alone, and checkpoints saved during training show the same models over time. We build that family
ourselves: GPT-NeoX members at geometrically spaced non-embedding sizes, trained one after another on
one deterministic stream of training tokens (documents shuffled with the seed, separated by the end of
text token, cut into sequences of ``context`` tokens whose order is a seeded permutation per epoch).
Every member starts from the same seed, uses AdamW with a linear warm-up and a cosine decay to 10 % of
its peak learning rate (peak ∝ 1/d_model above d_model = 256, as Pythia lowers it for larger models),
and saves checkpoints at log-spaced steps. Checkpoints and resume states live in a
:func:`quanta.cache.stage_dir`, so a killed run continues from its last saved step.

Shapes: the train stream is (n_tokens,) uint16/uint32; a batch is (batch_size, context) int64.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..validate import check_choice, check_float, check_int, check_scale
from .checkpoints import (flops_per_token, load_checkpoint, log_spaced_steps, member_name, neox_config,
                          non_embedding_params, padded_vocab, save_checkpoint)
from .corpora import corpus_key, get_corpus
from .tokenizer import TokenizedDocs, encode_documents, get_tokenizer, tokenizer_key

log = logging.getLogger(__name__)

SUITE_VERSION = 1
STREAM_VERSION = 1
PRECISIONS = ("float32", "bfloat16")
#: dense bf16 tensor-core peak of an H100/H200 SXM (FLOP/s), the MFU denominator
PEAK_BF16_FLOPS = 989.4e12


@dataclasses.dataclass(frozen=True)
class SuiteConfig:
    """Everything that determines a suite and its per-token losses.

    Attributes
    ----------
    corpus : str or corpus object
        Registered corpus name (:func:`quanta.lm.corpora.get_corpus`) or a corpus object.
    corpus_options : tuple of (str, value) pairs
        Keyword options for a named corpus, e.g. ``(("path", "test.jsonl.zst"),)``.
    vocab_size : int
        BPE vocabulary size (unused when the corpus brings its own tokenizer).
    sizes : tuple of (d_model, n_layers)
        Members, smallest first.
    head_dim : int
        Attention head width (heads = d_model / head_dim).
    context : int
        Training sequence length; test documents are truncated to it (the paper truncated at 1024).
    batch_size : int
        Sequences per optimizer step.
    steps : int
        Optimizer steps of every member.
    lr : float
        Peak learning rate at d_model ≤ 256 (scaled by 256 / d_model above).
    n_checkpoints : int
        About this many log-spaced checkpoints per member.
    precision : {"float32", "bfloat16"}
        bfloat16 = autocast mixed precision (GPU).
    train_tokens : int or None
        Cap on the training stream length (None: the whole train split).
    eval_docs : int
        Number of test documents whose per-token losses are evaluated.
    seed : int
    """

    corpus: Any = "python-stdlib"
    corpus_options: tuple = ()
    vocab_size: int = 2048
    sizes: tuple = ((32, 2), (64, 2), (96, 3), (128, 4))
    head_dim: int = 32
    context: int = 128
    batch_size: int = 16
    steps: int = 600
    lr: float = 3e-3
    n_checkpoints: int = 8
    precision: str = "float32"
    train_tokens: int | None = None
    eval_docs: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        check_int("vocab_size", self.vocab_size, min=260, max=65536)
        if not isinstance(self.sizes, tuple) or not self.sizes:
            raise TypeError(f"sizes={self.sizes!r} must be a non-empty tuple of (d_model, n_layers) pairs")
        for s in self.sizes:
            if not (isinstance(s, tuple) and len(s) == 2):
                raise TypeError(f"sizes entry {s!r} must be a (d_model, n_layers) pair")
            check_int("d_model", s[0], min=self.head_dim)
            check_int("n_layers", s[1], min=1)
            if s[0] % self.head_dim:
                raise ValueError(f"d_model={s[0]} must be a multiple of head_dim={self.head_dim}")
        n = [non_embedding_params(*s) for s in self.sizes]
        if any(b <= a for a, b in zip(n, n[1:])):
            raise ValueError(f"sizes={self.sizes!r} must grow in non-embedding parameters ({n})")
        if not isinstance(self.corpus_options, tuple):
            raise TypeError(f"corpus_options={self.corpus_options!r} must be a tuple of (name, value) pairs")
        check_int("head_dim", self.head_dim, min=8)
        check_int("context", self.context, min=8)
        check_int("batch_size", self.batch_size, min=1)
        check_int("steps", self.steps, min=1)
        check_float("lr", self.lr, min=0.0, max=1.0, min_inclusive=False)
        check_int("n_checkpoints", self.n_checkpoints, min=1)
        check_choice("precision", self.precision, PRECISIONS)
        if self.train_tokens is not None:
            check_int("train_tokens", self.train_tokens, min=self.context + 1)
        check_int("eval_docs", self.eval_docs, min=1)
        check_int("seed", self.seed, min=0)

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.context

    @property
    def tokens_trained(self) -> int:
        """Training tokens seen by every member."""
        return self.steps * self.tokens_per_step

    @property
    def checkpoint_steps(self) -> np.ndarray:
        """(n,) log-spaced checkpoint steps, ending at ``steps``."""
        return log_spaced_steps(self.steps, self.n_checkpoints)

    @property
    def member_names(self) -> tuple[str, ...]:
        return tuple(member_name(*s) for s in self.sizes)

    @property
    def non_embedding(self) -> np.ndarray:
        """(M,) non-embedding parameter counts of the members (the paper's N)."""
        return np.array([non_embedding_params(*s) for s in self.sizes], dtype=np.int64)


PRESETS: dict[str, dict] = {
    # seconds: a pipeline check, not science
    "smoke": dict(vocab_size=512, sizes=((32, 1), (64, 1), (64, 2)), context=64, batch_size=8, steps=30,
                  lr=3e-3, n_checkpoints=3, train_tokens=30_000, eval_docs=12),
    # a couple of minutes on two CPU cores: 4 members spanning ~1.3 decades
    "small": dict(vocab_size=1024, sizes=((32, 2), (48, 2), (80, 2), (128, 2)), head_dim=16, context=128,
                  batch_size=16, steps=200, lr=4e-3, n_checkpoints=6, train_tokens=1_000_000, eval_docs=200),
    # GPU, bf16: 7 members from 1e5 to 5e7 non-embedding parameters (2.7 decades)
    "paper": dict(vocab_size=16384, sizes=((64, 2), (128, 3), (192, 4), (256, 6), (384, 6), (512, 8), (640, 10)),
                  context=1024, batch_size=32, steps=1500, lr=2e-3, n_checkpoints=10, precision="bfloat16",
                  train_tokens=30_000_000, eval_docs=2000),
}


def preset(scale: str = "small", *, corpus: Any = "python-stdlib", seed: int = 0, **overrides) -> SuiteConfig:
    """The suite configuration for ``scale`` (``smoke``, ``small``, ``paper``) on ``corpus``.

    ``overrides`` replace preset fields (e.g. ``steps=100``); ``corpus`` may be a registered name or
    a corpus object (e.g. the planted-quanta corpus).
    """
    check_scale(scale)
    fields = {f.name for f in dataclasses.fields(SuiteConfig)}
    bad = sorted(set(overrides) - fields)
    if bad:
        raise TypeError(f"unknown SuiteConfig field(s) {bad}; allowed: {sorted(fields)}")
    return SuiteConfig(**{**PRESETS[scale], "corpus": corpus, "seed": seed, **overrides})


def cache_config(cfg: SuiteConfig) -> dict:
    """``cfg`` as a dict for cache keys, with a corpus object replaced by its content key."""
    d = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    if not isinstance(cfg.corpus, str):
        d["corpus"] = corpus_key(cfg.corpus)
    return d


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------

def resolve_corpus(cfg: SuiteConfig):
    """The corpus object of ``cfg``."""
    if isinstance(cfg.corpus, str):
        return get_corpus(cfg.corpus, **dict(cfg.corpus_options))
    return get_corpus(cfg.corpus)


def suite_tokenizer(cfg: SuiteConfig):
    """The tokenizer shared by all members (the corpus's own, else a cached BPE)."""
    return get_tokenizer(resolve_corpus(cfg), cfg.vocab_size)


def _data_key(cfg: SuiteConfig, corpus, tok) -> dict:
    return {"corpus": corpus_key(corpus), "tokenizer": tokenizer_key(tok), "seed": cfg.seed}


def train_stream(cfg: SuiteConfig) -> np.ndarray:
    """The training token stream (n_tokens,) shared by every member (cached).

    Train documents in a seeded random order, each followed by the end-of-text token (if the
    tokenizer has one), truncated to ``cfg.train_tokens``.
    """
    from ..cache import memo

    corpus = resolve_corpus(cfg)
    tok = get_tokenizer(corpus, cfg.vocab_size)
    key = {**_data_key(cfg, corpus, tok), "train_tokens": cfg.train_tokens}

    def compute():
        docs = list(corpus.documents("train"))
        order = np.random.default_rng(cfg.seed).permutation(len(docs))
        eos = tok.eos_token_id
        pieces, n = [], 0
        step = 32 if cfg.train_tokens is not None and cfg.train_tokens < 1_000_000 else 256
        for s in range(0, len(order), step):
            chunk = [docs[i].text for i in order[s:s + step]]
            for ids in tok(chunk, add_special_tokens=False)["input_ids"]:
                if eos is not None:
                    ids = ids + [eos]
                pieces.append(np.asarray(ids, dtype=np.uint32))
                n += len(ids)
            if cfg.train_tokens is not None and n >= cfg.train_tokens:
                break
        stream = np.concatenate(pieces)[: cfg.train_tokens]
        dtype = np.uint16 if len(tok) <= 65536 else np.uint32
        return {"stream": stream.astype(dtype), "n_docs_used": int(min(len(order), s + step)), "n_docs": len(docs)}

    out = memo("lm.train_stream", key, compute, version=STREAM_VERSION)
    if len(out["stream"]) < cfg.context + 1:
        raise ValueError(f"the train split has only {len(out['stream'])} tokens; need more than context={cfg.context}")
    return out["stream"]


def test_docs(cfg: SuiteConfig) -> TokenizedDocs:
    """The first ``cfg.eval_docs`` test documents, each tokenized alone and truncated to ``context`` (cached)."""
    from ..cache import memo

    corpus = resolve_corpus(cfg)
    tok = get_tokenizer(corpus, cfg.vocab_size)
    key = {**_data_key(cfg, corpus, tok), "eval_docs": cfg.eval_docs, "context": cfg.context}
    out = memo("lm.test_docs", key, lambda: encode_documents(corpus, tok, "test", max_docs=cfg.eval_docs,
                                                             max_length=cfg.context).to_dict(), version=STREAM_VERSION)
    return TokenizedDocs.from_dict(out)


def batch_rows(step: int, batch_size: int, n_chunks: int, seed: int) -> np.ndarray:
    """(batch_size,) indices of the sequences (chunks of ``context`` tokens) used at ``step``.

    Sequence ``i`` of the run is chunk ``perm_e[i mod n_chunks]`` of epoch ``e = i // n_chunks``, with a
    seeded permutation per epoch: a pure function of the step, so a resumed run sees the same data.
    """
    i = np.arange(step * batch_size, (step + 1) * batch_size)
    epochs, pos = np.divmod(i, n_chunks)
    out = np.empty_like(i)
    for e in np.unique(epochs):
        perm = np.random.default_rng([seed, int(e)]).permutation(n_chunks)
        m = epochs == e
        out[m] = perm[pos[m]]
    return out


# --------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def cpu_threads(device):
    """Run torch on ``$QUANTA_LM_THREADS`` CPU threads (default 1) while on the CPU.

    On a shared machine, torch's intra-op threads spin-wait for each other; for these small models
    one thread was 5-10x faster than two on a busy 2-core machine.
    """
    import torch

    if str(device).startswith("cuda"):
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(max(1, int(os.environ.get("QUANTA_LM_THREADS", "1"))))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _lr_at(step: int, peak: float, steps: int) -> float:
    warmup = max(1, steps // 20)
    if step < warmup:
        return peak * (step + 1) / warmup
    prog = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * prog)))


def peak_lr(cfg: SuiteConfig, d_model: int) -> float:
    return cfg.lr * min(1.0, 256.0 / d_model)


def _save_resume(path: Path, model, opt, step: int, curve: list) -> None:
    import torch

    from ..cache import atomic_write_bytes, atomic_write_text

    save_checkpoint(model, path / "resume")
    import io

    buf = io.BytesIO()
    torch.save(opt.state_dict(), buf)
    atomic_write_bytes(path / "resume" / "optimizer.pt", buf.getvalue())
    atomic_write_text(path / "resume" / "state.json", json.dumps({"step": step, "curve": curve}))


def train_member(cfg: SuiteConfig, index: int, stream: np.ndarray, vocab_size: int, path, *, device="cpu",
                 eos_token_id=None, compile: bool = False, until: int | None = None, progress: bool = True) -> dict:
    """Train member ``index`` of ``cfg`` on ``stream``, writing checkpoints under ``path``/<member>.

    Resumes from ``<member>/resume`` if present. Stops after step ``until`` (then saves a resume state
    and returns ``{"done": False, ...}``). Returns the member's record (sizes, tokens, wall time,
    tokens/s, model-FLOPs utilisation, training-loss curve).
    """
    import torch
    from transformers import GPTNeoXForCausalLM

    from ..cache import atomic_write_text
    from ..progress import progress as bar

    d, L = cfg.sizes[index]
    name = member_name(d, L)
    mdir = Path(path) / name
    if (mdir / "DONE.json").is_file():
        return json.loads((mdir / "DONE.json").read_text())
    mdir.mkdir(parents=True, exist_ok=True)
    dev = torch.device(device)
    mcfg = neox_config(d, L, vocab_size=vocab_size, context=cfg.context, head_dim=cfg.head_dim, eos_token_id=eos_token_id)
    torch.manual_seed(cfg.seed)
    model = GPTNeoXForCausalLM(mcfg)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    model.to(dev).train()
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=peak_lr(cfg, d), betas=(0.9, 0.95), eps=1e-8, fused=dev.type == "cuda")
    start, curve = 0, []
    if (mdir / "resume" / "state.json").is_file():
        state = json.loads((mdir / "resume" / "state.json").read_text())
        loaded = load_checkpoint(mdir / "resume", mcfg)
        model.load_state_dict(loaded.state_dict())
        opt.load_state_dict(torch.load(mdir / "resume" / "optimizer.pt", map_location=dev, weights_only=True))
        start, curve = int(state["step"]), list(state["curve"])
        log.info("%s: resuming from step %d", name, start)
    fwd = torch.compile(model) if compile else model
    data = torch.from_numpy(stream.astype(np.int64)).to(dev)
    n_chunks = (len(stream) - 1) // cfg.context
    ar = torch.arange(cfg.context, device=dev)
    ckpts = set(int(s) for s in cfg.checkpoint_steps)
    log_every = max(1, cfg.steps // 50)
    resume_every_s = float(os.environ.get("QUANTA_LM_RESUME_EVERY_S", "60"))
    last_save = time.perf_counter()
    amp = cfg.precision == "bfloat16"
    stop = cfg.steps if until is None else min(cfg.steps, until)
    acc, n_acc = torch.zeros((), device=dev), 0
    t_train, t_first, s_first = 0.0, None, start
    t0 = time.perf_counter()
    for step in bar(range(start, stop), desc=f"train {name}", disable=not progress):
        rows = torch.from_numpy(batch_rows(step, cfg.batch_size, n_chunks, cfg.seed)).to(dev)
        x = data[rows[:, None] * cfg.context + ar]
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, peak_lr(cfg, d), cfg.steps)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            loss = fwd(input_ids=x, labels=x).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        acc += loss.detach()
        n_acc += 1
        s = step + 1
        if s % log_every == 0 or s == cfg.steps:
            curve.append([s, float(acc) / n_acc])
            acc.zero_()
            n_acc = 0
        if s in ckpts or s == stop or time.perf_counter() - last_save > resume_every_s:
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t_train += time.perf_counter() - t0
            if t_first is None:
                t_first, s_first = t_train, s
            if s in ckpts:
                save_checkpoint(model, mdir / f"step{s:07d}")
            if s < cfg.steps:
                _save_resume(mdir, model, opt, s, curve)
            t0 = last_save = time.perf_counter()
    if stop < cfg.steps:
        return {"name": name, "done": False, "step": stop}
    n_steps = cfg.steps - start
    # steady-state throughput: after the first saved step (which includes compilation and warm-up)
    steady = (cfg.steps - s_first) * cfg.tokens_per_step / max(t_train - t_first, 1e-9) if s_first < cfg.steps else None
    tps = n_steps * cfg.tokens_per_step / max(t_train, 1e-9)
    fpt = flops_per_token(d, L, vocab_size, cfg.context)
    rec = {"name": name, "done": True, "d_model": d, "n_layers": L, "non_embedding": non_embedding_params(d, L),
           "total_params": sum(p.numel() for p in model.parameters()), "vocab_size": vocab_size,
           "steps": cfg.steps, "tokens": cfg.tokens_trained, "epochs": cfg.tokens_trained / (n_chunks * cfg.context),
           "peak_lr": peak_lr(cfg, d), "train_s": t_train, "steps_timed": n_steps, "tokens_per_s": tps,
           "steady_tokens_per_s": steady, "flops_per_token": fpt, "compiled": bool(compile),
           "mfu": (steady * fpt / PEAK_BF16_FLOPS) if (dev.type == "cuda" and steady) else None,
           "device": str(dev), "curve": curve, "final_train_loss": curve[-1][1] if curve else None}
    atomic_write_text(mdir / "DONE.json", json.dumps(rec, indent=1))
    import shutil

    shutil.rmtree(mdir / "resume", ignore_errors=True)
    return rec


@dataclasses.dataclass(frozen=True)
class Suite:
    """A trained suite: its configuration, folder and one record per member (see :func:`train_member`)."""

    cfg: SuiteConfig
    path: Path
    members: tuple
    vocab_size: int
    key: str = ""

    @property
    def non_embedding(self) -> np.ndarray:
        """(M,) non-embedding parameters of the members."""
        return np.array([m["non_embedding"] for m in self.members], dtype=np.int64)

    def checkpoint(self, member, step: int | None = None) -> Path:
        """Folder of a member's checkpoint (``member``: index or name; ``step``: None = final)."""
        name = self.members[member]["name"] if isinstance(member, int) else member
        if name not in [m["name"] for m in self.members]:
            raise ValueError(f"member={member!r} is not in this suite; choose one of {[m['name'] for m in self.members]}")
        step = self.cfg.steps if step is None else step
        if step not in set(int(s) for s in self.cfg.checkpoint_steps):
            raise ValueError(f"step={step!r} has no checkpoint; available: {self.cfg.checkpoint_steps.tolist()}")
        return self.path / name / f"step{step:07d}"

    def load(self, member, step: int | None = None, *, device="cpu"):
        """Load a member's model (final, or at a checkpoint ``step``), checking its configuration."""
        idx = member if isinstance(member, int) else [m["name"] for m in self.members].index(member)
        d, L = self.cfg.sizes[idx]
        expected = neox_config(d, L, vocab_size=self.vocab_size, context=self.cfg.context, head_dim=self.cfg.head_dim)
        return load_checkpoint(self.checkpoint(member, step), expected, device=device)


def train_suite(cfg: SuiteConfig, *, device: str = "auto", compile: bool | None = None, progress: bool = True) -> Suite:
    """Train (or load, or resume) every member of ``cfg`` on the shared stream; return the :class:`Suite`.

    Checkpoints live in the cache stage ``lm.suite`` keyed by ``cfg`` and the content of the corpus and
    tokenizer. ``compile`` defaults to True on CUDA.
    """
    from ..cache import stage_dir
    from ..device import resolve

    dev = resolve(device)
    corpus = resolve_corpus(cfg)
    tok = get_tokenizer(corpus, cfg.vocab_size)
    stream = train_stream(cfg)
    vocab = padded_vocab(len(tok))
    if int(stream.max()) >= vocab:
        raise ValueError(f"stream holds token id {int(stream.max())} but the model vocabulary is {vocab}")
    sd = stage_dir("lm.suite", cache_config(cfg), version=SUITE_VERSION, inputs=[corpus_key(corpus), tokenizer_key(tok)])
    compile = (dev.type == "cuda") if compile is None else compile
    recs = []
    with cpu_threads(dev):
        for i in range(len(cfg.sizes)):
            recs.append(train_member(cfg, i, stream, vocab, sd.path, device=str(dev), eos_token_id=tok.eos_token_id,
                                     compile=compile, progress=progress))
    if not sd.complete:
        sd.mark_complete({"members": [{k: v for k, v in r.items() if k != "curve"} for r in recs]})
    return Suite(cfg, sd.path, tuple(recs), vocab, sd.key)
