"""Per-token losses of every suite member on the same test tokens (paper §4, App. C; SPEC §3.2).

The paper's central LLM object is a matrix: one row per test token, one column per model, each entry
the cross-entropy (nats) of that model predicting that token. Its column means give the scaling law
L(N); its per-column histograms p(L) show that the mean hides a mixture of tokens that are already
solved (loss ≈ 0) and tokens that are far from it; rows that drop sharply between two sizes are the
"monogenic" tokens of the next chapter.

Convention (SPEC §3.2, as the authors' scripts): every test document is tokenized on its own and
truncated to the context length; one forward pass per document; a document of T tokens contributes
the T − 1 losses ``cross_entropy(logits[:-1], ids[1:])``; rows are ordered by document, then position.
Row r belongs to document ``doc[r]`` and predicts the token at position ``pos[r]`` (1 … T−1) of it.
We batch documents of similar length with right padding (causal attention makes the padding invisible
to real positions), which the tests check against the one-document-at-a-time loop.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from .checkpoints import check_vocab
from .suite import SuiteConfig, cache_config, cpu_threads, resolve_corpus, suite_tokenizer, test_docs, train_suite
from .tokenizer import TokenizedDocs, tokenizer_key
from .corpora import corpus_key

log = logging.getLogger(__name__)

LOSSES_VERSION = 1


@dataclasses.dataclass(frozen=True)
class TokenLosses:
    """Per-token losses of M models on T test tokens.

    Attributes
    ----------
    losses : numpy.ndarray of float32, shape (T, M)
        Cross-entropy in nats.
    doc : numpy.ndarray of int32, shape (T,)
        Index of the token's document in ``doc_ids``.
    pos : numpy.ndarray of int32, shape (T,)
        Position of the predicted token inside its document (1 … len − 1).
    token : numpy.ndarray of int32, shape (T,)
        The predicted token's id.
    labels : numpy.ndarray of int32, shape (T,), or None
        The predicted token's label (planted corpus: its skill; -1 none).
    n_params : numpy.ndarray of int64, shape (M,)
        Non-embedding parameters of each column's model.
    steps : numpy.ndarray of int64, shape (M,)
        Training step of each column's checkpoint.
    names : tuple of str, length M
        Member name of each column.
    doc_ids : tuple of str
        Document ids.
    """

    losses: np.ndarray
    doc: np.ndarray
    pos: np.ndarray
    token: np.ndarray
    labels: np.ndarray | None
    n_params: np.ndarray
    steps: np.ndarray
    names: tuple
    doc_ids: tuple

    @property
    def n_tokens(self) -> int:
        return self.losses.shape[0]

    @property
    def mean(self) -> np.ndarray:
        """(M,) mean loss of each column, nats."""
        return self.losses.astype(np.float64).mean(axis=0)

    def columns(self, mask) -> "TokenLosses":
        """A copy keeping the columns selected by ``mask`` (boolean or index array)."""
        idx = np.arange(self.losses.shape[1])[mask]
        return dataclasses.replace(self, losses=self.losses[:, idx], n_params=self.n_params[idx],
                                   steps=self.steps[idx], names=tuple(self.names[i] for i in idx))

    def member(self, name: str) -> "TokenLosses":
        """The columns of one member (its checkpoints), ordered by step."""
        idx = [i for i, n in enumerate(self.names) if n == name]
        if not idx:
            raise ValueError(f"member={name!r} is not in these losses; choose one of {sorted(set(self.names))}")
        idx = sorted(idx, key=lambda i: self.steps[i])
        return self.columns(np.array(idx))

    def final(self) -> "TokenLosses":
        """One column per member: its last checkpoint, ordered by size."""
        best = {}
        for i, (n, s) in enumerate(zip(self.names, self.steps)):
            if n not in best or s > self.steps[best[n]]:
                best[n] = i
        idx = sorted(best.values(), key=lambda i: self.n_params[i])
        return self.columns(np.array(idx))

    def to_dict(self) -> dict:
        d = {"losses": self.losses, "doc": self.doc, "pos": self.pos, "token": self.token, "n_params": self.n_params,
             "steps": self.steps, "names": np.array(self.names, dtype=str), "doc_ids": np.array(self.doc_ids, dtype=str)}
        if self.labels is not None:
            d["labels"] = self.labels
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TokenLosses":
        return cls(np.asarray(d["losses"], dtype=np.float32), np.asarray(d["doc"]), np.asarray(d["pos"]),
                   np.asarray(d["token"]), None if "labels" not in d else np.asarray(d["labels"]),
                   np.asarray(d["n_params"], dtype=np.int64), np.asarray(d["steps"], dtype=np.int64),
                   tuple(str(x) for x in d["names"]), tuple(str(x) for x in d["doc_ids"]))


def token_index(docs: TokenizedDocs) -> dict:
    """Row index of the loss matrix for ``docs``: ``doc``, ``pos``, ``token`` and ``labels`` arrays (T,)."""
    lengths = docs.lengths
    n_pred = np.maximum(lengths - 1, 0)
    doc = np.repeat(np.arange(docs.n_docs, dtype=np.int32), n_pred)
    starts = np.concatenate([[0], np.cumsum(n_pred)])[:-1]
    pos = (np.arange(n_pred.sum()) - np.repeat(starts, n_pred) + 1).astype(np.int32)
    flat = docs.offsets[:-1][doc] + pos
    out = {"doc": doc, "pos": pos, "token": docs.tokens[flat].astype(np.int32)}
    out["labels"] = None if docs.labels is None else docs.labels[flat].astype(np.int32)
    return out


def per_token_losses(model, docs: TokenizedDocs, *, device="cpu", batch_tokens: int = 16384,
                     precision: str = "float32") -> np.ndarray:
    """Losses (T,) float32 of one model on ``docs``, in the row order of :func:`token_index`.

    Documents are sorted by length and packed into right-padded batches of at most ``batch_tokens``
    padded tokens; logits are upcast to float32 before the cross-entropy.
    """
    import torch
    import torch.nn.functional as F

    if docs.n_docs and int(docs.tokens.max(initial=0)) >= model.config.vocab_size:
        raise ValueError(f"test tokens hold id {int(docs.tokens.max())} but the model's vocabulary has "
                         f"{model.config.vocab_size} entries: tokenizer and model do not belong together")
    dev = torch.device(device)
    lengths = docs.lengths
    n_pred = np.maximum(lengths - 1, 0)
    starts = np.concatenate([[0], np.cumsum(n_pred)])
    out = np.zeros(int(starts[-1]), dtype=np.float32)
    order = [i for i in np.argsort(-lengths, kind="stable") if lengths[i] >= 2]
    model.eval()
    amp = precision == "bfloat16"
    with torch.inference_mode():
        b = 0
        while b < len(order):
            width = int(lengths[order[b]])
            n = max(1, batch_tokens // width)
            group = order[b:b + n]
            b += n
            x = np.zeros((len(group), width), dtype=np.int64)
            for r, i in enumerate(group):
                x[r, :lengths[i]] = docs.doc(i)
            xt = torch.from_numpy(x).to(dev)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
                logits = model(input_ids=xt).logits
            ce = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), xt[:, 1:].reshape(-1),
                                 reduction="none").view(len(group), width - 1).cpu().numpy()
            for r, i in enumerate(group):
                out[starts[i]:starts[i + 1]] = ce[r, : n_pred[i]]
    return out


def per_token_losses_naive(model, docs: TokenizedDocs, *, device="cpu") -> np.ndarray:
    """Reference: one forward pass per document, exactly the authors' loop (SPEC §3.2)."""
    import torch
    import torch.nn.functional as F

    model.eval()
    res = []
    with torch.inference_mode():
        for i in range(docs.n_docs):
            ids = torch.from_numpy(docs.doc(i).astype(np.int64))[None].to(device)
            if ids.shape[1] < 2:
                continue
            logits = model(input_ids=ids).logits
            res.append(F.cross_entropy(logits[0, :-1].float(), ids[0, 1:], reduction="none").cpu().numpy())
    return np.concatenate(res) if res else np.zeros(0, np.float32)


