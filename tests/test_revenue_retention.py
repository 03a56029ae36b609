"""Revenue retention computation: the sBG against Fader & Hardie's published fits, the waterfall's
balance and per-account rules on small frames, and the planted effects of the embedded sample."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import integrate, stats

from revops_nb import data
from revops_nb.reports import revenue_retention as rr
from revops_nb.reports.revenue_retention import _clv, _sbg, view
from revops_nb.reports.revenue_retention._book import UNATTRIBUTED

# Fader & Hardie (2007), "How to project customer retention", Table 1 and the fits they report
HIGH_END = [869, 743, 653, 593, 551, 517, 491]
REGULAR = [631, 468, 382, 326, 289, 262, 241]
PLANTED_CAC = {"Inbound": 24_000, "Outbound": 42_000, "Partner": 16_000, "Event": 33_000}  # sample effect 14


class Frames:
    """The two methods of a Dataset that ``analyze`` uses, over plain frames."""

    def __init__(self, **frames: pd.DataFrame) -> None:
        self.frames = frames

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    def get(self, name: str) -> pd.DataFrame | None:
        return self.frames.get(name)


def subs(rows: list[tuple]) -> pd.DataFrame:
    """Subscriptions from (account, start, end or None, arr) tuples."""
    frame = pd.DataFrame(rows, columns=["account_id", "start_date", "end_date", "arr"])
    frame["start_date"] = pd.to_datetime(frame["start_date"]).astype("datetime64[ns]")
    frame["end_date"] = pd.to_datetime(frame["end_date"]).astype("datetime64[ns]")
    frame["subscription_id"] = [f"S{i}" for i in range(len(frame))]
    return frame


def settings(**params) -> rr.Settings:
    return rr.Settings.from_params(**({"bootstrap_replicates": 200} | params))


# ---------------------------------------------------------------- sBG


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "log_likelihood"),
    [(HIGH_END, 0.668, 3.806, -1611.2), (REGULAR, 0.704, 1.182, -1680.3)],
)
def test_sbg_recovers_the_published_fits(survivors, alpha, beta, log_likelihood):
    fit = _sbg.fit_sbg(*_sbg.counts_from_survivors(survivors, 1000))
    assert fit.alpha == pytest.approx(alpha, abs=0.001)
    assert fit.beta == pytest.approx(beta, abs=0.002)
    assert fit.log_likelihood == pytest.approx(log_likelihood, abs=0.05)
    ci = fit.interval(0.95)
    assert ci["alpha"][0] < alpha < ci["alpha"][1] and ci["beta"][0] < beta < ci["beta"][1]
    # the fitted curve follows the seven observed years within two percentage points
    fitted = 1000 * _sbg.survival(fit.alpha, fit.beta, np.arange(1, 8))
    assert np.max(np.abs(fitted - np.array(survivors))) < 20


def test_sbg_recovers_simulated_parameters():
    rng = np.random.default_rng(3)
    theta = rng.beta(1.5, 8.0, size=20_000)
    t = rng.geometric(theta)  # period of churn
    horizon = 8
    churned = np.bincount(t[t <= horizon] - 1, minlength=horizon).astype(float)
    alive = np.zeros(horizon + 1)
    alive[horizon] = (t > horizon).sum()
    fit = _sbg.fit_sbg(churned, alive)
    ci = fit.interval(0.99)
    assert ci["alpha"][0] < 1.5 < ci["alpha"][1]
    assert ci["beta"][0] < 8.0 < ci["beta"][1]


def test_sbg_without_churn_has_no_fit():
    assert _sbg.fit_sbg([0, 0, 0], [0, 0, 0, 50]) is None


@pytest.mark.parametrize("n", [0, 3, 12])
def test_discounted_residual_periods_is_the_discounted_sum(n):
    a, b, d = 0.668, 3.806, 0.1
    t = np.arange(n + 1, 5000)
    brute = np.sum(_sbg.survival(a, b, t) / _sbg.survival(a, b, n) / (1 + d) ** (t - n))
    assert _sbg.discounted_residual_periods(a, b, n, d) == pytest.approx(brute, rel=1e-9)


def test_expected_and_median_residual_periods():
    a, b = 3.0, 5.0
    t = np.arange(3, 200_000)
    brute = np.sum(_sbg.survival(a, b, t) / _sbg.survival(a, b, 2))
    assert _sbg.expected_residual_periods(a, b, 2) == pytest.approx(brute, rel=1e-3)
    assert np.isnan(_sbg.expected_residual_periods(0.9, b, 2))  # unbounded mean
    k = int(_sbg.median_residual_periods(a, b, 2)[0])
    assert (
        _sbg.survival(a, b, 2 + k) / _sbg.survival(a, b, 2)
        <= 0.5
        < _sbg.survival(a, b, 1 + k) / _sbg.survival(a, b, 2)
    )


def test_period_discount_compounds():
    assert _sbg.period_discount(0.1, 12) == pytest.approx(0.1)
    assert (1 + _sbg.period_discount(0.1, 3)) ** 4 == pytest.approx(1.1)


# ---------------------------------------------------------------- waterfall on small frames


def test_account_flows_follow_the_per_account_rules():
    opening = np.array([0, 100, 100, 100, 100, 0])
    closing = np.array([50, 0, 130, 80, 100, 0])
    f = rr.account_flows(opening, closing)
    assert (f["new"], f["churned"], f["expansion"], f["contraction"]) == (50, 100, 30, 20)
    assert f["closing"] == f["opening"] + f["new"] + f["expansion"] - f["contraction"] - f["churned"]
    assert (f["n_new"], f["n_churned"], f["n_expanded"], f["n_contracted"]) == (1, 1, 1, 1)


def small_book():
    """A: renews at a higher ARR (two contiguous rows); B: churns; C: two overlapping products,
    one ends (contraction); D: new in 2024Q2; E: reactivates after a gap."""
    return subs(
        [
            ("A", "2024-01-01", "2024-04-15", 100.0),
            ("A", "2024-04-15", None, 150.0),
            ("B", "2024-01-10", "2024-05-20", 200.0),
            ("C", "2024-01-05", None, 300.0),
            ("C", "2024-02-01", "2024-06-10", 50.0),
            ("D", "2024-05-01", None, 75.0),
            ("E", "2024-01-02", "2024-03-01", 40.0),
            ("E", "2024-08-01", None, 40.0),
        ]
    )


def test_waterfall_balances_and_calls_a_new_arr_row_expansion():
    s = settings(period_end="2024-09-30")
    book = rr.prepare_book(small_book(), None, None, None, s)
    table = rr.arr_waterfall(book, s).table.set_index("period")
    assert list(table.index) == ["2024Q1", "2024Q2", "2024Q3"]
    q1, q2, q3 = (table.loc[p] for p in ("2024Q1", "2024Q2", "2024Q3"))
    assert (q1["opening"], q1["new"], q1["closing"]) == (0, 100 + 200 + 350, 650)  # E left in Q1
    assert q2["opening"] == 650
    assert q2["expansion"] == 50  # A: a new row at a higher ARR is expansion, not churn plus new
    assert q2["contraction"] == 50  # C: one of two overlapping rows ended
    assert q2["churned"] == 200 and q2["new"] == 75
    assert q3["new"] == 40  # E comes back
    for row in (q1, q2, q3):
        assert row["closing"] == pytest.approx(
            row["opening"] + row["new"] + row["expansion"] - row["contraction"] - row["churned"], abs=1e-9
        )
    assert q2["nrr"] == pytest.approx((150 + 0 + 300) / 650)
    assert q2["grr"] == pytest.approx((100 + 0 + 300) / 650)
    assert list(table["opening"].iloc[1:]) == list(table["closing"].iloc[:-1])


def test_mrr_only_is_taken_times_twelve():
    frame = small_book().rename(columns={"arr": "mrr"})
    s = settings(period_end="2024-09-30")
    book = rr.prepare_book(frame, None, None, None, s)
    assert rr.arr_waterfall(book, s).table["closing"].iloc[-1] == 12 * (150 + 300 + 75 + 40)


def test_currency_conversion_uses_fx_rates():
    frame = small_book().assign(currency="EUR")
    fx = pd.DataFrame({"currency": ["USD", "EUR"], "rate_to_reporting": [1.0, 1.1]})
    s = settings(period_end="2024-09-30")
    book = rr.prepare_book(frame, None, None, fx, s)
    assert rr.arr_waterfall(book, s).table["closing"].iloc[-1] == pytest.approx(1.1 * 565)


def test_analyze_steps_aside_without_history_churn_or_spend():
    frame = subs([(f"A{i}", "2024-04-01", None, 100.0 + i) for i in range(40)])
    result = rr.analyze(Frames(subscriptions=frame), settings(period_end="2024-06-30"))
    assert len(result.waterfall.table) == 1
    assert "twelve months" in result.ttm.aside
    assert "churned customers" in result.clv.aside and "churned customers" in result.survival.aside
    assert "marketing_spend" in result.acquisition.aside
    figures = result.key_figures()
    assert figures["nrr_ttm"] is None and figures["clv_mean"] is None
    assert figures["arr_new"] == figures["arr_closing"] == sum(100.0 + i for i in range(40))


def test_rows_the_contract_rejects_do_not_crash_the_analysis():
    """End before start and negative ARR are the loader's to exclude; should one slip through, nothing breaks."""
    frame = subs(
        [(f"A{i}", "2024-01-01", "2025-02-01" if i % 3 == 0 else None, 100.0) for i in range(40)]
        + [("B", "2024-06-01", "2024-03-01", 100.0), ("C", "2024-02-01", None, -50.0)]
    )
    result = rr.analyze(Frames(subscriptions=frame), settings(period_end="2025-06-30"))
    t = result.waterfall.table
    balance = t["opening"] + t["new"] + t["expansion"] - t["contraction"] - t["churned"]
    np.testing.assert_allclose(t["closing"], balance)
    assert "B" not in result.book.customers.index or result.book.customers.loc["B", "first_arr"] == 0


