"""Group tables, skill tables and the ground-truth check on a synthetic planted suite."""

import numpy as np
import pandas as pd
import pytest

from quanta import monogenic as mono

SIZES = np.geomspace(1e4, 3e6, 6)


def planted_like(seed=0, n_skills=40, tokens_per_skill=12, n_unlabelled=300):
    """Skills learned in frequency order: skill k's tokens step down at size index 1 + k // 8;
    unlabelled tokens are irreducible noise."""
    rng = np.random.default_rng(seed)
    m = SIZES.size
    skills = np.repeat(np.arange(n_skills), tokens_per_skill)
    drop = 1 + skills // 8  # 1 … 5
    labelled = np.where(np.arange(m)[None, :] < drop[:, None], 6.5, 0.05)
    labelled = labelled + 0.03 * rng.standard_normal(labelled.shape)
    noise = 3.0 + 0.4 * rng.standard_normal((n_unlabelled, m))
    losses = np.clip(np.vstack([labelled, noise]), 0, None)
    labels = np.concatenate([skills, np.full(n_unlabelled, -1)])
    family = np.array(["fact", "count"])[np.arange(n_skills) % 2]
    return losses, labels, family


def test_ground_truth_recovered_on_a_planted_like_suite():
    losses, labels, family = planted_like()
    c = mono.classify(losses, SIZES, mono.paper_criteria())
    groups = np.where(labels >= 0, family[np.maximum(labels, 0)], mono.UNLABELLED)
    tab = mono.group_table(c, groups, order=["fact", "count", mono.UNLABELLED, "absent"])
    assert list(tab.index) == ["fact", "count", mono.UNLABELLED]
    assert tab.loc["fact", "share_monogenic"] == 1.0 and tab.loc["count", "share_sharp"] == 1.0
    assert tab.loc[mono.UNLABELLED, "share_monogenic"] == 0.0
    assert tab.loc[mono.UNLABELLED, "share_polygenic"] == 0.0
    assert tab["n"].sum() == len(labels)
    sk = mono.skill_table(c, labels, family, min_tokens=5)
    assert len(sk) == 40 and (sk["agreement"] == 1.0).all()
    assert (sk["median_gap"].to_numpy() == np.arange(40) // 8).all()  # gap m = drop index − 1
    assert mono.rank_correlation(sk) > 0.9


def test_family_status_rules():
    rng = np.random.default_rng(4)
    m = SIZES.size
    sharp = np.where(np.arange(m)[None, :] < rng.integers(1, m, 60)[:, None], 6.0, 0.05)
    gradual = 6.0 - 0.4 * np.log(SIZES / SIZES[0])[None, :] + 0.05 * rng.standard_normal((60, m))
    solved = 0.02 + 0.01 * rng.random((60, m))
    flat = 3.0 + 0.2 * rng.standard_normal((60, m))
    losses = np.vstack([sharp, gradual, solved, flat])
    groups = np.repeat(["sharp", "gradual", "solved", "flat"], 60)
    c = mono.classify(losses, SIZES, mono.paper_criteria())
    fs = mono.family_summary(c, groups, order=["solved", "flat", "sharp", "gradual"])
    assert fs["status"].tolist() == list(mono.STATUSES)
    curves = mono.group_curves(c, groups)
    assert curves.loc["solved"].max() < 0.05 and list(curves.columns) == [int(s) for s in SIZES]
    assert fs.loc["sharp", "loss_smallest"] == pytest.approx(losses[:60, 0].mean())
    text = mono.status_text(fs, exclude=("flat",))
    assert "sharp: **sharp**" in text and "flat" not in text.split("solved")[0]


def test_skill_agreement_beats_the_shuffled_baseline():
    losses, labels, family = planted_like(seed=3)
    c = mono.classify(losses, SIZES, mono.paper_criteria())
    sk = mono.skill_table(c, labels, family)
    base = mono.agreement_baseline(c, labels, family, seed=0)
    assert sk["agreement"].median() == 1.0 and base < 0.6
    fam = mono.skill_family_table(sk)
    assert set(fam.index) == {"fact", "count"} and (fam["skills"] == 20).all()
    assert (fam["rank_corr"] > 0.9).all()


def test_shuffled_labels_destroy_the_rank_signal():
    losses, labels, family = planted_like(seed=1)
    c = mono.classify(losses, SIZES, mono.paper_criteria())
    rng = np.random.default_rng(0)
    lab = labels.copy()
    lab[lab >= 0] = rng.permutation(lab[lab >= 0])
    sk = mono.skill_table(c, lab, family, min_tokens=5)
    assert sk["agreement"].median() < 0.6
    assert abs(mono.rank_correlation(sk)) < 0.4


def test_group_table_shares_match_a_naive_count():
    losses, kind = mono.synthetic_curves(SIZES, n_per_kind=50, seed=2)
    c = mono.classify(losses, SIZES, mono.paper_criteria())
    tab = mono.group_table(c, kind)
    for k in ("step", "powerlaw", "noise"):
        sel = kind == k
        assert tab.loc[k, "share_monogenic"] == pytest.approx(c.monogenic[sel].mean())
        sharp = np.isfinite(c.score[sel]) & (np.nan_to_num(c.score[sel]) > 0.5)
        assert tab.loc[k, "share_sharp"] == pytest.approx(sharp.mean())


def test_confusion_and_synthetic_check():
    out = mono.synthetic_check(mono.preset("smoke"), n_per_kind=50)
    tab = out["table"]
    assert tab.loc["step", "monogenic"] == 50 and tab.loc["powerlaw", "polygenic"] == 50
    assert tab.loc["noise", "neither"] == 50 and int(tab.to_numpy().sum()) == 150
    assert out["accuracy"] == 1.0


def test_criteria_table_lists_paper_and_suites():
    losses, _ = mono.synthetic_curves(SIZES, n_per_kind=30)
    c = mono.analyze(losses, SIZES, "rescaled")
    tab = mono.criteria_table({"synthetic": c})
    assert list(tab.columns) == ["paper (Pythia)", "synthetic"]
    assert tab.iloc[0, 0] == 5.0 and tab.iloc[0, 1] == pytest.approx(c.criteria.mono_high, abs=1e-3)
    assert mono.analyze(losses, SIZES, "paper").criteria == mono.paper_criteria()


def test_rank_correlation_degenerate_cases():
    assert np.isnan(mono.rank_correlation(pd.DataFrame({"rank": [1, 2], "median_gap": [0, 1]})))
    assert np.isnan(mono.rank_correlation(pd.DataFrame({"rank": [1, 2, 3], "median_gap": [1, 1, 1]})))


def test_bad_config_and_inputs():
    with pytest.raises(ValueError, match="scale"):
        mono.preset("huge")
    with pytest.raises(ValueError, match="criteria"):
        mono.preset("small", criteria="strict")
    with pytest.raises(TypeError, match="unknown"):
        mono.preset("small", n_gallery=3)
    with pytest.raises(ValueError, match="corpus"):
        mono.suite_config("wikipedia", "small")
    losses, _ = mono.synthetic_curves(SIZES, n_per_kind=5)
    c = mono.classify(losses, SIZES, mono.paper_criteria())
    with pytest.raises(ValueError, match="groups"):
        mono.group_table(c, np.zeros(3))
    with pytest.raises(ValueError, match="skill_family"):
        mono.skill_table(c, np.full(c.n_tokens, 7), np.array(["fact"]))
    with pytest.raises(TypeError, match="cfg"):
        mono.run_corpus({"scale": "small"}, "planted")


def test_rescaling_from_a_given_mean_curve():
    mean = np.asarray(mono.PAPER_MEAN_LOSS_BITS) * mono.LN2
    skills = np.vstack([np.full(7, 9.0), np.full(7, 0.01)])  # per-skill curves with another mean
    cr = mono.rescaled_criteria(skills, mono.PAPER_SIZES, mean=mean)
    assert cr.mono_high == pytest.approx(5.0) and cr.poly_slope == pytest.approx(-0.3)


def test_skill_curve_table_columns():
    losses, labels, family = planted_like(seed=5, n_unlabelled=0)
    curves = np.array([losses[labels == k].mean(0) for k in range(40)])
    c = mono.classify(curves, SIZES, mono.paper_criteria())
    sc = mono.SkillCurves(classes=c, skill=np.arange(40), family=family.astype(object), alpha=0.5,
                          families=("fact", "count"), source="test")
    t = mono.skill_curve_table(sc)
    assert (t["kind"] == "monogenic").all() and (t["rank"] == np.arange(1, 41)).all()
    assert mono.rank_correlation(t) > 0.9
