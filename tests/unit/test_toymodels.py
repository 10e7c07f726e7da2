"""Appendix D.2 toy model: generator, similarity, spectral clustering, calibration."""

import numpy as np
import pytest
from sklearn.cluster import SpectralClustering
from sklearn.metrics import adjusted_rand_score

from quanta import toymodels as tm


def test_cluster_sizes_follow_floor_a_over_i_alpha():
    sizes = tm.cluster_sizes(1000, 1000.0, 1.0)
    assert sizes[:4].tolist() == [1000, 500, 333, 250]
    assert sizes[7] == 125  # exact quotient, not 124
    assert sizes.sum() == 7069  # sum of floor(1000 / i) over i = 1..1000
    s15 = tm.cluster_sizes(1000, 1000.0, 1.5)
    assert s15[99] == 1 and s15[100] == 0  # 1000 / 100^1.5 = 1 exactly; 101 gets nothing
    naive = np.array([int(np.floor(200 / i**0.8 + 1e-9)) for i in range(1, 201)])
    np.testing.assert_array_equal(tm.cluster_sizes(200, 200.0, 0.8), naive)


def test_amplitude_for_hits_the_sample_size():
    for alpha in (0.8, 1.2, 1.6):
        a = tm.amplitude_for(1500, alpha)
        assert tm.cluster_sizes(1500, a, alpha).sum() >= 1500
        assert tm.cluster_sizes(1500, a * 0.999, alpha).sum() < 1500


def test_default_protocol_is_the_qdg_chapter_protocol():
    from quanta.qdg import fit_window, scaled_ks

    cfg = tm.preset("small").slopes
    assert cfg.cluster_ks == scaled_ks(cfg.n_points) and cfg.fit_ranks == fit_window(cfg.n_points)


def test_sample_clusters_shapes_and_noise():
    gen = tm.ToyClusters(n_subtasks=30, amplitude=40.0, alpha=1.0, dim=50, sigma=0.5, seed=3)
    x, y = tm.sample_clusters(gen)
    assert x.shape == (gen.n_points, 50) and y.shape == (gen.n_points,)
    np.testing.assert_array_equal(np.bincount(y, minlength=30), gen.sizes)
    # Within-cluster spread is sigma per coordinate.
    resid = np.concatenate([x[y == i] - x[y == i].mean(0) for i in range(3)])
    assert resid.std() == pytest.approx(0.5, rel=0.1)
    x2, y2 = tm.sample_clusters(gen)
    np.testing.assert_array_equal(x, x2)  # seeded


def test_similarity_is_one_plus_cosine():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 7))
    s = tm.similarity(x)
    naive = np.array([[1 + a @ b / np.linalg.norm(a) / np.linalg.norm(b) for b in x] for a in x])
    np.testing.assert_allclose(s, naive, atol=1e-12)
    assert s.min() >= 0 and s.max() <= 2
    np.testing.assert_allclose(np.diag(s), 2.0)


def test_clean_planted_clustering_is_recovered():
    """sigma = 0 and k = number of subtasks: every point lands with its subtask."""
    for dim in (30, 1000):
        gen = tm.ToyClusters(n_subtasks=10, amplitude=100.0, alpha=1.0, dim=dim, sigma=0.0, seed=1)
        x, y = tm.sample_clusters(gen)
        (labels,) = tm.spectral_labels(tm.similarity(x), [10], n_init=5, seed=0)
        assert adjusted_rand_score(y, labels) == 1.0
        # Recovered sizes equal the planted ones.
        np.testing.assert_array_equal(np.sort(np.bincount(labels))[::-1], gen.sizes)


def test_one_eigendecomposition_matches_sklearn_spectral_clustering():
    gen = tm.ToyClusters(n_subtasks=12, amplitude=80.0, alpha=1.0, dim=100, sigma=0.5, seed=2)
    x, y = tm.sample_clusters(gen)
    s = tm.similarity(x)
    ks = (4, 8, 12)
    ours = tm.spectral_labels(s, ks, n_init=10, seed=0)
    for k, lab in zip(ks, ours):
        ref = SpectralClustering(n_clusters=k, affinity="precomputed", n_init=10,
                                 random_state=0).fit_predict(s)
        assert len(np.unique(lab)) == k
        assert adjusted_rand_score(ref, lab) > 0.95