# ---------------------------------------------------------------- the embedded sample's planted effects


@pytest.fixture(scope="module")
def sample_result():
    ds = data.load(rr.TABLES)
    return rr.analyze(ds, rr.Settings.from_params(bootstrap_replicates=200))


def test_sample_waterfall_balances_every_period(sample_result):
    t = sample_result.waterfall.table
    balance = t["opening"] + t["new"] + t["expansion"] - t["contraction"] - t["churned"]
    np.testing.assert_allclose(t["closing"], balance, rtol=1e-12)
    np.testing.assert_allclose(t["opening"].iloc[1:], t["closing"].iloc[:-1].to_numpy(), rtol=1e-12)
    f = sample_result.key_figures()
    assert f["arr_closing"] == pytest.approx(
        f["arr_opening"] + f["arr_new"] + f["arr_expansion"] - f["arr_contraction"] - f["arr_churned"],
        rel=1e-12,
    )
    assert f["grr_ttm"] <= 1 and f["grr_ttm_ci_low"] < f["grr_ttm"] < f["grr_ttm_ci_high"]
    assert f["nrr_ttm_ci_low"] < f["nrr_ttm"] < f["nrr_ttm_ci_high"]


def test_the_headline_arr_bridge_ties_out_with_nrr_and_grr(sample_result):
    """The key ARR figures bridge the same twelve months and accounts as NRR/GRR, not the whole history."""
    f = sample_result.key_figures()
    base_day = sample_result.ttm.base_day
    assert f["arr_bridge"] == f"{base_day:%Y-%m-%d} to {sample_result.book.as_of:%Y-%m-%d}"
    assert (
        f["arr_opening"] == pytest.approx(sample_result.ttm.overall["arr_then"], rel=1e-12)
        and f["arr_opening"] > 0
    )
    kept = f["arr_opening"] - f["arr_contraction"] - f["arr_churned"]
    assert f["nrr_ttm"] == pytest.approx((kept + f["arr_expansion"]) / f["arr_opening"], rel=1e-12)
    assert f["grr_ttm"] == pytest.approx(kept / f["arr_opening"], rel=1e-12)
    assert f["arr_closing"] == pytest.approx(sample_result.waterfall.table["closing"].iloc[-1], rel=1e-12)


