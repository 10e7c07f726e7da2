"""Model suite and per-token losses of quanta.lm: the paper's loss convention, resuming, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from quanta.lm import checkpoints as ck
from quanta.lm import losses as L
from quanta.lm import suite as S
from quanta.lm.corpora import TextDirCorpus


def _grammar_docs(folder, n=60, seed=0):
    """Documents of a tiny language with learnable structure: `key = value ;` lines with a fixed map."""
    rng = np.random.default_rng(seed)
    keys = [f"k{i}" for i in range(12)]
    value = {k: f"v{(7 * i) % 12}" for i, k in enumerate(keys)}
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        lines = [f"{k} = {value[k]} ;" for k in rng.choice(keys, size=int(rng.integers(4, 14)))]
        (folder / f"d{i:03d}.txt").write_text("\n".join(lines))
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("lm")
    mp.setenv("QUANTA_CACHE", str(base / "cache"))
    mp.setenv("QUANTA_PROGRESS", "0")
    corpus = TextDirCorpus(_grammar_docs(base / "docs"), test_fraction=0.2)
    cfg = S.preset("smoke", corpus=corpus, vocab_size=300, sizes=((16, 1), (32, 1)), head_dim=16, context=48,
                   batch_size=8, steps=40, lr=1e-2, n_checkpoints=3, train_tokens=None, eval_docs=8)
    suite = S.train_suite(cfg, device="cpu", progress=False)
    yield cfg, suite, base
    mp.undo()


def test_batched_losses_equal_naive_loop_and_hf_loss(tiny):
    cfg, suite, _ = tiny
    docs = S.test_docs(cfg)
    model = suite.load(1)
    fast = L.per_token_losses(model, docs, batch_tokens=100)  # several padded batches
    slow = L.per_token_losses_naive(model, docs)
    assert fast.shape == slow.shape == (int(np.maximum(docs.lengths - 1, 0).sum()),)
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)
    # the mean over one document is the model's own (mean) causal-LM loss
    ids = torch.from_numpy(docs.doc(0).astype(np.int64))[None]
    with torch.no_grad():
        hf = model(input_ids=ids, labels=ids).loss.item()
    idx = L.token_index(docs)
    assert abs(fast[idx["doc"] == 0].mean() - hf) < 1e-5
    # index: positions run 1..len-1 and the token column is the predicted token
    assert idx["pos"][idx["doc"] == 0].tolist() == list(range(1, int(docs.lengths[0])))
    assert np.array_equal(idx["token"][idx["doc"] == 0], docs.doc(0)[1:])


def test_token_losses_shape_learning_and_cache(tiny):
    cfg, suite, _ = tiny
    tl = L.token_losses(cfg, device="cpu", progress=False)
    assert tl.losses.dtype == np.float32 and tl.losses.shape[1] == 2
    assert np.array_equal(tl.n_params, cfg.non_embedding) and np.all(tl.steps == cfg.steps)
    # training learned structure: far below the uniform-guess loss ln(vocab); larger is better
    assert tl.mean.max() < 0.7 * np.log(suite.vocab_size)
    assert tl.mean[1] < tl.mean[0]
    again = L.token_losses(cfg, device="cpu", progress=False)
    np.testing.assert_array_equal(again.losses, tl.losses)
    dyn = L.token_losses(cfg, checkpoints=True, device="cpu", progress=False)
    assert dyn.losses.shape[1] == 2 * len(cfg.checkpoint_steps)
    big = dyn.member(suite.members[1]["name"])
    assert big.mean[-1] < big.mean[0]  # later checkpoints are better
    np.testing.assert_allclose(dyn.final().losses, tl.losses, rtol=1e-6, atol=1e-6)
    rec = suite.members[1]
    assert rec["tokens"] == cfg.steps * cfg.batch_size * cfg.context and rec["epochs"] > 0


def test_killed_run_resumes_to_identical_weights(tiny, tmp_path):
    cfg, suite, _ = tiny
    stream = S.train_stream(cfg)
    with S.cpu_threads("cpu"):  # the same thread count as train_suite, so the same float reductions
        part = S.train_member(cfg, 0, stream, suite.vocab_size, tmp_path, until=13, progress=False)
        assert part["done"] is False and (tmp_path / part["name"] / "resume" / "state.json").is_file()
        full = S.train_member(cfg, 0, stream, suite.vocab_size, tmp_path, progress=False)
    assert full["done"] is True and not (tmp_path / full["name"] / "resume").exists()
    a = ck.load_checkpoint(tmp_path / full["name"] / f"step{cfg.steps:07d}").state_dict()
    b = suite.load(0).state_dict()
    for k in b:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    # the training curve was carried over the interruption
    assert [c[0] for c in full["curve"]] == [c[0] for c in suite.members[0]["curve"]]


def test_wrong_checkpoint_and_vocab_mismatch_fail_clearly(tiny):
    cfg, suite, _ = tiny
    other = ck.neox_config(32, 2, vocab_size=suite.vocab_size, context=cfg.context, head_dim=16)
    with pytest.raises(ValueError, match="another configuration.*num_hidden_layers"):
        ck.load_checkpoint(suite.checkpoint(1), other)
    with pytest.raises(ValueError, match="has no checkpoint"):
        suite.checkpoint(0, step=7)
    with pytest.raises(ValueError, match="not in this suite"):
        suite.checkpoint("d999-l9")
    model = suite.load(0)
    docs = S.test_docs(cfg)
    bad = type(docs)(docs.tokens.copy(), docs.offsets, docs.doc_ids)
    bad.tokens[3] = suite.vocab_size + 5
    with pytest.raises(ValueError, match="do not belong together"):
        L.per_token_losses(model, bad)

    class Big:
        def __len__(self):
            return 10 * suite.vocab_size

    with pytest.raises(ValueError, match="do not belong together"):
        ck.check_vocab(model, Big())


def test_config_validation_names_the_parameter():
    with pytest.raises(ValueError, match="scale"):
        S.preset("huge")
    with pytest.raises(ValueError, match="precision"):
        S.preset("smoke", precision="fp8")
    with pytest.raises(ValueError, match="must grow"):
        S.preset("smoke", sizes=((64, 2), (32, 1)))
    with pytest.raises(TypeError, match="unknown SuiteConfig"):
        S.preset("smoke", widths=(1, 2))
    p = S.preset("paper")
    n = p.non_embedding
    assert len(n) >= 6 and np.log10(n[-1] / n[0]) >= 2.5 and p.precision == "bfloat16"


def test_non_embedding_count_matches_pythia_and_paper_table():
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    from quanta.lm.pythia import PYTHIA_V0, find

    row = find("EleutherAI/pythia-70m-v0")
    assert row is find("pythia-19m") is find("19m")
    assert ck.non_embedding_params(512, 6) == row.non_embedding == 18_915_328
    cfg = GPTNeoXConfig(vocab_size=50304, hidden_size=512, num_hidden_layers=6, num_attention_heads=8,
                        intermediate_size=2048, tie_word_embeddings=False)
    with torch.device("meta"):
        model = GPTNeoXForCausalLM(cfg)
    counts = ck.count_params(model)
    assert counts["non_embedding"] == row.non_embedding and counts["total"] == row.total
    assert [m.non_embedding for m in PYTHIA_V0] == sorted(m.non_embedding for m in PYTHIA_V0)
    with pytest.raises(ValueError, match="not allowed"):
        find("pythia-7b")


def test_pythia_loader_offline_from_local_copy(tmp_path):
    import json

    import zstandard
    from transformers import GPTNeoXForCausalLM

    from quanta.lm.pythia import load_pythia, pythia_token_losses, revision_name
    from quanta.lm.tokenizer import train_bpe

    corpus = TextDirCorpus(_grammar_docs(tmp_path / "docs", n=20))
    tok = train_bpe(corpus, 280)
    torch.manual_seed(0)
    model = GPTNeoXForCausalLM(ck.neox_config(32, 1, vocab_size=ck.padded_vocab(len(tok)), context=64, head_dim=16))
    model.save_pretrained(tmp_path / "p19m")
    tok.save_pretrained(tmp_path / "p19m")
    m2, tok2, info = load_pythia("pythia-19m", local_dir=tmp_path / "p19m")
    assert info.label == "19m" and len(tok2) == len(tok)
    lines = [json.dumps({"text": (tmp_path / "docs" / f"d{i:03d}.txt").read_text()}) for i in range(6)]
    (tmp_path / "test.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress("\n".join(lines).encode()))
    tl = pythia_token_losses(["pythia-19m"], tmp_path / "test.jsonl.zst", max_docs=4,
                             local_dirs={"pythia-19m": tmp_path / "p19m"})
    assert tl.n_params.tolist() == [18_915_328] and tl.steps.tolist() == [143000] and len(tl.doc_ids) == 4
    assert revision_name(143000) == "step143000"
    with pytest.raises(ValueError, match="multiples of 1000"):
        revision_name(1500)
    with pytest.raises(ValueError, match="config.json"):
        load_pythia("19m", local_dir=tmp_path / "docs")
