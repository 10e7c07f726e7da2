"""Scoring a clustering against planted skills."""

import numpy as np
import pytest

from quanta.planted import Language, PlantedConfig
from quanta.planted.scoring import score_clustering


@pytest.fixture(scope="module")
def sample():
    lang = Language(PlantedConfig(n_skills=60, alpha=0.5))
    _, labels, _ = lang.sample_tokens(300)
    return lang, labels[labels >= 0]


def test_perfect_clustering(sample):
    lang, s = sample
    perm = np.random.default_rng(0).permutation(60)
    sc = score_clustering(perm[s], s, skill_family=lang.skill_family, alpha=0.5, rank_max=20)
    assert sc.purity == sc.inverse_purity == sc.family_purity == 1.0
    assert sc.ari == pytest.approx(1.0) and sc.nmi == pytest.approx(1.0)
    assert sc.cluster_exponent == pytest.approx(sc.label_exponent)
    assert abs(sc.cluster_exponent - sc.true_exponent) < 0.15  # sizes of a Zipf sample recover α+1


def test_random_and_family_clusterings(sample):
    lang, s = sample
    rnd = score_clustering(np.random.default_rng(1).integers(0, 60, s.size), s)
    assert abs(rnd.ari) < 0.01 and rnd.purity < 0.5
    fam_ids = np.unique(lang.skill_family, return_inverse=True)[1]
    fam = score_clustering(fam_ids[s], s, skill_family=lang.skill_family)
    # families are recovered, skills within them are not
    assert fam.family_purity == 1.0 and fam.inverse_purity == 1.0 and fam.n_clusters == 6
    assert fam.purity < 0.9 and 0 < fam.ari < 0.9 and fam.nmi < 0.8


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        score_clustering([0, 1], [0, 1, 2])
    with pytest.raises(TypeError, match="clusters"):
        score_clustering([0.5, 1.0], [0, 1])