def test_sample_anniversary_moves_are_mostly_expansions(sample_result):
    """Effect 11: about 70% of renewals expand (a little more among survivors, who are healthier)."""
    t = sample_result.waterfall.table
    share = t["n_expanded"].sum() / (t["n_expanded"].sum() + t["n_contracted"].sum())
    assert 0.65 < share < 0.88
    # term 1 runs at the won amount: nothing expands before the first anniversaries (2024)
    assert t.loc[t["period"] < "2024Q1", ["expansion", "contraction"]].to_numpy().sum() == 0


def test_sample_revenue_per_retained_customer_rises_after_the_first_anniversary(sample_result):
    """Per retained customer, ARR stays at its first-term level for a year, then rises about 10% or more."""
    by_age = sample_result.cohorts.groupby("age")[
        ["retained", "arr_at_age", "observed", "arr_at_start"]
    ].sum()
    per_retained = (by_age["arr_at_age"] / by_age["retained"]) / (by_age["arr_at_start"] / by_age["observed"])
    assert per_retained.loc[1:3].between(0.97, 1.03).all()
    assert per_retained.loc[4:7].between(1.06, 1.30).all()


def test_sample_quarterly_churn_matches_the_planted_hazard(sample_result):
    """Effect 4: monthly hazard 1.2% × exp(−0.8 h), h ~ N(0, 1): mean churn in a customer's first quarter."""
    expected, _ = integrate.quad(
        lambda h: (1 - np.exp(-3 * 0.012 * np.exp(-0.8 * h))) * stats.norm.pdf(h), -8, 8
    )
    row = sample_result.clv.parameters.query(
        "segment == 'All customers' and parameter == 'mean_churn_per_period'"
    )
    estimate, low, high = row[["estimate", "ci_low", "ci_high"]].iloc[0]
    assert low < expected < high
    assert estimate == pytest.approx(expected, rel=0.2)