def evaluate_suite(suite, docs: TokenizedDocs, *, checkpoints: bool = False, members=None, device="cpu",
                   batch_tokens: int = 16384, progress: bool = True) -> TokenLosses:
    """Per-token losses of every member (final models, or every checkpoint) of a trained suite.

    Parameters
    ----------
    suite : Suite
    docs : TokenizedDocs
        The test documents (same tokenizer as the suite).
    checkpoints : bool
        Evaluate every saved checkpoint (columns ordered by member, then step) instead of final models.
    members : list of str, optional
        Restrict to these members.
    """
    from ..progress import progress as bar

    cfg = suite.cfg
    names = [m["name"] for m in suite.members] if members is None else list(members)
    steps = [int(s) for s in cfg.checkpoint_steps] if checkpoints else [cfg.steps]
    jobs = [(n, s) for n in names for s in steps]
    nparams = {m["name"]: m["non_embedding"] for m in suite.members}
    cols = []
    precision = cfg.precision if str(device).startswith("cuda") else "float32"
    with cpu_threads(device):
        for n, s in bar(jobs, desc="per-token losses", disable=not progress):
            model = suite.load(n, s, device=device)
            cols.append(per_token_losses(model, docs, device=device, batch_tokens=batch_tokens, precision=precision))
    idx = token_index(docs)
    return TokenLosses(np.stack(cols, axis=1), idx["doc"], idx["pos"], idx["token"], idx["labels"],
                       np.array([nparams[n] for n, _ in jobs], dtype=np.int64), np.array([s for _, s in jobs], dtype=np.int64),
                       tuple(n for n, _ in jobs), docs.doc_ids)


