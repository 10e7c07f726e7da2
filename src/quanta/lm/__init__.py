"""Language-model suite, corpora and per-token losses (paper §4 and App. C; SPEC §3).

The paper decomposes the smooth LLM scaling law into per-token losses of the Pythia suite. This
package builds the same object offline: a corpus of documents, one tokenizer, a family of GPT-NeoX
models of geometrically spaced non-embedding sizes trained on one token stream, and the matrix of
per-token losses of every model (and checkpoint) on the same test tokens.

Public API (everything other chapters need)
-------------------------------------------
Corpora (:mod:`quanta.lm.corpora`)
    ``Document(doc_id: str, text: str, labels: int array (n_tokens,) | None)``
    ``get_corpus(name_or_object, **options)`` -> corpus with ``documents(split)`` (split "train" /
    "test", by document, fixed order), ``manifest()`` (dict), ``tokenizer()`` (own tokenizer or None),
    ``key`` (content hash). Names: ``python-stdlib``, ``python-env``, ``pile`` (``path=``),
    ``textdir`` (``path=``), ``planted`` (lazily calls ``quanta.planted.corpus(**kw)``; any object with
    ``documents``/``manifest`` is accepted as is). ``register_corpus(name, factory)``.
    A corpus with its own tokenizer returns a ``PreTrainedTokenizerFast`` from ``tokenizer()``; its
    documents' ``labels`` must have one entry per token of ``tokenizer(text, add_special_tokens=False)``.
Tokenizer (:mod:`quanta.lm.tokenizer`)
    ``get_tokenizer(corpus, vocab_size)`` (cached byte-level BPE on the train split, or the corpus's
    own), ``train_bpe``, ``save_tokenizer``, ``load_tokenizer``, ``encode_documents(corpus, tok, split,
    max_docs=, max_length=)`` -> ``TokenizedDocs(tokens (n,), offsets (n_docs+1,), doc_ids, labels)``.
Suite (:mod:`quanta.lm.suite`)
    ``preset(scale, *, corpus="python-stdlib", seed=0, **overrides)`` -> ``SuiteConfig`` (frozen;
    ``smoke`` seconds, ``small`` ~2 min on 2 CPU cores, ``paper`` GPU bf16, 7 sizes over 2.7 decades).
    ``train_suite(cfg, device="auto")`` -> ``Suite`` (``.members`` records, ``.non_embedding``,
    ``.load(member, step=None)``, ``.checkpoint(member, step)``); resumable, cached in a stage folder.
    ``train_stream(cfg)`` (n,) tokens; ``test_docs(cfg)`` -> ``TokenizedDocs``; ``suite_tokenizer(cfg)``.
Per-token losses (:mod:`quanta.lm.losses`)
    ``token_losses(cfg, *, checkpoints=False, device="auto")`` -> ``TokenLosses`` (cached; the same
    call from any chapter reuses the same suite and array):
    ``losses`` float32 (T, M) nats, ``doc`` (T,), ``pos`` (T,) position of the predicted token,
    ``token`` (T,) its id, ``labels`` (T,) or None, ``n_params`` (M,) non-embedding, ``steps`` (M,),
    ``names`` (M,), ``doc_ids``; methods ``mean``, ``final()``, ``member(name)``, ``columns(mask)``.
    ``suite_records(cfg)`` -> member records (sizes, tokens, epochs, wall time) and training curves.
    ``per_token_losses(model, docs)`` / ``per_token_losses_naive`` for any GPT-NeoX model.
Analyses (:mod:`quanta.lm.analysis`)
    ``size_scaling(tl)`` -> ``SizeScaling`` (α_N fit of mean loss in bits vs N, p(L) per member,
    share of tokens under 0.1 bits); ``dynamics(tl_checkpoints)`` -> ``Dynamics`` (mean loss per
    checkpoint, α_S fits, p(L) over training); ``member_table``; ``comparison_rows``.
Paper-scale artifact (:mod:`quanta.lm.paper`)
    ``freeze(npz, json)`` commits the GPU run as ``results/lm_paper``; ``available()``; ``load()`` ->
    ``(TokenLosses, SizeScaling, Dynamics, manifest)``.
Pythia (:mod:`quanta.lm.pythia`)
    ``PYTHIA_V0`` table (SPEC §3.1), ``load_pythia(name, revision, local_dir=)``,
    ``pythia_token_losses(names, pile_path)``, the paper's numbers ``PAPER_ALPHA_N`` etc.

Example
-------
>>> from quanta import lm
>>> cfg = lm.preset("small")                      # stdlib suite
>>> tl = lm.token_losses(cfg)                     # (T, M) per-token losses, cached
>>> tl.n_params, tl.mean                          # L(N)
>>> dyn = lm.token_losses(cfg, checkpoints=True)  # every checkpoint of every member
"""

from . import analysis, paper
from .checkpoints import count_params, load_checkpoint, non_embedding_params, save_checkpoint
from .corpora import CORPORA, Document, get_corpus, register_corpus
from .losses import (TokenLosses, evaluate_suite, per_token_losses, per_token_losses_naive, suite_records,
                     token_index, token_losses)
from .pythia import PYTHIA_V0, load_pythia, pythia_token_losses
from .suite import PRESETS, Suite, SuiteConfig, preset, suite_tokenizer, test_docs, train_stream, train_suite
from .tokenizer import TokenizedDocs, encode_documents, get_tokenizer, load_tokenizer, save_tokenizer, train_bpe

__all__ = [
    "analysis", "paper",    "CORPORA", "Document", "get_corpus", "register_corpus", "TokenizedDocs", "encode_documents", "get_tokenizer",
    "load_tokenizer", "save_tokenizer", "train_bpe", "PRESETS", "Suite", "SuiteConfig", "preset", "suite_tokenizer",
    "test_docs", "train_stream", "train_suite", "TokenLosses", "evaluate_suite", "per_token_losses",
    "per_token_losses_naive", "suite_records", "token_index", "token_losses", "count_params", "load_checkpoint",
    "non_embedding_params", "save_checkpoint", "PYTHIA_V0", "load_pythia", "pythia_token_losses",
]
