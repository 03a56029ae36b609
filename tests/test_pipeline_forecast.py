"""Pipeline and forecast: the planted funnel, lead rates and stage times are recovered; no leakage.

The sample plants (revops_nb/sample.py, effects 12 and 13): a lost deal's last open stage is
Prospecting 40%, Qualification 30%, Proposal 20%, Negotiation 10%, so at a closed win rate w
the stage-to-next conversions are w + 0.6(1 - w), then (w + 0.3(1 - w)) / (w + 0.6(1 - w)),
(w + 0.1(1 - w)) / (w + 0.3(1 - w)) and w / (w + 0.1(1 - w)); stage times scale with segment
(Enterprise about 3x SMB); leads convert to MQL at 35%, MQLs to SQL at 30/45/40/20% (Inbound,
Outbound, Partner, Event) and SQLs to deals at 60%. Tolerances are three binomial standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from revops_nb import data
from revops_nb.reports import pipeline_forecast as pf
from revops_nb.reports.pipeline_forecast import _forecast, _plan, view
from revops_nb.reports.pipeline_forecast._coverage import coverage, forecast_period
from revops_nb.reports.pipeline_forecast._funnel import weakest_step

MQL_TO_SQL = {"Inbound": 0.30, "Outbound": 0.45, "Partner": 0.40, "Event": 0.20}


def within(observed: float, expected: float, n: int, k: float = 3.0) -> bool:
    return abs(observed - expected) <= k * math.sqrt(expected * (1 - expected) / n)


@pytest.fixture(scope="module")
def ds():
    return data.load(pf.TABLES)


@pytest.fixture(scope="module")
def result(ds):
    return pf.analyze(ds, pf.Settings.from_params())


@pytest.fixture(scope="module")
def prepared(ds):
    settings = pf.Settings.from_params()
    deals = pf.prepare_deals(ds["opportunities"], ds.get("accounts"), ds.get("fx_rates"), settings)
    return deals, pf.stage_history(ds["opportunity_stages"], deals, settings.stages), settings


def test_stage_conversions_recover_the_planted_funnel(result):
    f = result.funnel
    w = f.win_rate
    assert 0.24 < w < 0.30
    expected = [
        w + 0.6 * (1 - w),
        (w + 0.3 * (1 - w)) / (w + 0.6 * (1 - w)),
        (w + 0.1 * (1 - w)) / (w + 0.3 * (1 - w)),
        w / (w + 0.1 * (1 - w)),
    ]
    for row, exp in zip(f.table.itertuples(), expected, strict=True):
        assert within(row.conversion, exp, row.reached), (row.stage, row.conversion, exp)
        assert row.ci_low <= row.conversion <= row.ci_high
    # to won from each stage: w / P(reach stage)
    reach = [1, w + 0.6 * (1 - w), w + 0.3 * (1 - w), w + 0.1 * (1 - w)]
    for row, r in zip(f.table.itertuples(), reach, strict=True):
        assert within(row.win_rate, w / r, row.reached)
    assert f.table["won"].eq(f.n_won).all() and f.n_unplaced == 0


def test_a_weakest_step_is_named_only_when_a_test_sets_it_apart(result):
    # the sample's Qualification and Proposal steps convert alike (69.3% vs 69.4%): no weakest step
    w = result.funnel.weakest
    assert not w.named and set(w.tied) == {1, 2} and w.p_value > 0.05
    line = view._funnel_line(result)
    assert "The weakest step is" not in line
    assert "No single step is the weakest" in line and "Qualification → Proposal 69.3%" in line
    assert "Proposal → Negotiation 69.4%" in line
    # a clearly lower step is named, with its test against the next-lowest
    table = pd.DataFrame({"reached": [1000, 700, 400], "moved_on": [700, 400, 320]})
    table["conversion"] = table["moved_on"] / table["reached"]
    named = weakest_step(table, 0.05)
    assert named.named and named.lowest == 1 and named.next_lowest == 0 and named.p_value < 0.05
    # a step lower than the next-lowest but not by a test is listed with it, not named
    close = pd.DataFrame({"reached": [1000, 100, 400], "moved_on": [700, 65, 320]})
    close["conversion"] = close["moved_on"] / close["reached"]
    tied = weakest_step(close, 0.05)
    assert not tied.named and tied.tied == (1, 0)


def test_time_in_stage_is_longer_for_enterprise_and_says_so(result):
    seg = result.funnel.breakdowns["segment"].set_index(["group", "stage"])["median_days"]
    for stage in result.settings.stages:
        ratio = seg[("Enterprise", stage)] / seg[("SMB", stage)]
        assert 2.0 < ratio < 4.5, (stage, ratio)
    tests = result.funnel.tests
    time_tests = tests[(tests["dimension"] == "segment") & (tests["measure"] == "time")]
    assert time_tests["significant"].all()
    # still-open deals are censored: every stage has stays that have not ended
    assert (result.funnel.table["median_days"] > 0).all()


def test_repeated_same_stage_rows_change_no_time_in_stage(ds):
    """Salesforce writes a row with the same stage on every amount or close-date edit: one per stay here."""
    settings = pf.Settings.from_params()
    deals = pf.prepare_deals(ds["opportunities"], ds.get("accounts"), ds.get("fx_rates"), settings)
    stages = ds["opportunity_stages"].sort_values(["opportunity_id", "entered_date"], kind="stable")
    nxt = stages.groupby("opportunity_id")["entered_date"].shift(-1)
    mid = stages["entered_date"] + (nxt - stages["entered_date"]) / 2
    edits = stages.assign(entered_date=mid.dt.normalize())[
        nxt.notna() & (mid.dt.normalize() > stages["entered_date"])
    ]
    noisy = pd.concat([stages, edits], ignore_index=True)
    base = pf.stage_funnel(deals, pf.stage_history(stages, deals, settings.stages), settings).table
    history = pf.stage_history(noisy, deals, settings.stages)
    got = pf.stage_funnel(deals, history, settings).table
    cols = ["reached", "moved_on", "median_days", "days_ci_low", "days_ci_high", "stays"]
    pd.testing.assert_frame_equal(got[cols], base[cols])
    assert base["median_days"].iloc[0] >= 20  # Prospecting: about four weeks, not halved
    assert any(f"{len(edits):,} stage-history rows repeat the stage" in n for n in history.notes)


def test_a_move_back_counts_at_the_stage_moved_to_and_adds_up_visits():
    day = pd.Timestamp("2026-01-05")
    frame = pd.DataFrame(
        {
            "opportunity_id": ["a", "b", "c"],
            "stage": ["Closed Won", "Qualification", "Qualification"],
            "amount": [100.0, 200.0, 300.0],
            "created_date": [day] * 3,
            "close_date": [day + pd.Timedelta(days=50), pd.NaT, pd.NaT],
            "is_closed": [True, False, False],
            "is_won": [True, False, False],
        }
    )
    settings = pf.Settings.from_params(as_of="2026-04-01")
    deals = pf.prepare_deals(frame, None, None, settings)
    rows = [  # (deal, stage, days after `day`)
        ("a", "Prospecting", 0),
        ("a", "Prospecting", 3),  # an edit: same stage again
        ("a", "Qualification", 10),
        ("a", "Proposal", 20),
        ("a", "Qualification", 22),  # moved back two days later
        ("a", "Proposal", 30),
        ("a", "Negotiation", 40),
        ("b", "Prospecting", 0),
        ("b", "Qualification", 10),
        ("b", "Proposal", 20),
        ("b", "Qualification", 30),  # pushed back, still there
        ("c", "Prospecting", 0),
        ("c", "Discovery", 5),  # not in stage_order
        ("c", "Qualification", 9),
    ]
    table = pd.DataFrame(rows, columns=["opportunity_id", "stage", "offset"])
    table["entered_date"] = day + pd.to_timedelta(table.pop("offset"), unit="D")
    history = pf.stage_history(table, deals, settings.stages)
    stays = history.stays(deals).set_index(["opportunity_id", "order"])
    assert stays.loc[("a", 0), "days"] == 10  # the edit on day 3 did not end the stay
    assert stays.loc[("a", 1), "days"] == 10 + 8 and stays.loc[("a", 1), "visits"] == 2
    assert stays.loc[("a", 2), "days"] == 2 + 10 and stays.loc[("a", 3), "days"] == 10
    assert stays.loc[("a", 3), "left"] and not stays.loc[("b", 1), "left"]  # b is still in Qualification
    assert stays.loc[("c", 0), "days"] == 5  # the unlisted stage ended the Prospecting stay
    assert not stays.reset_index().duplicated(["opportunity_id", "order"]).any()  # one per deal and stage
    ids = pd.Series(["a", "b", "c"])
    assert list(history.stage_at(ids, day + pd.Timedelta(days=25))) == [1.0, 2.0, 1.0]
    assert history.stage_at(ids, day + pd.Timedelta(days=6)).isna().iloc[2]  # in the unlisted stage
    assert list(history.reached(deals)) == [3.0, 2.0, 1.0]  # furthest, for conversion
    assert list(history.current(deals).iloc[1:]) == [1.0, 1.0]  # where open deals are now
    snap = _forecast.snapshot(deals, history, day + pd.Timedelta(days=31), day + pd.Timedelta(days=60))
    assert dict(zip(snap["row"], snap["stage"], strict=True)) == {0: 2, 1: 1, 2: 1}
    funnel = pf.stage_funnel(deals, history, settings)
    assert list(funnel.table["open_now"]) == [0, 2, 0, 0]
    text = " ".join(history.notes)
    assert "1 stage-history rows repeat the stage" in text and "2 deals moved back" in text
    assert "1 stage-history rows name a stage that is not in stage_order (e.g. 'Discovery')" in text


def test_lead_rates_recover_the_planted_rates(result):
    leads = result.leads
    table = leads.table.set_index("step")
    lead_mql, sql_opp = table.loc["lead → MQL"], table.loc["SQL → opportunity"]
    assert within(lead_mql["rate"], 0.35, lead_mql["n"])
    assert within(sql_opp["rate"], 0.60, sql_opp["n"])
    by_source = leads.by_source[leads.by_source["step"] == "MQL → SQL"].set_index("source")
    for source, rate in MQL_TO_SQL.items():
        assert within(by_source.loc[source, "rate"], rate, by_source.loc[source, "n"]), source
    sig = leads.tests.set_index("step")["significant"]
    assert sig["MQL → SQL"]


def test_backtest_uses_nothing_that_closed_after_a_periods_start(prepared):
    deals, history, settings = prepared
    base = _forecast.backtest(deals, history, settings)
    period = pd.Period(base.table["period"].iloc[3], settings.freq)
    start = period.start_time
    # rewrite the future: every outcome from the period's start on is flipped, later stage moves dropped
    frame = deals.frame.copy()
    later = frame["status"].isin(["won", "lost"]) & (frame["close_date"] >= start)
    frame.loc[later, "status"] = frame.loc[later, "status"].map({"won": "lost", "lost": "won"})
    changed = pf.Deals(frame, deals.as_of, deals.currency)
    trimmed = pf.StageHistory(history.stages, history.rows[history.rows["entered_date"] < start], True)
    other = _forecast.backtest(changed, trimmed, settings)
    cols = ["open_deals", "open_pipeline", "allowance", "stage_weighted", "model"]
    upto = base.table["period_start"] <= start
    pd.testing.assert_frame_equal(base.table.loc[upto, cols], other.table.loc[upto, cols])
    assert not np.isclose(base.table["actual"].iloc[3], other.table["actual"].iloc[3])
    assert (base.table["last_outcome_used"] < base.table["period_start"]).all()


def test_the_stage_rate_of_a_period_comes_from_earlier_windows_only(prepared):
    deals, history, settings = prepared
    p = pd.Period("2025Q1", "Q")
    earlier = [
        _forecast.snapshot(deals, history, q.start_time, q.end_time.normalize())
        for q in pd.period_range("2023Q1", "2024Q4", freq="Q")
    ]
    train = pd.concat(earlier, ignore_index=True)
    pipeline = _forecast.snapshot(deals, history, p.start_time, p.end_time.normalize())
    backtest = _forecast.backtest(deals, history, settings).table.set_index("period")
    expected = _forecast.stage_weighted(train, pipeline) + backtest.loc["2025Q1", "allowance"]
    assert backtest.loc["2025Q1", "stage_weighted"] == pytest.approx(expected)
    assert set(train["stage"]) <= {0, 1, 2, 3} and not train.empty


def test_forecast_accuracy_and_the_current_range(result):
    b = result.backtest
    assert len(b.table) == result.settings.backtest_periods
    acc = b.accuracy.set_index("method")
    assert acc.loc[b.chosen, "mape"] == acc["mape"].min() < 0.25
    assert abs(acc.loc[b.chosen, "bias"]) < 0.2
    figures = result.key_figures()
    assert figures["forecast_period"] == "2026Q4"
    assert 0 < figures["forecast_current_low"] < figures["forecast_current_high"]
    for name in ("forecast_mape", "forecast_bias", "coverage_ratio", "required_opportunities"):
        assert figures[name] is not None, name
    assert figures["required_mqls_low"] < figures["required_mqls_high"]
    assert {"stage_funnel", "forecast_backtest", "sla_plan"} <= set(result.tables())


def test_the_stated_share_of_past_errors_inside_the_range_is_the_true_share(result):
    b, settings = result.backtest, result.settings
    cur = b.current
    errors = b.table[f"{b.chosen}_error"].dropna().to_numpy(float)
    outcomes = cur["won_to_date"] + cur["predicted"] / (1 + errors)
    inside = int(((outcomes >= cur["low"] - 1e-6) & (outcomes <= cur["high"] + 1e-6)).sum())
    assert cur["errors"] == len(errors) == 8 and cur["inside"] == inside
    assert inside / len(errors) >= settings.range_confidence
    assert result.key_figures()["forecast_range_share"] == pytest.approx(inside / len(errors))
    words = "all 8 of the past quarters' forecast errors" if inside == 8 else f"{inside} of the 8 past"
    assert words in view._forecast_line(result)
    text = "".join(item.data for item in view.forecast_section(result) if hasattr(item, "data"))
    assert words in text and "the range is itself uncertain" in text
    assert cur["expected_coverage"] == pytest.approx(7 / 9)  # smallest to largest of 8: (n - 1) / (n + 1)
    assert "80% of past errors" not in view._forecast_line(result)


@pytest.mark.parametrize(
    ("n", "confidence", "rank", "inside"), [(8, 0.8, 1, 8), (10, 0.8, 2, 8), (20, 0.8, 3, 16)]
)
def test_the_range_rank_keeps_at_least_the_asked_share_inside(n, confidence, rank, inside):
    j = _forecast.range_rank(n, confidence)
    assert j == rank and n - 2 * (j - 1) == inside >= confidence * n


def test_required_count_solves_the_normal_approximation():
    one = np.array([1.0])
    # certain wins of a fixed size: exactly target / size deals
    assert _plan.required(one, one * 100, one * 100**2, 1000.0, 1.2816)[0] == 10
    p, mu, m2 = np.array([0.25]), np.array([50.0]), np.array([2 * 50.0**2])
    n50 = _plan.required(p, mu, m2, 10_000.0, 0.0)[0]
    n80 = _plan.required(p, mu, m2, 10_000.0, 0.8416)[0]
    assert n50 == math.ceil(10_000 / (0.25 * 50)) and n80 > n50
    # at n80 the normal approximation gives at least 80% of reaching the target
    mean, sd = n80 * 0.25 * 50, math.sqrt(n80 * (0.25 * 2 * 50**2 - (0.25 * 50) ** 2))
    assert mean - 0.8416 * sd >= 10_000 - 1e-6


def test_plan_walks_the_funnel_back_with_the_measured_rates(result):
    plan = result.plan
    inputs = plan.inputs
    opps = plan.first("Opportunities")
    naive = opps["planned_bookings"] / (inputs["win_rate"] * inputs["deal_size"])
    assert naive <= opps["required"] <= 1.5 * naive
    sqls, mqls, leads = plan.first("SQLs"), plan.first("MQLs"), plan.first("Leads")
    assert sqls["required"] == pytest.approx(opps["required"] / inputs["sql_opp"], rel=0.1)
    assert mqls["required"] == pytest.approx(sqls["required"] / inputs["mql_sql"], rel=0.1)
    assert leads["required"] == pytest.approx(mqls["required"] / inputs["lead_mql"], rel=0.1)
    assert mqls["low"] < mqls["required"] < mqls["high"]
    sens = plan.sensitivity.set_index("scenario")
    assert sens.loc["Win rate +1 point", "mqls_change"] < 0
    assert sens.loc["Deal size +10%", "mqls"] == pytest.approx(sens.loc["Baseline", "mqls"] / 1.1, rel=0.05)
    assert (
        sens.loc["Lead → MQL +1 point", "mqls_change"] == 0 > sens.loc["Lead → MQL +1 point", "leads_change"]
    )
    # the plan covers the lead-sourced share of the target
    assert 0 < plan.share < 1 and opps["planned_bookings"] == pytest.approx(opps["target"] * plan.share)


def test_targets_by_period_parameter_table_and_spreading():
    periods = pd.period_range("2026-10", periods=3, freq="M")
    table = pd.DataFrame({"period": pd.to_datetime(["2026-07-01", "2026-10-01"]), "target": [3e6, 6e6]})
    monthly, source, _ = pf.targets_by_period(table, pf.Settings.from_params(grain="month"), periods)
    assert list(monthly) == [2e6, 2e6, 2e6] and "spread evenly" in source
    quarters = pd.period_range("2026Q3", periods=3, freq="Q")
    quarterly, _, _ = pf.targets_by_period(table, pf.Settings.from_params(), quarters)
    assert list(quarterly[:2]) == [3e6, 6e6] and np.isnan(quarterly.iloc[2])
    fixed, source, _ = pf.targets_by_period(table, pf.Settings.from_params(target=5), quarters)
    assert list(fixed) == [5.0] * 3 and source == "the target parameter"


def test_quarterly_targets_dated_on_quarter_end_or_per_rep_spread_over_the_months():
    months = pd.period_range("2026-10", periods=3, freq="M")
    monthly = pf.Settings.from_params(grain="month")
    quarter_end = pd.DataFrame({"period": pd.to_datetime(["2026-09-30", "2026-12-31"]), "target": [3e6, 6e6]})
    got, source, _ = pf.targets_by_period(quarter_end, monthly, months)
    assert list(got) == [2e6, 2e6, 2e6] and "spread evenly" in source
    per_rep = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-07-01"] * 2 + ["2026-10-01"] * 3),
            "target": [1e6, 2e6, 1e6, 2e6, 3e6],
        }
    )
    got, source, _ = pf.targets_by_period(per_rep, monthly, months)
    assert list(got) == [2e6, 2e6, 2e6] and "spread evenly" in source
    quarters = pd.period_range("2026Q3", periods=2, freq="Q")
    got, _, notes = pf.targets_by_period(per_rep, pf.Settings.from_params(), quarters)
    assert list(got) == [3e6, 6e6] and not notes


def test_quarter_end_targets_at_monthly_grain_give_a_coverage_ratio(ds):
    tables = {name: ds.get(name) for name in pf.TABLES if ds.get(name) is not None}
    targets = tables["targets"]
    q = pd.DatetimeIndex(targets["period"]).to_period("Q")
    tables["targets"] = pd.DataFrame(  # each quarter's target split over two reps, dated on quarter end
        {"period": list(q.end_time.normalize()) * 2, "target": list(targets["target"] / 2) * 2}
    )
    result = pf.analyze(tables, pf.Settings.from_params(grain="month", simulations=200))
    table = result.coverage.table
    expected = float(targets.loc[q == pd.Period("2026Q4", "Q"), "target"].iloc[0]) / 3
    assert table["target"].to_list() == pytest.approx([expected] * 3)
    assert result.key_figures()["coverage_ratio"] is not None


def test_monthly_targets_at_quarter_grain_leave_an_incomplete_quarter_out():
    table = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-10-01", "2026-11-01", "2027-01-01", "2027-02-01", "2027-03-01"]),
            "target": [1e6, 1e6, 2e6, 2e6, 2e6],
        }
    )
    quarters = pd.period_range("2026Q4", periods=2, freq="Q")
    got, _, notes = pf.targets_by_period(table, pf.Settings.from_params(), quarters)
    assert np.isnan(got.iloc[0]) and got.iloc[1] == 6e6
    assert len(notes) == 1 and "2026Q4 (only 2026-10, 2026-11)" in notes[0]


def test_coverage_counts_each_open_deal_once_by_expected_close():
    settings = pf.Settings.from_params(target=1000.0)
    frame = pd.DataFrame(
        {
            "opportunity_id": list("abcdef"),
            "stage": ["Proposal", "Prospecting", "Negotiation", "Closed Won", "Proposal", "Proposal"],
            "amount": [100.0, 200.0, 300.0, 400.0, 50.0, 70.0],
            "created_date": pd.to_datetime(["2026-01-05"] * 6),
            "close_date": pd.to_datetime(
                ["2026-04-20", "2026-05-01", "2026-07-10", "2026-04-02", pd.NaT, "2026-03-20"]
            ),
            "is_closed": [False, False, False, True, False, False],
            "is_won": [False, False, False, True, False, False],
        }
    )
    deals = pf.prepare_deals(frame, None, None, pf.Settings.from_params(as_of="2026-04-10"))
    periods = pd.period_range(forecast_period(deals.as_of, "Q"), periods=2, freq="Q")
    targets = pd.Series(1000.0, index=periods)
    p = pd.Series(0.5, index=deals.frame.index)
    c = coverage(deals, p, targets, "the target parameter", settings).table.set_index("period")
    # f's expected close has passed: it counts in the first period; e has no date
    assert c.loc["2026Q2", "pipeline"] == 100 + 200 + 70
    assert c.loc["2026Q2", "won_to_date"] == 400 and c.loc["2026Q2", "remaining"] == 600
    assert c.loc["2026Q2", "coverage"] == pytest.approx(370 / 600)
    assert c.loc["2026Q2", "weighted_pipeline"] == pytest.approx(185)
    assert c.loc["2026Q3", "pipeline"] == 300


def test_monthly_grain_and_an_earlier_report_date(ds):
    monthly = pf.analyze(ds, pf.Settings.from_params(grain="month", simulations=200))
    assert monthly.key_figures()["forecast_period"] == "2026-10"
    assert len(monthly.backtest.table) == 8 and monthly.backtest.has_range
    earlier = pf.analyze(ds, pf.Settings.from_params(as_of="2026-08-15", simulations=200))
    cur = earlier.backtest.current
    assert cur["period"] == "2026Q3" and 0 < cur["share_of_period_left"] < 1
    assert cur["won_to_date"] > 0 and cur["low"] > cur["won_to_date"]
