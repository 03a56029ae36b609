"""Property and reference tests of the statistics every report relies on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revops_nb import stats


@given(n=st.integers(1, 5000), data=st.data(), confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@settings(max_examples=200, deadline=None)
def test_wilson_interval_contains_the_rate_and_stays_in_0_1(n, data, confidence):
    k = data.draw(st.integers(0, n))
    low, high = stats.wilson_interval(k, n, confidence)
    rate = k / n
    assert 0 <= low <= rate + 1e-12
    assert rate <= high + 1e-12 <= 1 + 2e-12


@given(n=st.integers(5, 2000), data=st.data())
@settings(max_examples=100, deadline=None)
def test_wilson_interval_narrows_with_confidence(n, data):
    k = data.draw(st.integers(0, n))
    lo90, hi90 = stats.wilson_interval(k, n, 0.90)
    lo99, hi99 = stats.wilson_interval(k, n, 0.99)
    assert lo99 <= lo90 + 1e-12 and hi90 <= hi99 + 1e-12


def test_wilson_matches_the_textbook_value():
    low, high = stats.wilson_interval(8, 10, 0.95)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    low0, high0 = stats.wilson_interval(0, 0)
    assert np.isnan(low0) and np.isnan(high0)


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        stats.wilson_interval(11, 10)


def test_wilson_covers_the_true_rate_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    p, n = 0.2, 60
    k = rng.binomial(n, p, size=4000)
    low, high = stats.wilson_interval(k, np.full_like(k, n))
    coverage = np.mean((low <= p) & (p <= high))
    assert 0.93 < coverage < 0.97


@given(st.lists(st.integers(0, 10), min_size=1, max_size=400))
@settings(max_examples=200, deadline=None)
def test_nps_is_bounded_and_inside_its_interval(scores):
    res = stats.nps_score(scores)
    assert -100 <= res.ci_low <= res.nps <= res.ci_high <= 100
    assert res.promoters + res.passives + res.detractors == pytest.approx(1.0)
    assert res.n == len(scores)


def test_nps_reference_values_and_other_scales():
    res = stats.nps_score([10, 10, 9, 8, 7, 6, 0, 3, 9, 10])
    assert res.nps == pytest.approx(20.0)
    a_pro, a_det = 6 / 13, 4 / 13  # (count + 1) / (n + 3)
    var = (a_pro + a_det - (a_pro - a_det) ** 2) / 10
    assert res.ci_high - res.nps == pytest.approx(100 * 1.959964 * np.sqrt(var), rel=1e-4)
    extreme = stats.nps_score([10, 10, 10])
    assert extreme.nps == 100 and extreme.ci_low < 100 and extreme.passives == 0
    csat = stats.nps_score([5, 5, 4, 1, 2, 3], detractor_max=2, promoter_min=5)
    assert csat.nps == pytest.approx(0.0)


def test_nps_interval_covers_the_truth():
    rng = np.random.default_rng(3)
    probs = np.array([0.25, 0.35, 0.40])  # detractor, passive, promoter
    true_nps = 100 * (probs[2] - probs[0])
    hits = 0
    for _ in range(1500):
        cats = rng.choice([3, 8, 10], size=150, p=probs)
        res = stats.nps_score(cats)
        hits += res.ci_low <= true_nps <= res.ci_high
    assert 0.93 < hits / 1500 < 0.97


def test_rate_table_flags_small_groups_and_ranks_the_rest():
    frame = pd.DataFrame(
        {
            "g": ["a"] * 40 + ["b"] * 50 + ["c"] * 5,
            "won": [True] * 10 + [False] * 30 + [True] * 40 + [False] * 10 + [True] * 5,
        }
    )
    table = stats.rate_table(frame, "g", "won", min_n=30)
    assert table["value"].tolist() == ["b", "a", "c"]
    assert table["flagged"].tolist() == [False, False, True]
    assert table.loc[0, "rate"] == pytest.approx(0.8) and table.loc[0, "n"] == 50
    assert (table["ci_low"] <= table["rate"]).all() and (table["rate"] <= table["ci_high"]).all()


def test_two_proportion_test_uses_exact_test_for_small_counts():
    assert stats.two_proportion_test(2, 5, 4, 6).test == "Fisher's exact test"
    big = stats.two_proportion_test(300, 1000, 200, 1000)
    assert big.test == "two-proportion z-test" and big.significant()
    assert not stats.two_proportion_test(100, 1000, 102, 1000).significant()


def test_independence_test():
    res = stats.independence_test(np.array([[90, 10], [60, 40]]))
    assert res.test == "chi-square test" and res.p_value < 1e-4
    assert np.isnan(stats.independence_test(np.array([[5, 5]])).p_value)


def test_bootstrap_drops_undefined_resamples_and_can_stratify():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(4)
    y = np.array([1, 1] + [0] * 58)
    score = rng.random(60) + y * 0.5
    assert np.isnan(stats.bootstrap_interval((y, score), roc_auc_score, n_resamples=200)[0])
    low, high = stats.bootstrap_interval((y, score), roc_auc_score, n_resamples=200, strata=y)
    assert 0 <= low <= roc_auc_score(y, score) <= high <= 1


def test_rate_table_ignores_missing_outcomes():
    frame = pd.DataFrame({"g": ["a", "a", "a"], "won": pd.array([True, None, False], dtype="boolean")})
    row = stats.rate_table(frame, "g", "won").iloc[0]
    assert row["n"] == 2 and row["rate"] == 0.5


def test_bootstrap_interval_is_reproducible_and_contains_the_estimate():
    rng = np.random.default_rng(0)
    x = rng.normal(10, 2, 200)
    one = stats.bootstrap_interval(x, np.mean, seed=7, n_resamples=500)
    two = stats.bootstrap_interval(x, np.mean, seed=7, n_resamples=500)
    assert one == two and one[0] < x.mean() < one[1]


def test_kaplan_meier_matches_a_hand_computation():
    curve = stats.kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1])
    # S(1)=5/6, S(2)=5/6*4/5=2/3, S(3)=2/3*2/3=4/9, S(5)=0
    assert curve["survival"].round(4).tolist() == [1.0, 0.8333, 0.6667, 0.4444, 0.0]
    assert (curve["ci_low"] <= curve["survival"] + 1e-9).all() and (
        curve["survival"] <= curve["ci_high"] + 1e-9
    ).all()
    assert stats.survival_at(curve, 2.5) == pytest.approx(2 / 3)
    assert stats.median_survival(curve) == 3.0


def test_kaplan_meier_interval_is_the_exponential_greenwood_one():
    """The pointwise band is Greenwood's on the log(-log S) scale: S ** exp(±z se / |log S|)."""
    curve = stats.kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1], confidence=0.9)
    s = np.array([5 / 6, 2 / 3, 4 / 9])
    greenwood = np.cumsum([1 / (6 * 5), 1 / (5 * 4), 1 / (3 * 2)])
    theta = stats.z_value(0.9) * np.sqrt(greenwood) / np.abs(np.log(s))
    assert curve["ci_low"].iloc[1:4].to_numpy() == pytest.approx(s ** np.exp(theta), abs=1e-12)
    assert curve["ci_high"].iloc[1:4].to_numpy() == pytest.approx(s ** np.exp(-theta), abs=1e-12)
    assert curve["ci_low"].iloc[-1] == curve["ci_high"].iloc[-1] == 0.0  # S = 0: no interval left


