"""Monogenic / polygenic criteria and the breakthroughness score on synthetic curves."""

import dataclasses

import numpy as np
import pytest

import quanta.monogenic as mc

SIZES = np.geomspace(2e4, 6e6, 6)  # a geometric ladder of 6 models (2.5 decades)


@pytest.fixture(scope="module")
def synthetic():
    losses, kind = mc.synthetic_curves(SIZES, n_per_kind=300, seed=1)
    return losses, kind, mc.classify(losses, SIZES, mc.paper_criteria())


def test_step_is_monogenic_powerlaw_polygenic_noise_neither(synthetic):
    losses, kind, c = synthetic
    step, power, noise = (kind == "step"), (kind == "powerlaw"), (kind == "noise")
    assert c.monogenic[step].all() and not c.polygenic[step].any()
    assert c.polygenic[power].all() and not c.monogenic[power].any()
    assert not c.monogenic[noise].any() and not c.polygenic[noise].any()
    assert set(c.kind()[step]) == {"monogenic"} and set(c.kind()[noise]) == {"neither"}


def test_monogenic_drop_index_is_the_step_position():
    m = SIZES.size
    for j in range(1, m):
        curve = np.where(np.arange(m) < j, 7.0, 0.01)[None, :]
        assert mc.monogenic_index(curve, 5.0, 0.3).tolist() == [j]
        c = mc.classify(curve, SIZES, mc.paper_criteria())
        assert c.drop_index.tolist() == [j] and c.gap.tolist() == [j - 1]
        assert c.score[0] == pytest.approx(1.0)


def test_monogenic_rule_matches_naive_loop():
    rng = np.random.default_rng(3)
    losses = rng.choice([0.1, 0.2, 0.4, 4.0, 5.5, 8.0], size=(4000, 5))
    fast = mc.monogenic_index(losses, 5.0, 0.3)
    naive = np.full(len(losses), -1)
    for t, row in enumerate(losses):
        for j in range(1, 5):
            if np.all(row[:j] > 5.0) and np.all(row[j:] < 0.3):
                naive[t] = j
    assert (fast == naive).all() and (naive >= 0).sum() > 10


def test_almost_steps_fail_the_strict_rule():
    # one model below the drop under the high threshold, or one above it over the low one
    a = np.array([[7.0, 4.9, 0.1, 0.1, 0.1, 0.1], [7.0, 7.0, 0.1, 0.31, 0.1, 0.1]])
    assert (mc.monogenic_index(a, 5.0, 0.3) == -1).all()


def test_loglinear_fit_matches_polyfit():
    rng = np.random.default_rng(0)
    losses = rng.uniform(0, 8, size=(50, SIZES.size))
    slope, intercept, r2 = mc.loglinear_fit(losses, SIZES)
    x = np.log(SIZES)
    for t in range(50):
        b, a = np.polyfit(x, losses[t], 1)
        pred = a + b * x
        ref_r2 = 1 - ((losses[t] - pred) ** 2).sum() / ((losses[t] - losses[t].mean()) ** 2).sum()
        assert slope[t] == pytest.approx(b) and intercept[t] == pytest.approx(a)
        assert r2[t] == pytest.approx(ref_r2)


def test_columns_are_sorted_by_size():
    losses, _ = mc.synthetic_curves(SIZES, n_per_kind=20, seed=2)
    perm = np.array([3, 0, 5, 1, 4, 2])
    a = mc.classify(losses, SIZES, mc.paper_criteria())
    b = mc.classify(losses[:, perm], SIZES[perm], mc.paper_criteria())
    assert (a.drop_index == b.drop_index).all() and np.allclose(a.slope, b.slope)


def test_score_bounds_and_extremes():
    m = SIZES.size
    losses, _ = mc.synthetic_curves(SIZES, n_per_kind=200, seed=4)
    score, gap, net = mc.breakthroughness(losses)
    ok = np.isfinite(score)
    assert ok.sum() > 300
    assert (score[ok] >= 1 / (m - 1) - 1e-12).all() and (score[ok] <= 1 + 1e-12).all()
    line = 6.0 - 0.5 * np.log(SIZES / SIZES[0])  # equal decrements on a geometric ladder
    s, _, _ = mc.breakthroughness(line[None, :])
    assert s[0] == pytest.approx(1 / (m - 1))


def test_score_invariances_and_monotonicity():
    rng = np.random.default_rng(5)
    losses = rng.uniform(0, 6, size=(200, SIZES.size))
    s0, g0, _ = mc.breakthroughness(losses)
    s1, g1, _ = mc.breakthroughness(2.5 * losses + 1.3)
    assert np.allclose(s0, s1, equal_nan=True) and (g0 == g1).all()
    # sharper sigmoids in ln N score higher
    x = np.log(SIZES)
    mid = x.mean()
    widths = [3.0, 1.0, 0.3, 0.1]
    sig = np.array([4.0 / (1 + np.exp((x - mid - 0.2) / w)) for w in widths])
    s, _, _ = mc.breakthroughness(sig)
    assert np.all(np.diff(s) > 0)


