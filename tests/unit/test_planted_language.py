"""The planted-quanta language: Zipf frequencies, exact labels, determinism, tokenizer alignment."""

import time

import numpy as np
import pytest
from scipy import stats

from quanta.fitting import fit_zipf_exponent
from quanta.planted import (FAMILIES, Language, PlantedConfig, PlantedCorpus, oracle_next, oracle_predictions,
                            preset, skill_probs)


def _segment_counts(lang, n_docs, seed=0):
    ids, labels, _ = lang.sample_tokens(n_docs, seed=seed)
    trig = ids[ids >= lang.vocab.trigger0] - lang.vocab.trigger0
    return np.bincount(trig, minlength=lang.cfg.n_skills), labels


@pytest.mark.parametrize("alpha", [0.3, 1.0])
def test_skill_frequencies_follow_zipf(alpha):
    lang = Language(PlantedConfig(n_skills=60, alpha=alpha))
    counts, labels = _segment_counts(lang, 4000)
    p = skill_probs(60, alpha)
    # chi-square goodness of fit of segment counts to p_k ∝ k^-(α+1) (pool the sparse tail)
    keep = p * counts.sum() >= 5

    def pooled(x):
        return np.append(x[keep], x[~keep].sum()) if (~keep).any() else x

    obs = pooled(counts)
    assert stats.chisquare(obs, pooled(p) * counts.sum()).pvalue > 1e-3
    # the test has power: a Zipf law with exponent off by 0.1 is rejected
    assert stats.chisquare(obs, pooled(skill_probs(60, alpha + 0.1)) * counts.sum()).pvalue < 1e-6
    # labelled tokens: every segment of skill k contributes exactly `span` tokens labelled k
    tok_counts = np.bincount(labels[labels >= 0], minlength=60)
    np.testing.assert_array_equal(tok_counts, counts * lang.cfg.span)
    # rank-frequency slope of the frequent skills recovers α+1
    assert abs(fit_zipf_exponent(counts[:20], n_boot=0).exponent - (alpha + 1)) < 0.1


def test_skill_probs_exact():
    p = skill_probs(500, 0.4)
    assert p.sum() == pytest.approx(1.0)
    assert p[0] == pytest.approx(0.3451, abs=1e-4)  # SPEC §2.1: alpha_code 1.4, 500 subtasks
    assert p[499] == pytest.approx(5.75e-5, rel=1e-2)


def test_families_interleaved_over_ranks():
    lang = Language(PlantedConfig(n_skills=60))
    fam = lang.skill_family
    for i, f in enumerate(FAMILIES):
        assert set(np.flatnonzero(fam == f) % len(FAMILIES)) == {i}


@pytest.mark.parametrize("families", [FAMILIES, ("fact",), ("parity", "copy")])
def test_oracle_predicts_every_labelled_token(families):
    lang = Language(PlantedConfig(n_skills=40, alpha=0.3, families=families, seed=3))
    ids, labels, off = lang.chunk("test", 0)
    seen = set()
    rng = np.random.default_rng(0)
    for d in range(len(off) - 1):
        x, lab = ids[off[d]:off[d + 1]], labels[off[d]:off[d + 1]]
        pred, skill = oracle_predictions(lang, x)
        np.testing.assert_array_equal(skill, lab)               # labels are the skills the oracle used
        np.testing.assert_array_equal(pred[lab >= 0], x[lab >= 0])  # and the oracle is exact on them
        assert (pred[lab < 0] == -1).all()
        seen.update(lang.skill_family[np.unique(lab[lab >= 0])])
        for j in rng.integers(1, len(x), 8):   # predictions read only the prefix
            assert oracle_next(lang, x[:j]) == pred[j]
    assert seen == set(families)


def test_unlabelled_tokens_are_not_predictable_from_skill():
    """Random inputs of a segment vary across segments of the same skill (they are real noise)."""
    lang = Language(PlantedConfig(n_skills=12, alpha=0.2, families=("count", "copy")))
    ids, labels, _ = lang.sample_tokens(300)
    trig = np.flatnonzero(ids >= lang.vocab.trigger0)
    first = ids[trig + 1]  # first body token: random start (count) or first span token (copy)
    for k in range(12):
        assert np.unique(first[ids[trig] == lang.vocab.trigger0 + k]).size > 3
    assert (labels[trig + 1] == -1).all()


