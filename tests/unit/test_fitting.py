import numpy as np
import pytest

from quanta.fitting import envelope, fit_power_law, fit_rank_frequency, fit_zipf_exponent, rank_frequency


def test_recovers_exponent_of_noisy_power_law():
    rng = np.random.default_rng(0)
    x = np.geomspace(10, 1e5, 40)
    y = 3.0 * x**-0.37 * np.exp(rng.normal(0, 0.05, x.size))
    f = fit_power_law(x, y, n_boot=500)
    assert abs(f.exponent - 0.37) < 0.02
    lo, hi = f.exponent_ci
    assert lo < 0.37 < hi and hi - lo < 0.05
    assert f.r2 > 0.98
    np.testing.assert_allclose(f.predict(x), 3.0 * x**-0.37, rtol=0.1)


def test_exact_power_law_and_agreement_with_polyfit():
    x = np.array([1.0, 2.0, 5.0, 10.0, 30.0])
    y = 2 * x**1.5
    f = fit_power_law(x, y, n_boot=0)
    assert f.slope == pytest.approx(1.5)
    assert f.prefactor == pytest.approx(2.0)
    rng = np.random.default_rng(1)
    y2 = y * np.exp(rng.normal(0, 0.2, y.size))
    assert fit_power_law(x, y2, n_boot=0).slope == pytest.approx(np.polyfit(np.log(x), np.log(y2), 1)[0])


def test_bootstrap_interval_covers_truth_most_of_the_time():
    rng = np.random.default_rng(2)
    x = np.geomspace(1, 1e3, 25)
    hits = 0
    for i in range(60):
        y = x**-0.5 * np.exp(rng.normal(0, 0.1, x.size))
        lo, hi = fit_power_law(x, y, n_boot=300, seed=i).exponent_ci
        hits += lo <= 0.5 <= hi
    assert hits >= 48  # nominal 95 %; the percentile bootstrap is a little narrow at n = 25


@pytest.mark.parametrize("x,y,msg", [([1, 2], [1, -1], "> 0"), ([1], [1], "at least 2"), ([1, 1, 1], [1, 2, 3], "distinct"),
                                     ([1, 2, 3], [1, 2], "same length")])
def test_bad_input(x, y, msg):
    with pytest.raises(ValueError, match=msg):
        fit_power_law(x, y)


def test_rank_frequency_envelope_and_zipf():
    labels = np.repeat(np.arange(5), [50, 10, 30, 1, 5])
    np.testing.assert_array_equal(rank_frequency(labels), [50, 30, 10, 5, 1])
    env = envelope([np.array([10, 5]), np.array([8, 7, 1])])
    np.testing.assert_array_equal(env, [10, 7, 1])
    k = np.arange(1, 501)
    counts = 1e6 * k**-1.4
    assert fit_zipf_exponent(counts[::-1], n_boot=0).slope == pytest.approx(-1.4)
    assert fit_rank_frequency(counts, rank_min=101, rank_max=400, n_boot=0).slope == pytest.approx(-1.4)
