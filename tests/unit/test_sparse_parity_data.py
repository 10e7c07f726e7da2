"""Multitask sparse parity data: labels, Zipf frequencies, subsets, determinism, bad input."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from quanta.sparse_parity.data import (make_subsets, make_task, one_hot_inputs, per_task_test_set, sample_batch,
                                       zipf_probs, zipf_test_counts)
from quanta.sparse_parity.reference import loop_batch


def test_zipf_probs_use_paper_alpha():
    # SPEC §2.1: authors' alpha=1.4 (paper α=0.4), n_tasks=500: p_1=0.3451, p_10=0.01374, p_500=5.75e-5
    p = zipf_probs(500, 0.4)
    assert p.sum() == pytest.approx(1.0)
    assert p[0] == pytest.approx(0.3451, abs=1e-4) and p[9] == pytest.approx(0.01374, abs=1e-5)
    assert p[499] == pytest.approx(5.75e-5, rel=1e-2) and p[:40].sum() == pytest.approx(0.876, abs=1e-3)


def test_parity_labels_are_correct():
    task = make_task(30, 16, 3, 0.4, seed=3)
    ids, bits, y = sample_batch(task, 5000, torch.Generator().manual_seed(0))
    S = task.subsets.numpy()
    b = bits.numpy().astype(int)
    expect = b[np.arange(len(b))[:, None], S[ids.numpy()]].sum(1) % 2
    np.testing.assert_array_equal(y.numpy(), expect)
    assert set(np.unique(b)) == {0, 1} and 0.45 < y.float().mean() < 0.55


def test_subtask_frequencies_follow_zipf_law():
    task = make_task(20, 10, 3, 0.4, seed=0)
    ids, _, _ = sample_batch(task, 200_000, torch.Generator().manual_seed(1))
    counts = np.bincount(ids.numpy(), minlength=20)
    expected = zipf_probs(20, 0.4) * counts.sum()
    chi2, pval = stats.chisquare(counts, expected)
    assert pval > 1e-3
    # and a wrong α is rejected
    assert stats.chisquare(counts, zipf_probs(20, 0.6) * counts.sum()).pvalue < 1e-10


def test_subsets_distinct_sorted_and_exhaustive_when_tight():
    S = make_subsets(120, 10, 3, seed=0)        # all C(10,3) = 120 subsets
    assert S.shape == (120, 3) and (np.diff(S, axis=1) > 0).all()
    assert len({tuple(r) for r in S}) == 120
    np.testing.assert_array_equal(S, make_subsets(120, 10, 3, seed=0))
    assert not np.array_equal(make_subsets(50, 20, 3, seed=0), make_subsets(50, 20, 3, seed=1))


def test_generator_is_deterministic_for_a_seed():
    task = make_task(10, 8, 3, 0.4, seed=0)
    a = sample_batch(task, 100, torch.Generator().manual_seed(5))
    b = sample_batch(task, 100, torch.Generator().manual_seed(5))
    for x, y in zip(a, b):
        assert torch.equal(x, y)


def test_per_task_test_set_and_one_hot_layout():
    task = make_task(6, 8, 3, 0.4, seed=0)
    ids, bits, y = per_task_test_set(task, 4, torch.Generator().manual_seed(0))
    assert ids.tolist() == sum([[i] * 4 for i in range(6)], [])
    x = one_hot_inputs(ids, bits, 6)
    assert x.shape == (24, 14) and torch.equal(x[:, :6].argmax(1), ids) and torch.equal(x[:, 6:], bits.float())
    assert zipf_test_counts(task, 1000).tolist() == np.floor(zipf_probs(6, 0.4) * 1000).astype(int).tolist()


def test_reference_loop_generator_labels():
    task = make_task(8, 8, 3, 0.4, seed=0)
    x, y = loop_batch(task, [3, 0, 2, 1, 0, 0, 4, 1])
    ids = x[:, :8].argmax(1)
    assert ids.tolist() == [0, 0, 0, 2, 2, 3, 6, 6, 6, 6, 7]
    S = task.subsets[ids]
    assert torch.equal(y, (torch.gather(x[:, 8:], 1, S).sum(1) % 2).long())


@pytest.mark.parametrize("args, name", [((10, 5, 6), "k"), ((57, 8, 3), "n_tasks"), ((10, 8, 0), "k")])
def test_bad_shapes_fail_before_work(args, name):
    with pytest.raises(ValueError, match=name):
        make_subsets(*args, seed=0)


@pytest.mark.parametrize("alpha", [0.0, -0.5])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        zipf_probs(10, alpha)