def test_holm_adjusts_over_the_finite_p_values_and_leaves_nan_alone():
    p = pd.Series([0.01, 0.04, np.nan, 0.03], index=list("abcd"))
    adjusted, reject = stats.holm(p, 0.05)
    # three finite p-values: 0.01 x 3, max(0.03 x 2, 0.03), max(0.04 x 1, 0.06)
    assert adjusted[["a", "b", "d"]].tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(adjusted["c"]) and not reject["c"]
    assert reject.tolist() == [True, False, False, False]
    none_finite = stats.holm(pd.Series([np.nan, np.inf]), 0.05)
    assert none_finite[0].isna().all() and not none_finite[1].any()


def test_logrank_detects_a_real_difference_and_not_a_null_one():
    rng = np.random.default_rng(2)
    fast, slow = rng.exponential(5, 150), rng.exponential(15, 150)
    t = np.concatenate([fast, slow])
    e = np.ones_like(t)
    g = ["fast"] * 150 + ["slow"] * 150
    assert stats.logrank_test(t, e, g).p_value < 1e-6
    same = rng.exponential(10, 300)
    assert stats.logrank_test(same, e, g).p_value > 0.001


@pytest.mark.parametrize(
    ("durations", "events", "groups", "reason"),
    [
        ([0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], list("ababab"), "every duration is the same (0)"),
        ([3, 3, 3, 3], [1, 0, 1, 0], list("abab"), "every duration is the same (3)"),
        ([1, 2, 3, 4], [1, 1, 0, 1], list("aaaa"), "only one group has data"),
        ([1, 2, 3, 4], [0, 0, 0, 0], list("abab"), "no event happened"),
        ([5, 5, 1, 2], [1, 1, 0, 0], list("abcc"), "the variance of the test statistic is singular"),
        ([np.nan, np.nan], [1, 1], list("ab"), "there is no duration to compare"),
    ],
    ids=["zero-day", "all equal", "one group", "no events", "singular variance", "no data"],
)
def test_logrank_on_degenerate_data_says_why_it_cannot_test(durations, events, groups, reason):
    """Regression: every deal closing on its creation day made survdiff raise LinAlgError: Singular matrix."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = stats.logrank_test(durations, events, groups)
    assert np.isnan(result.statistic) and np.isnan(result.p_value) and result.test == "none"
    assert reason in result.note and not result.significant()


def test_logrank_result_has_no_note_when_it_tests():
    result = stats.logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], list("aaabbb"))
    assert np.isfinite(result.p_value) and result.note == ""


@pytest.mark.parametrize(
    ("durations", "events", "survival"),
    [
        ([0, 0, 0], [1, 1, 1], [1.0, 0.0]),
        ([0, 0, 0], [0, 0, 0], [1.0]),
        ([4, 4, 4, 4], [1, 0, 1, 0], [1.0, 0.5]),
        ([], [], []),
    ],
    ids=["zero-day", "no events", "all equal", "empty"],
)
def test_kaplan_meier_on_degenerate_data_neither_raises_nor_warns(durations, events, survival):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curve = stats.kaplan_meier(durations, events)
    assert curve["survival"].tolist() == survival
    assert ((curve["ci_low"] <= curve["survival"]) & (curve["survival"] <= curve["ci_high"])).all()


def test_spearman_and_growth_helpers():
    assert stats.spearman([1, 2, 3, 4], [10, 20, 30, 40]).statistic == pytest.approx(1.0)
    assert np.isnan(stats.spearman([1, 1, 1], [1, 2, 3]).p_value)
    assert stats.growth_rate(120, 100) == pytest.approx(0.2)
    assert np.isnan(stats.growth_rate(5, 0))
    assert stats.cagr(100, 121, 2) == pytest.approx(0.1)