def test_sample_cac_recovers_the_planted_cac(sample_result):
    channels = sample_result.acquisition.channels.set_index("channel")
    for channel, cac in PLANTED_CAC.items():
        assert channels.loc[channel, "cac"] == pytest.approx(cac, rel=0.08)
        assert channels.loc[channel, "cac_ci_low"] < cac < channels.loc[channel, "cac_ci_high"]
    unattributed = (sample_result.book.customers["channel"] == UNATTRIBUTED).mean()
    assert 0.02 < unattributed < 0.09  # about 5% of won deals carry no lead source


def test_sample_clv_and_base_value(sample_result):
    clv = sample_result.clv
    assert clv.base_ci[0] < clv.base_value < clv.base_ci[1]
    assert clv.base_value == pytest.approx(clv.customers["clv"].sum())
    assert (clv.customers["clv"] > 0).all()
    per_arr = clv.customers["clv"] / clv.customers["current_arr"]
    assert per_arr.between(1, 60).all()  # years of ARR, discounted at 10% a year
    params = clv.parameters
    assert set(params.columns[:5]) == {"segment", "parameter", "estimate", "ci_low", "ci_high"}
    assert (params["ci_low"] <= params["estimate"]).all() and (params["estimate"] <= params["ci_high"]).all()
    assert clv.check["held_out"].any() and clv.check_error < 0.1


def test_sample_cohort_survival_test_runs(sample_result):
    s = sample_result.survival
    assert s.aside is None and np.isfinite(s.test.p_value)
    assert s.hr_ci_low < s.hazard_ratio < s.hr_ci_high
    assert sum(s.sizes.values()) == len(sample_result.book.customers)


def test_sample_tables_have_the_promised_columns(sample_result):
    tables = sample_result.tables()
    assert list(tables["arr_waterfall"].columns) == [
        "period", "opening", "new", "expansion", "contraction", "churned", "closing", "nrr", "grr"
    ]  # fmt: skip
    assert {"cohort", "age", "logo_retention", "revenue_retention"} <= set(tables["cohort_retention"].columns)
    assert {"account_id", "clv", "expected_remaining_years"} <= set(tables["clv_by_customer"].columns)
    for name in ("nrr_ttm", "grr_ttm", "arr_opening", "arr_closing", "arr_new", "arr_expansion",
                 "arr_contraction", "arr_churned", "clv_mean", "customer_base_value"):  # fmt: skip
        assert name in sample_result.key_figures()