def _losses_entry(cfg: SuiteConfig, checkpoints: bool, device: str, progress: bool):
    from ..cache import memo
    from ..device import resolve

    corpus = resolve_corpus(cfg)
    tok = suite_tokenizer(cfg)

    def compute():
        dev = resolve(device)
        suite = train_suite(cfg, device=str(dev), progress=progress)
        docs = test_docs(cfg)
        check_vocab(suite.load(0, device="cpu"), tok)
        tl = evaluate_suite(suite, docs, checkpoints=checkpoints, device=str(dev), progress=progress)
        return {**tl.to_dict(), "members": [{k: v for k, v in m.items() if k != "curve"} for m in suite.members],
                "curves": {m["name"]: m["curve"] for m in suite.members}}

    return memo("lm.token_losses", {**cache_config(cfg), "checkpoints": checkpoints}, compute, version=LOSSES_VERSION,
                inputs=[corpus_key(corpus), tokenizer_key(tok)])


def token_losses(cfg: SuiteConfig, *, checkpoints: bool = False, device: str = "auto", progress: bool = True) -> TokenLosses:
    """Train (or reuse) the suite of ``cfg`` and return its per-token losses on the test documents (cached).

    Every chapter that calls this with the same configuration gets the same suite and the same array
    from the cache (stage ``lm.token_losses``).

    Parameters
    ----------
    cfg : SuiteConfig
        E.g. ``quanta.lm.preset("small")``.
    checkpoints : bool
        False: one column per member (final model), ordered by size. True: one column per member and
        checkpoint (training dynamics), ordered by member then step.
    device : str
        ``auto``, ``cpu``, ``cuda``... (not part of the cache key; only used when something must be
        computed).
    """
    return TokenLosses.from_dict(_losses_entry(cfg, checkpoints, device, progress))


def suite_records(cfg: SuiteConfig, *, device: str = "auto", progress: bool = True) -> dict:
    """Member records (sizes, tokens, epochs, wall time, throughput) and training-loss curves of the
    suite of ``cfg`` (cached with its final per-token losses)."""
    out = _losses_entry(cfg, False, device, progress)
    return {"members": out["members"], "curves": out["curves"]}
