import numpy as np
import pytest

from suite.stats import adjust, paired_test

TESTS = ("wilcoxon", "t-test", "permutation")


@pytest.mark.parametrize("test", TESTS)
def test_identical_samples_give_p_one(test):
    a = np.array([0.0, 1.0, 0.5, 0.0])
    assert paired_test(a, a.copy(), test) == 1.0


def test_wilcoxon_all_zero_values_is_one_not_nan():
    zeros = np.zeros(50)
    assert paired_test(zeros, zeros, "wilcoxon") == 1.0


@pytest.mark.parametrize("test", TESTS)
def test_clear_difference_is_significant(test):
    rng = np.random.default_rng(0)
    a = rng.random(200)
    assert paired_test(a + 0.2, a + rng.normal(0, 0.05, 200), test) < 1e-3


@pytest.mark.parametrize("test", TESTS)
def test_noise_is_not_significant(test):
    rng = np.random.default_rng(1)
    a, b = rng.random(200), rng.random(200)
    assert paired_test(a, b, test) > 0.05


def test_wilcoxon_matches_exact_small_case():
    # differences +1..+6 all positive: exact two-sided p = 2 / 2^6
    a = np.arange(1, 7, dtype=float)
    assert paired_test(a, np.zeros(6), "wilcoxon") == pytest.approx(2 / 64)


def test_paired_t_test_matches_textbook_value():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([1.5, 1.0, 2.0, 3.0])  # d = -0.5, 1, 1, 1: mean 0.625, sd 0.75, t = 1.6667, df 3
    assert paired_test(a, b, "t-test") == pytest.approx(0.1942, abs=1e-4)


def test_holm_matches_textbook_procedure():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> monotone 0.06
    assert adjust(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_order():
    adjusted = adjust([0.5, 0.4, 0.3], "holm")
    assert adjusted == pytest.approx([0.9, 0.9, 0.9])


def test_bonferroni_and_none():
    assert adjust([0.01, 0.5], "bonferroni") == pytest.approx([0.02, 1.0])
    assert adjust([0.01, 0.5], "none") == pytest.approx([0.01, 0.5])


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="unknown test"):
        paired_test(np.ones(3), np.zeros(3), "z-test")
    with pytest.raises(ValueError, match="unknown correction"):
        adjust([0.1], "fdr")