def test_sbg_without_spread_across_customers_is_the_constant_churn_limit():
    """Counts that follow one churn rate exactly have their likelihood maximum at infinite alpha and beta:
    the fit reports the constant rate (events / renewals) with a binomial interval, not absurd alpha and beta."""
    theta, n, horizon = 0.05, 3000, 10
    t = np.arange(1, horizon + 1)
    churned = n * theta * (1 - theta) ** (t - 1)
    alive = np.zeros(horizon + 1)
    alive[horizon] = n * (1 - theta) ** horizon
    fit = _sbg.fit_sbg(churned, alive)
    assert fit.constant
    assert fit.mean_churn() == pytest.approx(theta, rel=1e-9)
    assert np.isnan(fit.interval()["alpha"][0])
    a, b = fit.draws(4000, np.random.default_rng(0))
    low, high = np.quantile(a / (a + b), [0.025, 0.975])
    assert low < theta < high and high - low < 0.01


# ---------------------------------------------------------------- tenure in calendar periods


def calendar_churners(n: int = 600, churn: float = 0.10, seed: int = 5) -> tuple[pd.DataFrame, np.ndarray]:
    """Monthly customers who each leave after a geometric number k of calendar months (the end date on
    the anniversary, a day before or a day after), or are still customers on 2025-12-31."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    k = rng.geometric(churn, n)
    rows = []
    for i in range(n):
        end = start[i] + pd.DateOffset(months=int(k[i])) + pd.Timedelta(days=int(rng.integers(-1, 2)))
        rows.append((f"C{i}", start[i], end if end <= pd.Timestamp("2025-12-31") else None, 100.0))
    return subs(rows), k


@pytest.mark.parametrize("clv_period", ["month", "quarter"])
def test_tenure_counts_calendar_periods_so_churners_land_in_their_period(clv_period):
    """A churner after k calendar months (±1 day) paid for k months: it left in month k, quarter ceil(k / 3);
    at 30.4 days a month, a 31-day month or a 92-day quarter counted as two."""
    frame, k = calendar_churners()
    s = settings(period_end="2025-12-31", clv_period=clv_period)
    book = rr.prepare_book(frame, None, None, None, s)
    tenure = _clv.periods_of_tenure(book, s.clv_months)
    months = pd.Series(k, index=[f"C{i}" for i in range(len(k))]).loc[tenure.index]
    churned = tenure["churned"].to_numpy()
    expected = np.ceil(months.to_numpy() / s.clv_months).astype(int)
    np.testing.assert_array_equal(tenure["t"].to_numpy()[churned], expected[churned])
    if clv_period == "month":  # the churn rate is the one the simulated months give (events / renewals)
        observed = ((pd.Timestamp("2025-12-31") - frame["start_date"]).dt.days / 30.4375).astype(int)
        left = frame["end_date"].notna().to_numpy()
        truth = left.sum() / (k[left].sum() + observed[~left].sum())
        churn, alive = _clv.counts(tenure)
        renewals = np.sum(np.arange(1, len(churn) + 1) * churn) + np.sum(np.arange(len(alive)) * alive)
        assert churn.sum() / renewals == pytest.approx(truth, abs=0.001)


def test_tenure_tolerates_end_dates_a_few_days_off_the_anniversary():
    frame = subs(
        [
            ("A", "2024-01-31", "2024-02-29", 100.0),  # one month (February is short)
            ("B", "2024-01-15", "2024-02-14", 100.0),  # one month, a day early
            ("C", "2024-01-15", "2024-02-16", 100.0),  # one month, a day late
            ("D", "2024-01-15", "2024-02-25", 100.0),  # in its second month
            ("E", "2024-01-01", "2024-12-31", 100.0),  # a year
            ("F", "2024-01-01", "2025-01-01", 100.0),  # a year (366 days)
            ("G", "2024-03-15", None, 100.0),  # current: survived 2 months by 2024-05-31
            ("H", "2024-05-28", None, 100.0),  # current: its first month is not over
        ]
    )
    s = settings(period_end="2025-05-31")
    book = rr.prepare_book(frame, None, None, None, s)
    months = _clv.periods_of_tenure(book, 1, until=pd.Timestamp("2024-05-31"))["t"]
    assert months.to_dict() == {"A": 1, "B": 1, "C": 1, "D": 2, "E": 4, "F": 4, "G": 2, "H": 0}
    years = _clv.periods_of_tenure(book, 12)["t"]
    assert years.loc[["E", "F"]].tolist() == [1, 1]


# ---------------------------------------------------------------- free tiers and trials before the paid term


def test_a_free_tier_before_the_paid_term_is_not_part_of_the_customer_life():
    """80 accounts on a free plan (ARR 0) for 180 days, then paying; every fourth leaves after a year, and
    five later drop back to free: the customer starts, is matched to its channel and is counted from the
    first paid day, and a paid customer back on the free plan has churned."""
    rows, deals = [], []
    for i in range(80):
        free = pd.Timestamp("2023-01-01") + pd.Timedelta(days=3 * i)
        paid = free + pd.Timedelta(days=180)
        end = paid + pd.DateOffset(months=12) if i % 4 == 0 else None
        rows += [(f"A{i}", free, paid, 0.0), (f"A{i}", paid, end, 1_200.0)]
        if i % 16 == 1:  # back to the free plan after fifteen paid months
            rows[-1] = (f"A{i}", paid, paid + pd.DateOffset(months=15), 1_200.0)
            rows.append((f"A{i}", paid + pd.DateOffset(months=15), None, 0.0))
        deals.append((f"O{i}", f"A{i}", paid - pd.Timedelta(days=5), "Inbound"))
    frame = subs(rows)
    opportunities = pd.DataFrame(deals, columns=["opportunity_id", "account_id", "close_date", "lead_source"])
    opportunities = opportunities.assign(
        close_date=opportunities["close_date"].astype("datetime64[ns]"), is_won=True, stage="Closed Won"
    )
    months = pd.date_range("2023-01-01", "2025-06-01", freq="MS")
    spend = pd.DataFrame({"period": months.astype("datetime64[ns]"), "channel": "Inbound", "spend": 1e3})
    s = settings(period_end="2025-06-30", clv_period="month", cohort_grain="quarter")
    result = rr.analyze(Frames(subscriptions=frame, opportunities=opportunities, marketing_spend=spend), s)
    customers = result.book.customers
    paid_start = frame[frame["arr"] > 0].groupby("account_id")["start_date"].min()
    pd.testing.assert_series_equal(customers["first_start"], paid_start, check_names=False)
    assert (customers["first_arr"] == 1_200.0).all()
    assert (customers["channel"] == "Inbound").all() and result.acquisition.aside is None
    assert result.acquisition.blended["new_customers"] == 80
    back_to_free = [f"A{i}" for i in range(80) if i % 16 == 1]
    assert customers.loc[back_to_free, "churned"].all()
    assert customers["churned"].sum() == 20 + len(back_to_free)
    age0 = result.cohorts[result.cohorts["age"] == 0]
    assert (age0["logo_retention"] == 1).all()
    tenure = _clv.periods_of_tenure(result.book, 1)
    leavers = [f"A{i}" for i in range(80) if i % 4 == 0]
    assert (tenure.loc[leavers, "t"] == 12).all()  # twelve paid months, not eighteen


# ---------------------------------------------------------------- per-segment fits only where segments differ


def simulated_tenure(
    groups: dict[str, tuple[float, float, int]], seed: int = 11
) -> tuple[pd.DataFrame, pd.Series]:
    """sBG customers per group (alpha, beta, n), each followed for 1 to 16 periods (censored there)."""
    rng = np.random.default_rng(seed)
    frames = []
    for name, (a, b, n) in groups.items():
        t = rng.geometric(rng.beta(a, b, n))
        follow = rng.integers(1, 17, n)
        churned = t <= follow
        index = [f"{name}{i}" for i in range(n)]
        frames.append(
            pd.DataFrame(
                {"churned": churned, "t": np.where(churned, t, follow), "segment": name}, index=index
            )
        )
    frame = pd.concat(frames)
    return frame[["churned", "t"]], frame["segment"]


@pytest.mark.parametrize("seed", [12, 13, 14])
def test_segments_with_the_same_retention_use_the_pooled_fit(seed):
    tenure, segment = simulated_tenure({"Enterprise": (0.7, 4.0, 150), "SMB": (0.7, 4.0, 1_500)}, seed)
    pooled = _sbg.fit_sbg(*_clv.counts(tenure))
    fits, own, lr_p = _clv.segment_fits(tenure, segment, pooled, settings())
    assert own == {"All customers": False, "Enterprise": False, "SMB": False}
    assert fits["Enterprise"] is pooled and fits["SMB"] is pooled
    assert all(0.05 <= lr_p[s] <= 1 for s in ("Enterprise", "SMB"))


def test_segments_that_retain_very_differently_use_their_own_fits():
    tenure, segment = simulated_tenure(
        {"Enterprise": (0.5, 12.0, 300), "SMB": (1.5, 3.0, 1_500), "Tiny": (1, 1, 10)}
    )
    pooled = _sbg.fit_sbg(*_clv.counts(tenure))
    fits, own, lr_p = _clv.segment_fits(tenure, segment, pooled, settings())
    assert own["Enterprise"] and own["SMB"] and not own["Tiny"]
    assert lr_p["Enterprise"] < 0.05 and lr_p["SMB"] < 0.05 and np.isnan(lr_p["Tiny"])
    assert fits["Enterprise"].mean_churn() < pooled.mean_churn() < fits["SMB"].mean_churn()


def test_the_parameters_table_says_which_fit_each_segment_uses():
    rng = np.random.default_rng(4)
    rows, accounts = [], []
    for i in range(400):
        seg = "Enterprise" if i < 100 else "SMB"
        start = pd.Timestamp("2022-01-01") + pd.Timedelta(days=int(rng.integers(0, 700)))
        k = int(rng.geometric(0.04 if seg == "Enterprise" else 0.10))
        end = start + pd.DateOffset(months=3 * k)
        rows.append((f"A{i}", start, end if end <= pd.Timestamp("2025-06-30") else None, 1_000.0))
        accounts.append((f"A{i}", seg))
    frames = Frames(
        subscriptions=subs(rows), accounts=pd.DataFrame(accounts, columns=["account_id", "segment"])
    )
    result = rr.analyze(frames, settings(period_end="2025-06-30"))
    table = result.clv.parameters.drop_duplicates("segment").set_index("segment")
    assert table.loc["All customers", "fit"] == "pooled"
    assert table.loc["Enterprise", "fit"].startswith("own") and table.loc["SMB", "fit"].startswith("own")
    assert table.loc["Enterprise", "lr_p"] < 0.05
    text = "".join(getattr(x, "data", "") for x in view.customer_value(result) if not isinstance(x, Figure))
    assert "own (differs, LR p" in text and "Holm-adjusted" in text
    # Enterprise (4% churn a quarter) is expected to stay about twice as long as anyone has been observed
    assert "**Caution:** the median remaining lifetime of current customers (Enterprise " in text
    stretched = dataclasses.replace(result, clv=dataclasses.replace(result.clv, longest_tenure_years=0.25))
    assert "Enterprise" in view._beyond_sentence(stretched) and "SMB" in view._beyond_sentence(stretched)
    shortened = dataclasses.replace(result, clv=dataclasses.replace(result.clv, longest_tenure_years=50))
    assert view._beyond_sentence(shortened) == ""
    result = rr.analyze(frames, settings(period_end="2025-06-30", min_n=500))
    table = result.clv.parameters.drop_duplicates("segment").set_index("segment")
    assert (
        table.loc["Enterprise", "fit"] == table.loc["SMB", "fit"] == "pooled (too few customers or no churn)"
    )


# ---------------------------------------------------------------- the headline bridge against the waterfall


def test_the_point_to_point_bridge_reconciles_with_the_waterfall_summed_per_period():
    """B is won and lost within the twelve months, C moves up and back down within them: the point-to-point
    bridge sees neither, the quarterly waterfall sees both; the difference is stated and nets to zero."""
    frame = subs(
        [
            ("A", "2023-01-01", None, 500.0),
            ("B", "2024-02-01", "2024-08-15", 100.0),  # won and lost within the year
            ("C", "2023-03-01", "2024-05-01", 300.0),
            ("C", "2024-05-01", "2024-11-01", 350.0),  # up by 50, then back down
            ("C", "2024-11-01", None, 300.0),
            ("D", "2023-06-01", "2024-06-01", 200.0),  # churned
            ("E", "2024-09-01", None, 75.0),  # new
        ]
    )
    s = settings(period_end="2024-12-31")
    result = rr.analyze(Frames(subscriptions=frame), s)
    bridge, _ = result.bridge
    assert (bridge["new"], bridge["churned"], bridge["expansion"], bridge["contraction"]) == (75, 200, 0, 0)
    extra = result.ttm.reconciling()
    assert extra == {"new": 100, "expansion": 50, "contraction": 50, "churned": 100}
    table = result.waterfall.table
    year = table[table["start"] > result.ttm.base_day]
    assert list(year["period"]) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    for flow in extra:
        assert year[flow].sum() == pytest.approx(bridge[flow] + extra[flow])
    assert extra["new"] + extra["expansion"] - extra["contraction"] - extra["churned"] == pytest.approx(0)
    summary = view.summary(result).data
    assert "point to point" in summary
    assert "the quarterly waterfall also counts USD 100 new and USD 100 churned ARR" in summary
    text = "".join(getattr(x, "data", "") for x in view.waterfall(result) if not isinstance(x, Figure))
    assert (
        "counts USD 175 new (USD 75 point to point + USD 100) and USD 300 churned (USD 200 + USD 100)" in text
    )


# ---------------------------------------------------------------- the fit check in words


def test_the_fit_check_gap_is_in_percentage_points_and_a_systematic_side_is_named(sample_result):
    clv = sample_result.clv
    sentence = view._fit_sentence(sample_result)
    assert f"by {100 * clv.check_error:.1f} percentage points on average" in sentence
    assert f"by {100 * clv.check_error:.1f}%" not in sentence
    below = _clv.FitBias(periods=10, below=9, above=1, mean_gap=-0.025)
    shown = dataclasses.replace(sample_result, clv=dataclasses.replace(clv, check_bias=below))
    assert (
        "Over the 10 quarters of tenure it was fitted on, the fitted curve lies below the observed in 9 of them "
        "(by 2.5 percentage points on average): the model understates retention at those tenures."
    ) in view._fit_sentence(shown)
    assert _clv.FitBias(10, 1, 9, 0.02).side == "above"
    assert _clv.FitBias(10, 6, 4, -0.02).side == ""  # either side: no systematic gap
    assert _clv.FitBias(10, 10, 0, -0.004).side == ""  # too small to matter
    assert _clv.FitBias(3, 3, 0, -0.05).side == ""  # too few periods to tell
    bias = _clv.fit_bias(clv.check)
    seen = clv.check[~clv.check["held_out"]]
    assert bias.periods == len(seen) and bias.below + bias.above <= len(seen)
    assert bias.mean_gap == pytest.approx((seen["fitted"] - seen["observed"]).mean())


def test_a_non_significant_trend_or_log_rank_is_no_evidence_not_no_difference(sample_result):
    s = sample_result.survival
    quiet = dataclasses.replace(
        s,
        test=dataclasses.replace(s.test, p_value=0.41),
        hazard_ratio=0.93,
        hr_ci_low=0.81,
        hr_ci_high=1.06,
        hr_p_value=0.28,
    )
    text = view._trend_sentence(dataclasses.replace(sample_result, survival=quiet))
    assert text.startswith(
        "the log-rank test finds no evidence that logo survival differs by start year (p = 0.410)"
    )
    assert (
        "no evidence of a trend towards newer cohorts retaining better or worse (hazard ratio per newer "
        in text
    )
    assert "0.93, 95% CI 0.81–1.06, p = 0.280)." in text
    assert "there is no trend" not in text and "do not differ" not in text
    differ = dataclasses.replace(quiet, test=dataclasses.replace(s.test, p_value=0.001))
    text = view._trend_sentence(dataclasses.replace(sample_result, survival=differ))
    assert text.startswith(
        "logo survival curves by start year differ (log-rank p = 0.001), and no evidence of a trend"
    )