def test_oracle_rejects_garbage():
    lang = Language(PlantedConfig(n_skills=10))
    with pytest.raises(ValueError, match="cannot start a segment"):
        oracle_predictions(lang, [lang.vocab.content0])


def test_deterministic_and_streaming():
    cfg = PlantedConfig(n_skills=30, n_train_docs=200, seed=7)
    a, b = Language(cfg), Language(cfg)
    for c in (0, 2):
        for x, y in zip(a.chunk("train", c), b.chunk("train", c)):
            np.testing.assert_array_equal(x, y)
    # chunks are independent streams: chunk 2 does not depend on having generated chunks 0-1
    np.testing.assert_array_equal(Language(cfg).chunk("train", 2)[0], a.chunk("train", 2)[0])
    assert not np.array_equal(a.chunk("train", 0)[0][:200], a.chunk("test", 0)[0][:200])
    other = Language(cfg.replace(seed=8))
    assert not np.array_equal(other.chunk("train", 0)[0][:200], a.chunk("train", 0)[0][:200])
    # languages that differ only in alpha share their skills
    np.testing.assert_array_equal(Language(cfg.replace(alpha=1.5)).tables.fact, a.tables.fact)
    assert sum(len(o) - 1 for _, _, _, o in a.iter_chunks("train")) == 200


def test_tokenizer_aligns_one_symbol_one_token(tmp_path):
    from quanta.lm.tokenizer import load_tokenizer, save_tokenizer

    corpus = PlantedCorpus(scale="smoke")
    tok = corpus.tokenizer()
    docs = list(corpus.documents("test"))
    ids, labels, off = corpus.token_arrays("test")
    assert len(docs) == len(off) - 1 == 100
    reloaded = load_tokenizer(save_tokenizer(tok, tmp_path / "tok"))
    for i in (0, 57):
        enc = tok(docs[i].text, add_special_tokens=True)["input_ids"]  # no BOS/EOS even when asked
        np.testing.assert_array_equal(enc, ids[off[i]:off[i + 1]])
        np.testing.assert_array_equal(docs[i].labels, labels[off[i]:off[i + 1]])
        assert reloaded(docs[i].text)["input_ids"] == enc
        assert tok.decode(enc) == docs[i].text
    assert len(tok) == corpus.language.vocab.size


def test_corpus_through_suite_interface():
    from quanta.lm.corpora import corpus_key, get_corpus
    from quanta.lm.tokenizer import encode_documents, get_tokenizer

    c = get_corpus("planted", scale="smoke", n_skills=30)
    assert c.cfg.n_skills == 30 and c.manifest()["documents"] == {"train": 400, "test": 100}
    td = encode_documents(c, get_tokenizer(c, 1000), "test", max_docs=20)
    ids, labels, off = c.token_arrays("test", max_docs=20)
    np.testing.assert_array_equal(td.tokens, ids)
    np.testing.assert_array_equal(td.labels, labels)
    np.testing.assert_array_equal(td.offsets, off)
    assert corpus_key(c) != corpus_key(get_corpus("planted", scale="smoke", n_skills=30, alpha=0.7))
    assert corpus_key(c) == corpus_key(get_corpus("planted", scale="smoke", n_skills=30))


@pytest.mark.parametrize("bad, match", [
    (dict(n_skills=0), "n_skills"), (dict(alpha=-0.1), "alpha"), (dict(families=("facts",)), "families"),
    (dict(families=("fact", "fact")), "families"), (dict(parity_bits=3, parity_k=2, span=4), "parity_bits"),
    (dict(noise_rate=1.5), "noise_rate"),
])
def test_bad_config_names_parameter(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        PlantedConfig(**bad)


def test_bad_split_and_scale():
    with pytest.raises(ValueError, match="split"):
        Language(PlantedConfig()).chunk("valid", 0)
    with pytest.raises(ValueError, match="scale"):
        preset("huge")


def test_generation_throughput_recorded(capsys):
    """Measured and printed (see benchmarks/planted_throughput.py for the full measurement)."""
    lang = Language(preset("small"))
    t = time.perf_counter()
    n = sum(lang.chunk("train", c)[0].size for c in range(20))
    rate = n / (time.perf_counter() - t)
    with capsys.disabled():
        print(f"\nplanted generator: {rate / 1e6:.2f} M tokens/s (ids and labels, 1 core)")
    assert n > 0
