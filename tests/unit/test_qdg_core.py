"""QDG library: per-sample gradients, sketching, similarity, selection, clustering (paper §5)."""

import numpy as np
import pytest
import torch

from quanta.qdg.cluster import adjusted_rand, relabel_by_size, spectral_fast, spectral_reference
from quanta.qdg.gradients import hook_gradients, naive_gradients
from quanta.qdg.params import PAPER_EXCLUDE, n_dims, select_parameters
from quanta.qdg.rankfreq import envelope_fit, fit_window, scaled_ks
from quanta.qdg.reference import reference_gradient_count, reference_similarity
from quanta.qdg.samples import lm_token_loss, make_lm_batches
from quanta.qdg.select import induction_mask, select_tokens
from quanta.qdg.similarity import angular_similarity, gradient_similarity

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_lm():
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    torch.manual_seed(0)
    cfg = GPTNeoXConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)
    return GPTNeoXForCausalLM(cfg).eval()


@pytest.fixture(scope="module")
def docs():
    rng = np.random.default_rng(0)
    d = [rng.integers(0, 64, size=int(rng.integers(8, 40))) for _ in range(6)]
    di = rng.integers(0, 6, size=24)
    pos = np.array([rng.integers(1, len(d[i])) for i in di])
    return d, di, pos


def test_parameter_subset_excludes_unembedding_and_keeps_final_layer_norm(tiny_lm):
    specs = select_parameters(tiny_lm)
    names = [s.name for s in specs]
    assert "lm_head.weight" not in names  # the naming trap: 'lm_head' contains neither filter word
    assert not any("embed" in n or "layernorm" in n for n in names)
    assert "gpt_neox.final_layer_norm.weight" in names
    # pythia-70m shape: 6 x 3,150,336 + 1,024 = 18,903,040 (SPEC §4.2)
    per_layer = (32 * 96 + 96) + (32 * 32 + 32) + (32 * 64 + 64) + (64 * 32 + 32)
    assert n_dims(specs) == 2 * per_layer + 2 * 32
    dropped = select_parameters(tiny_lm, exclude=PAPER_EXCLUDE + ("final_layer_norm",))
    assert n_dims(dropped) == 2 * per_layer


def test_parameter_subset_matching_nothing_raises(tiny_lm):
    with pytest.raises(ValueError, match="matches no parameter"):
        select_parameters(tiny_lm, include=(r"no_such_module",))


def test_hook_gradients_equal_naive_autograd_on_tiny_lm(tiny_lm, docs):
    d, di, pos = docs
    specs = select_parameters(tiny_lm)
    for _, batch in make_lm_batches(d, di, pos, max_tokens=120, max_batch=8)[:2]:
        fast = hook_gradients(tiny_lm, specs, lm_token_loss, batch)
        slow = naive_gradients(tiny_lm, specs, lm_token_loss, batch)
        assert fast.shape == slow.shape == (batch.targets.shape[0], n_dims(specs))
        torch.testing.assert_close(fast, slow, rtol=1e-4, atol=1e-5)


def test_exact_similarity_equals_authors_full_document_procedure(tiny_lm, docs):
    d, di, pos = docs
    specs = select_parameters(tiny_lm)
    batches = make_lm_batches(d, di, pos, max_tokens=100, max_batch=5)
    ours = gradient_similarity(tiny_lm, specs, lm_token_loss, batches, len(di), mode="exact", show_progress=False,
                               memory_budget_gb=24 * 3000 * 4 / 1e9)  # forces several parameter chunks
    ref = reference_similarity(tiny_lm, specs, d, di, pos, block=7)
    np.testing.assert_allclose(ours.cosine, ref, atol=2e-5)
    A = ours.angular
    assert A.min() >= 0 and A.max() <= 1 and np.allclose(np.diag(A), 1, atol=1e-3)