def test_min_drop_masks_flat_and_rising_curves():
    flat = np.full((1, SIZES.size), 3.0)
    rising = np.linspace(1.0, 4.0, SIZES.size)[None, :]
    small = np.linspace(3.0, 2.8, SIZES.size)[None, :]
    s, _, net = mc.breakthroughness(np.vstack([flat, rising, small]), min_drop=0.5)
    assert np.isnan(s).all()
    assert net.tolist() == pytest.approx([0.0, -3.0, 0.2])


def test_rescaled_criteria_are_identity_on_a_pythia_like_suite():
    # a suite whose mean-loss curve is Pythia's gives back the paper's thresholds
    mean = np.asarray(mc.PAPER_MEAN_LOSS_BITS) * mc.LN2
    losses = mean[None, :] + np.array([[-0.5], [0.5]])
    cr = mc.rescaled_criteria(losses, mc.PAPER_SIZES)
    assert cr.mono_high == pytest.approx(mc.PAPER_MONO_HIGH_NATS)
    assert cr.mono_low == pytest.approx(mc.PAPER_MONO_LOW_NATS)
    assert cr.poly_slope == pytest.approx(mc.PAPER_POLY_SLOPE_NATS)
    assert cr.min_drop == pytest.approx(mc.paper_criteria().min_drop)
    assert cr.poly_r2 == mc.PAPER_POLY_R2 and cr.source == "rescaled"


def test_rescaled_criteria_scale_with_the_suite():
    mean = np.asarray(mc.PAPER_MEAN_LOSS_BITS) * mc.LN2
    cr = mc.rescaled_criteria(0.5 * mean[None, :], mc.PAPER_SIZES)
    assert cr.mono_high == pytest.approx(2.5) and cr.mono_low == pytest.approx(0.15)
    assert cr.poly_slope == pytest.approx(-0.15)
    # the same relative curve on a smaller, differently spaced ladder keeps the slope ratio
    sizes = np.geomspace(1e4, 1e6, 7)
    x = np.log(sizes)
    curve = 3.0 - 0.2 * (x - x[0])
    cr = mc.rescaled_criteria(curve[None, :], sizes)
    assert cr.poly_slope == pytest.approx(-0.3 * 0.2 / -mc.paper_loss_scale()["slope"])


def test_rescaling_a_suite_that_does_not_improve_uses_the_loss_level():
    mean = np.asarray(mc.PAPER_MEAN_LOSS_BITS) * mc.LN2
    flat = np.full((2, 7), mean[0])
    cr = mc.rescaled_criteria(flat, mc.PAPER_SIZES)
    assert cr.source == "rescaled (level only)"
    assert cr.poly_slope == pytest.approx(mc.PAPER_POLY_SLOPE_NATS)
    assert cr.mono_high == pytest.approx(mc.PAPER_MONO_HIGH_NATS)
    with pytest.raises(ValueError, match="positive"):
        mc.rescaled_criteria(np.zeros((2, 7)), mc.PAPER_SIZES)


def test_summary_counts(synthetic):
    losses, kind, c = synthetic
    s = mc.summary(c)
    assert s["n_monogenic"] == 300 and s["n_polygenic"] == 300 and s["n_tokens"] == 900
    assert sum(s["monogenic_per_size"]) == 300 and len(s["monogenic_per_size"]) == SIZES.size - 1
    assert s["score_floor"] == pytest.approx(0.2)


@pytest.mark.parametrize("bad, match", [
    (dict(losses=np.zeros((3, 5))), "shape"),
    (dict(losses=np.full((3, 6), np.nan)), "finite"),
    (dict(sizes=np.array([1.0])), "at least 2"),
    (dict(sizes=np.array([1.0, 2.0, 2.0, 3.0, 4.0, 5.0])), "distinct"),
    (dict(sizes=-SIZES), "positive"),
])
def test_bad_curves_are_rejected(bad, match):
    kw = dict(losses=np.ones((3, 6)), sizes=SIZES) | bad
    with pytest.raises(ValueError, match=match):
        mc.classify(kw["losses"], kw["sizes"], mc.paper_criteria())


def test_bad_criteria_are_rejected():
    with pytest.raises(ValueError, match="mono_low"):
        mc.Criteria(mono_high=0.2, mono_low=0.3)
    with pytest.raises(ValueError, match="poly_r2"):
        mc.Criteria(poly_r2=1.5)
    with pytest.raises(ValueError, match="poly_slope"):
        mc.Criteria(poly_slope=0.1)
    with pytest.raises(TypeError, match="criteria"):
        mc.classify(np.ones((2, 6)), SIZES, criteria={"mono_high": 5})
    assert dataclasses.replace(mc.paper_criteria(), poly_r2=0.9).poly_r2 == 0.9
