import numpy as np
import pytest

from quanta import theory as T


@pytest.mark.parametrize("alpha", [0.3, 0.5, 1.0])
def test_tail_mass_matches_direct_sum_and_approximation(alpha):
    k = np.arange(1, 2_000_001)
    p = T.zipf_probs(alpha, k)
    for n in (0, 1, 10, 1000):
        direct = 1.0 - p[:n].sum()
        assert T.tail_mass(alpha, n) == pytest.approx(direct, abs=2_000_000.0**-alpha / (alpha * 1.0) * 1.1)
    n = np.array([1e3, 1e5])
    np.testing.assert_allclose(T.tail_mass_approx(alpha, n) / T.tail_mass(alpha, n), 1.0, rtol=0.01 if alpha < 1 else 0.002)
    assert T.loss_n(alpha, 10, a=0.5, b=2.0) == pytest.approx(0.5 + 1.5 * T.tail_mass(alpha, 10))


def test_entropy_and_appendix_a_asymptotics():
    alpha = 0.5
    k = np.arange(1, 5_000_001, dtype=float)
    p = T.zipf_probs(alpha, k)
    # entropy: direct sum converges slowly; compare with a tail-corrected sum
    assert T.zipf_entropy(alpha) == pytest.approx(float((-p * np.log(p)).sum()), rel=2e-2)
    assert T.loss_n_unigram(alpha, 0) == pytest.approx(T.zipf_entropy(alpha))
    n = np.array([100, 10_000, 1_000_000])
    ratio = T.loss_n_unigram_approx(alpha, n) / T.loss_n_unigram(alpha, n, k_max=1_000_000)
    assert abs(ratio[-1] - 1) < abs(ratio[0] - 1) and abs(ratio[-1] - 1) < 0.02


def test_predicted_exponents_and_bad_alpha():
    assert T.predicted_exponents(0.4)["alpha_D"] == pytest.approx(0.2857, abs=1e-4)
    assert T.predicted_alpha_d(0.083) == pytest.approx(0.0766, abs=1e-4)
    with pytest.raises(ValueError, match="alpha=-0.1"):
        T.zipf_probs(-0.1, [1])
    with pytest.raises(ValueError, match="b=0.5"):
        T.TheoryConfig(a=1.0, b=0.5)
    with pytest.raises(ValueError, match="scale='big'"):
        T.preset("big")


def test_simulated_learners_recover_the_predicted_exponents():
    cfg = T.preset("smoke")
    res = T.run_scaling(cfg, progress_bar=False)
    alpha = cfg.alphas[0]
    pred = T.predicted_exponents(alpha)
    for r, key in (("N", "alpha_N"), ("D", "alpha_D"), ("S", "alpha_S")):
        f = res.fits[(r, alpha)]
        assert abs(f.exponent - pred[key]) < 0.03, (r, f.exponent, pred[key])
    # the data-limited learner learns n ∝ D^{1/(α+1)} quanta
    nl = res.n_learned_D[0].mean(0)
    sel = nl > 10
    slope = np.polyfit(np.log(res.D[sel]), np.log(nl[sel]), 1)[0]
    assert abs(slope - 1 / (alpha + 1)) < 0.05


def test_emergence_is_sharp_per_quantum_and_ordered_by_frequency():
    cfg = T.preset("smoke")
    em = T.emergence(cfg, track=8)
    ql, S = em["quanta_loss"], em["S"]
    half = np.array([S[np.argmax(row < 0.5 * (cfg.a + cfg.b))] for row in ql])
    from scipy.stats import spearmanr

    assert spearmanr(np.arange(len(half)), half).statistic > 0.85  # rarer quanta are learned later
    assert half[0] < half[2] < half[5]
    ratio = half[5] / half[0]
    expected = (em["p"][0] / em["p"][5])
    assert 0.3 * expected < ratio < 3 * expected  # steps to learn ∝ 1/p_k