def test_calibration_monotone_and_inverts_exactly():
    rng = np.random.default_rng(0)
    alphas = np.array([0.8, 1.0, 1.2, 1.4])
    expo = 0.3 + 0.6 * alphas[:, None] + 0.02 * rng.standard_normal((4, 6))
    cal = tm.calibrate({"alphas": alphas, "exponent": expo})
    assert cal.slope == pytest.approx(0.6, abs=0.05)
    grid = np.linspace(0.5, 2.0, 50)
    assert np.all(np.diff(cal.predict(grid)) > 0)
    # Inversion: the estimate's predicted measurement is the measurement; more measured -> more true.
    ests = [cal.invert(m) for m in (0.85, 0.95, 1.05)]
    assert all(e.bounded for e in ests)
    assert [e.estimate for e in ests] == sorted(e.estimate for e in ests)
    for m, e in zip((0.85, 0.95, 1.05), ests):
        assert cal.predict(e.estimate) == pytest.approx(m)
        assert e.ci[0] < e.estimate < e.ci[1]
    # A noisier measurement gives a wider interval.
    wide = cal.invert(0.95, (0.85, 1.05))
    assert wide.ci[1] - wide.ci[0] > ests[1].ci[1] - ests[1].ci[0]


def test_calibration_coverage_on_synthetic_lines():
    """The inverse-regression interval covers the true alpha about 95 % of the time."""
    rng = np.random.default_rng(1)
    alphas = np.linspace(0.8, 1.5, 8)
    hits = 0
    for _ in range(200):
        expo = 0.5 + 0.4 * alphas[:, None] + 0.05 * rng.standard_normal((8, 3))
        cal = tm.calibrate({"alphas": alphas, "exponent": expo})
        true = rng.uniform(0.9, 1.4)
        est = cal.invert(0.5 + 0.4 * true + 0.05 * rng.standard_normal())
        hits += est.ci[0] <= true <= est.ci[1]
    assert 0.88 <= hits / 200 <= 0.99


def test_flat_calibration_refused_or_unbounded():
    alphas = np.array([0.8, 1.0, 1.2])
    down = tm.calibrate({"alphas": alphas, "exponent": np.array([[1.0, 1.1], [0.9, 1.0], [0.8, 0.9]])})
    assert not down.invertible
    est = down.invert(0.95)
    assert np.isnan(est.estimate) and not est.bounded
    cal = tm.calibrate({"alphas": alphas, "exponent": np.array([[1.0, 1.2], [1.0, 1.2], [1.05, 1.2]])})
    assert not cal.invert(1.1).bounded


def test_small_run_slopes_end_to_end():
    cfg = tm.SlopeConfig(n_points=150, dim=200, sigma=0.0, alphas=(0.8, 1.6), ks=(4, 8, 12),
                         ranks=(1, 8), n_seeds=1, n_init=3)
    res = tm.run_slopes(cfg)
    assert res["exponent"].shape == (2, 1) and res["envelopes"].shape == (2, 1, 12)
    assert np.all(res["n_points"] >= 150) and np.all(res["n_points"] < 160)
    # Noise-free clusters: the envelope's head is the planted sizes, so the exponent follows alpha.
    assert res["exponent"][1, 0] > res["exponent"][0, 0] + 0.15
    # Few, large planted clusters (alpha = 1.6) are recovered, so the envelope has their slope.
    assert abs(res["exponent"][1, 0] - res["true_exponent"][1]) < 0.2


def test_bad_input_fails_before_work():
    with pytest.raises(ValueError, match="alpha"):
        tm.ToyClusters(alpha=0.0)
    with pytest.raises(ValueError, match="sigma"):
        tm.ToyClusters(sigma=-1.0)
    with pytest.raises(TypeError, match="dim"):
        tm.ToyClusters(dim=10.5)
    with pytest.raises(ValueError, match="ranks"):
        tm.SlopeConfig(ks=(10, 20), ranks=(2, 30))
    with pytest.raises(ValueError, match="scale"):
        tm.preset("huge")
    with pytest.raises(ValueError, match="n_clusters"):
        tm.spectral_labels(np.ones((5, 5)) + np.eye(5), [5])
    with pytest.raises(ValueError, match="measured_ci"):
        tm.calibrate({"alphas": np.array([1.0, 2.0]), "exponent": np.array([[1.0, 1.1], [2.0, 2.1]])}
                     ).invert(1.5, (1.6, 1.7))
