"""The real Pythia v0 suite, for readers with a network (paper §4; SPEC §3.1).

The paper evaluated the *v0* Pythia models (trained on The Pile, final checkpoint ``step143000``)
under their pre-January-2023 names: "pythia-19m" is today's ``EleutherAI/pythia-70m-v0`` and so on;
the paper labels each model by its non-embedding parameter count. This module keeps that mapping as
data, loads a model by any of the three names plus a revision, and evaluates it with the same
per-token-loss code as our own suite (:mod:`quanta.lm.losses`). Nothing here downloads anything
unless asked to; ``local_dir`` loads a saved copy, which is how the tests run offline.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..validate import check_choice


@dataclasses.dataclass(frozen=True)
class PythiaModel:
    code_name: str      # name in the paper's code ("pythia-19m")
    hub: str            # current hub repository
    label: str          # label in the paper's figures (non-embedding size)
    non_embedding: int  # total − embed_in − embed_out
    total_minus_embed_in: int
    total: int


#: SPEC §3.1 table (non-deduplicated v0 models; counts from the authors' get_num_params.py output).
PYTHIA_V0 = (
    PythiaModel("pythia-19m", "EleutherAI/pythia-70m-v0", "19m", 18_915_328, 44_670_976, 70_426_624),
    PythiaModel("pythia-125m", "EleutherAI/pythia-160m-v0", "85m", 85_056_000, 123_689_472, 162_322_944),
    PythiaModel("pythia-350m", "EleutherAI/pythia-410m-v0", "300m", 302_311_424, 353_822_720, 405_334_016),
    PythiaModel("pythia-800m", "EleutherAI/pythia-1b-v0", "800m", 805_736_448, 908_759_040, 1_011_781_632),
    PythiaModel("pythia-1.3b", "EleutherAI/pythia-1.4b-v0", "1.2b", 1_208_602_624, 1_311_625_216, 1_414_647_808),
    PythiaModel("pythia-2.7b", "EleutherAI/pythia-2.8b-v0", "2.5b", 2_517_652_480, 2_646_430_720, 2_775_208_960),
    PythiaModel("pythia-6.7b", "EleutherAI/pythia-6.9b-v0", "6.4b", 6_444_163_072, 6_650_732_544, 6_857_302_016),
    PythiaModel("pythia-13b", "EleutherAI/pythia-12b-v0", "(not used)", 11_327_027_200, 11_586_549_760, 11_846_072_320),
)

#: the tokenizer used for every model (identical across the suite; no BOS prepended)
PYTHIA_TOKENIZER = "EleutherAI/pythia-70m-v0"
#: the final checkpoint the paper used
FINAL_REVISION = "step143000"
#: per-document truncation of the paper's loss evaluation (SPEC §3.2)
PYTHIA_MAX_LENGTH = 1024
#: the paper's reported numbers (SPEC §3.3, §3.4), for comparison tables
PAPER_ALPHA_N = 0.083
PAPER_ALPHA_N_KAPLAN = 0.076
PAPER_ALPHA_S_RANGE = (0.037, 0.06)
PAPER_ALPHA_S_BY_MODEL = {"125m": 0.0368, "350m": 0.0516, "800m": 0.0489, "1.3b": 0.0604}
PAPER_FIG3_TOKENS = 10_000_000


def find(name: str) -> PythiaModel:
    """Look a model up by code name (``pythia-19m``), hub name (``EleutherAI/pythia-70m-v0``) or label (``19m``)."""
    for m in PYTHIA_V0:
        if name in (m.code_name, m.hub, m.label, m.hub.split("/")[-1]):
            return m
    allowed = [m.code_name for m in PYTHIA_V0] + [m.hub for m in PYTHIA_V0]
    check_choice("name", name, allowed)
    raise AssertionError  # unreachable


def revision_name(step: int) -> str:
    """The hub revision of a training step (Pythia saved ``step1000`` … ``step143000`` every 1000)."""
    if step % 1000 or not (1000 <= step <= 143000):
        raise ValueError(f"step={step!r}: Pythia v0 checkpoints are multiples of 1000 from 1000 to 143000")
    return f"step{step}"


def load_pythia(name: str, revision: str = FINAL_REVISION, *, local_dir=None, device="cpu", dtype=None):
    """Load a Pythia v0 model and its tokenizer.

    Parameters
    ----------
    name : str
        Code name, hub name or paper label (see :func:`find`).
    revision : str
        Hub revision, e.g. ``"step143000"`` (ignored with ``local_dir``).
    local_dir : str or Path, optional
        A folder written by ``save_pretrained`` holding the model (and tokenizer) files; no network.
    device, dtype
        Placement of the weights.

    Returns
    -------
    (model, tokenizer, info)
        ``info`` is the :class:`PythiaModel` row.
    """
    from transformers import AutoTokenizer, GPTNeoXForCausalLM

    info = find(name)
    if local_dir is not None:
        local_dir = Path(local_dir)
        if not (local_dir / "config.json").is_file():
            raise ValueError(f"local_dir={str(local_dir)!r} holds no config.json (save a model with save_pretrained)")
        model = GPTNeoXForCausalLM.from_pretrained(str(local_dir), torch_dtype=dtype)
        tok = AutoTokenizer.from_pretrained(str(local_dir))
    else:  # pragma: no cover - needs the network
        if not isinstance(revision, str) or not revision.startswith("step"):
            raise ValueError(f"revision={revision!r} must look like 'step143000'")
        model = GPTNeoXForCausalLM.from_pretrained(info.hub, revision=revision, torch_dtype=dtype)
        tok = AutoTokenizer.from_pretrained(PYTHIA_TOKENIZER)
    from .checkpoints import check_vocab

    check_vocab(model, tok)
    return model.to(device).eval(), tok, info


def pile_documents(path, *, max_docs: int = 200_000) -> list:
    """The paper's evaluation documents: the first ``max_docs`` lines of Pile ``test.jsonl.zst``, in file order."""
    from .corpora import PileCorpus

    corpus = PileCorpus(path, max_docs=max_docs)
    return list(_raw(corpus))


def _raw(corpus):
    from .corpora import Document

    for doc_id, text in corpus._iter_raw():
        yield Document(doc_id, text)


def pythia_token_losses(names, pile_path, *, revision: str = FINAL_REVISION, max_docs: int = 20_000, device="cpu",
                        local_dirs: dict | None = None):
    """Per-token losses of Pythia v0 models on the first ``max_docs`` Pile test documents (SPEC §3.2).

    Returns a :class:`~quanta.lm.losses.TokenLosses` with one column per model, rows as the paper's
    flat index (documents in file order, truncated at 1024 tokens, empty documents contribute none).
    """
    import numpy as np

    from .losses import TokenLosses, per_token_losses, token_index
    from .tokenizer import encode_texts

    local_dirs = local_dirs or {}
    docs = pile_documents(pile_path, max_docs=max_docs)
    cols, infos, tok = [], [], None
    for n in names:
        model, tok, info = load_pythia(n, revision, local_dir=local_dirs.get(n), device=device)
        tdocs = encode_texts(docs, tok, max_length=PYTHIA_MAX_LENGTH)
        cols.append(per_token_losses(model, tdocs, device=device))
        infos.append(info)
    idx = token_index(tdocs)
    step = int(revision[4:]) if revision.startswith("step") else -1
    return TokenLosses(np.stack(cols, axis=1), idx["doc"], idx["pos"], idx["token"], None,
                       np.array([i.non_embedding for i in infos], dtype=np.int64), np.full(len(infos), step, np.int64),
                       tuple(i.label for i in infos), tdocs.doc_ids)