def test_resume_reuses_partial_blocks(tiny_lm, docs, tmp_path):
    d, di, pos = docs
    specs = select_parameters(tiny_lm)
    batches = make_lm_batches(d, di, pos, max_tokens=100, max_batch=5)
    kw = dict(mode="sketch", sketch_dim=256, show_progress=False, store_dir=tmp_path, blocks_per_file=2)
    first = gradient_similarity(tiny_lm, specs, lm_token_loss, batches, len(di), **kw)
    files = sorted(tmp_path.glob("sketch_block_*.npy"))
    assert len(files) == -(-len(batches) // 2)
    # a "killed" run: the last block never got written; corrupt another one
    files[-1].unlink()
    files[0].write_bytes(b"truncated")
    again = gradient_similarity(tiny_lm, specs, lm_token_loss, batches, len(di), **kw)
    np.testing.assert_allclose(again.cosine, first.cosine, atol=1e-6)


def test_sketch_error_shrinks_with_k(tiny_lm, docs):
    d, di, pos = docs
    specs = select_parameters(tiny_lm)
    batches = make_lm_batches(d, di, pos, max_tokens=400, max_batch=24)
    exact = gradient_similarity(tiny_lm, specs, lm_token_loss, batches, len(di), mode="exact", show_progress=False)
    off = ~np.eye(len(di), dtype=bool)
    errs = []
    for k in (64, 1024, 16384):
        rms = [np.sqrt(np.mean((gradient_similarity(tiny_lm, specs, lm_token_loss, batches, len(di), mode="sketch",
                                                     sketch_dim=k, seed=s, show_progress=False).cosine
                                 - exact.cosine)[off] ** 2)) for s in range(2)]
        errs.append(np.mean(rms))
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.02  # ~1/sqrt(k) = 0.008
    assert errs[0] / errs[2] > 5  # 16x fewer dims -> ~4x less error; 256x -> ~16x


def test_hook_gradients_on_sparse_parity_mlp():
    from quanta.sparse_parity.model import dense_mlp

    net = dense_mlp(width=16, n_tasks=5, n=10, seed=0)
    x = torch.randint(0, 2, (12, 15)).float()
    y = torch.randint(0, 2, (12,))

    def loss_fn(model, batch):
        xb, yb = batch
        return torch.nn.functional.cross_entropy(model(xb), yb, reduction="none")

    specs = select_parameters(net, exclude=())
    assert n_dims(specs) == 15 * 16 + 16 + 16 * 2 + 2
    torch.testing.assert_close(hook_gradients(net, specs, loss_fn, (x, y)), naive_gradients(net, specs, loss_fn, (x, y)))
    sim = gradient_similarity(net, specs, loss_fn, [(np.arange(12), (x, y))], 12, show_progress=False)
    assert np.allclose(np.diag(sim.cosine), 1, atol=1e-5)


def test_induction_filter_and_selection():
    #            0  1  2  3  4  5  6  7   doc 2: 8 9 10
    tokens = np.array([5, 6, 7, 1, 5, 6, 7, 5, 5, 6, 7])
    offsets = np.array([0, 8, 11])
    m = induction_mask(tokens, offsets)
    assert m.tolist() == [False] * 6 + [True] + [False] * 4  # (5,6,7) repeats at 6; doc 2 starts fresh
    losses = np.array([np.nan, .01, .01, .5, .01, .01, .01, .01, np.nan, .02, .05])
    sel = select_tokens(losses, tokens, offsets, 3, threshold=0.1)
    assert sel.n_low_loss == 8 and sel.n_candidates == 7 and sel.step == 2
    assert sel.flat.tolist() == [1, 4, 7]
    assert sel.doc_index.tolist() == [0, 0, 0] and sel.position.tolist() == [1, 4, 7]
    with pytest.raises(ValueError, match="n_tokens=8 is larger than the 7 candidate"):
        select_tokens(losses, tokens, offsets, 8)


def _planted_affinity(sizes, dim=200, sigma=1.0, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    X = rng.normal(size=(len(sizes), dim))[labels] + sigma * rng.normal(size=(labels.size, dim))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return angular_similarity(np.clip(X @ X.T, -1, 1)), labels


def test_clustering_recovers_planted_clusters():
    A, truth = _planted_affinity([60, 40, 30, 20, 15, 10], sigma=0.8)
    fast = spectral_fast(A, [6, 8], seed=0)
    ref = spectral_reference(A, 6, seed=0, n_init=10)
    assert adjusted_rand(fast[6], truth) > 0.95
    assert adjusted_rand(ref[6], truth) > 0.95
    sizes = np.bincount(fast[6])
    assert (np.diff(sizes) <= 0).all()  # numbered by size
    with pytest.raises(ValueError, match="smaller than the number of samples"):
        spectral_fast(A, [A.shape[0]])


def test_relabel_and_envelope():
    assert relabel_by_size([3, 3, 1, 2, 2, 2]).tolist() == [1, 1, 2, 0, 0, 0]
    sizes = np.maximum(1, np.round(1000 * np.arange(1, 401) ** -1.2)).astype(int)
    base = np.repeat(np.arange(400), sizes)
    S = base.size
    labels = {k: np.minimum(base, k - 1) for k in (100, 200, 400)}  # small K lump the tail together
    res = envelope_fit(labels, n_boot=200)
    lo, hi = fit_window(S)
    assert res.ranks == (lo, min(hi, len(res.envelope))) and lo == round(S / 100)
    assert abs(res.slope + 1.2) < 0.1
    assert res.slope_ci[0] <= res.slope <= res.slope_ci[1]
    assert scaled_ks(1000)[:3] == (2, 3, 4) and max(scaled_ks(1000)) == 110


def test_reference_gradient_count_matches_paper():
    assert reference_gradient_count(10_000, 250) == 215_000  # SPEC §4.2: ~215,000 backward passes


def test_presets_and_bad_config():
    from quanta.qdg.pipeline import preset

    cfg = preset("small", corpus="python-stdlib", mode="auto", sketch_dim=None)
    assert cfg.mode == "sketch" and cfg.sketch_dim == 16384 and cfg.loss_quantile == 0.2
    assert preset("small", corpus="planted").loss_quantile is None  # the paper's 0.1 nats
    assert preset("paper").n_tokens == 10_000 and preset("paper").mode == "exact"
    with pytest.raises(ValueError, match="corpus='pile'"):
        preset("small", corpus="pile")
    with pytest.raises(ValueError, match="mode='fast'"):
        preset("small", mode="fast")
    with pytest.raises(TypeError, match="unknown QDGConfig"):
        preset("small", n_token=10)
