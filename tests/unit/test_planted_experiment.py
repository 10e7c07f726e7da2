"""Reductions of the planted study: per-skill losses, learning order, α_N on planted curves."""

import numpy as np
import pytest

from quanta.planted import experiment as ex


def test_skill_losses_match_naive_loop():
    rng = np.random.default_rng(0)
    losses = rng.random((500, 3))
    labels = rng.integers(-1, 7, 500)
    mean, count = ex.skill_losses(losses, labels, 8)
    for k in range(8):
        sel = labels == k
        assert count[k] == sel.sum()
        if sel.any():
            np.testing.assert_allclose(mean[:, k], losses[sel].mean(0))
        else:
            assert np.isnan(mean[:, k]).all()


def _synthetic(alpha, K=20000, M=6, C=4):
    """A result where model m has learned exactly the first n_m ∝ N skills (the quantization model)."""
    cfg = ex.preset("smoke", n_skills=K, alphas=(alpha,))
    N = np.geomspace(1e4, 1e5, M)
    n = np.round(10 * N / N[0]).astype(int)
    p = np.arange(1, K + 1) ** -(alpha + 1.0)
    p /= p.sum()
    loss = np.full((1, M, C, K), 3.0)
    for m in range(M):
        loss[0, m, -1, : n[m]] = 0.0
        for c in range(C):  # checkpoints: learned in order of frequency as training proceeds
            loss[0, m, c, : n[m] * (c + 1) // C] = 0.0
    counts = np.round(p * 1e9).astype(int)[None]
    mean = (loss * p).sum(-1)
    return ex.StudyResult(cfg=cfg, alphas=np.array([alpha]), n_params=N, steps=np.arange(1, C + 1) * 10,
                          skill_loss=loss, skill_count=counts, mean_labelled=mean, mean_unlabelled=mean, mean_all=mean,
                          probs=p[None], family=np.array(["fact"] * K))


@pytest.mark.parametrize("alpha", [0.3, 0.8])
def test_alpha_n_recovers_planted_exponent(alpha):
    r = _synthetic(alpha)
    fit = r.alpha_n_fits(n_boot=200)[0]
    # tail of a Zipf sum ≈ n^-α (up to the finite-K truncation, which steepens it at small α)
    assert abs(fit.exponent - alpha) < 0.06
    rho, p, n = r.order_correlation(alpha, by="size")
    assert rho > 0.1 and p < 1e-6 and n == r.skill_loss.shape[-1]  # most skills tie at "never"
    rho_s, _, _ = r.order_correlation(alpha, by="step")
    assert rho_s > 0.1


def test_learned_indices():
    r = _synthetic(0.5)
    size = r.learned_size(0.5)
    assert size[0] == 0 and size[-1] == len(r.n_params)  # rank 1 by the smallest, the last never
    assert (np.diff(size) >= 0).all()


def test_study_config_validation():
    with pytest.raises(ValueError, match="alphas"):
        ex.preset("smoke", alphas=(0.6, 0.3))
    with pytest.raises(ValueError, match="scale"):
        ex.preset("tiny")
    with pytest.raises(TypeError, match="unknown StudyConfig"):
        ex.preset("smoke", widths=(1, 2))
    with pytest.raises(ValueError, match="alpha"):
        _synthetic(0.5).index(0.7)


def test_freeze_cli_overrides_name_the_pilot_config():
    from quanta.planted.__main__ import parse_sets

    for name, over in ex.PILOTS.items():
        sets = parse_sets([f"{k}={v!r}" for k, v in over.items()])
        assert ex.artifact_name(ex.preset("small", **sets)) == ex.artifact_name(ex.pilot_config(name))
    assert ex.pilot_config(ex.SMALL_PILOT) == ex.preset("small")
    with pytest.raises(ValueError, match="FIELD=VALUE"):
        parse_sets(["n_skills"])


def test_frozen_small_study_shows_progressive_learning_and_a_power_law():
    """The committed `small` artifact (GPU): skills are learned progressively across the suite, in
    order of frequency, and the mean labelled loss falls as a power of N at every α."""
    from quanta.artifacts import has_artifact
    from quanta.planted import Language

    cfg = ex.preset("small")
    assert has_artifact(ex.artifact_name(cfg)), "the small preset must have its frozen artifact in results/"
    res, source = ex.study(cfg, device="cpu", progress=False)
    assert source.startswith("artifact")  # loaded, never retrained in the tests
    K, M = cfg.n_skills, len(cfg.sizes)
    assert res.skill_loss.shape == (len(cfg.alphas), M, len(res.steps), K)
    assert res.steps[-1] == cfg.steps
    np.testing.assert_allclose(res.probs[0], Language(cfg.language(cfg.alphas[0])).probs)
    for i, (alpha, fit) in enumerate(zip(res.alphas, res.alpha_n_fits(n_boot=300))):
        learned = (res.skill_loss[i, :, -1] < cfg.threshold).sum(-1)
        present = (res.skill_count[i] > 0).sum()
        assert learned[0] < 0.1 * present          # the smallest member has learned few skills...
        assert learned[-1] > 0.4 * present         # ...the largest many, but not all
        assert learned[-1] < present
        assert res.mean_labelled[i, -1, -1] < 0.05 * res.mean_labelled[i, 0, -1]
        assert fit.r2 > 0.9 and fit.exponent_ci[0] > 0.4   # a clear power law in N
        for by in ("size", "step"):
            rho, p, n = res.order_correlation(alpha, by=by)
            assert rho > 0.15 and p < 1e-3, (alpha, by, rho, p)  # frequent skills are learned first


def test_pilot_table_lists_committed_pilots():
    rows = ex.pilot_table(n_boot=50)
    assert [r["pilot"] for r in rows] == [n + (" (small)" if n == ex.SMALL_PILOT else "") for n in ex.PILOTS]
    assert all(r["K"] == ex.PILOTS[r["pilot"].split()[0]]["n_skills"] for r in rows)
