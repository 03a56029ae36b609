"""Unit tests of the market analysis (revops_nb.reports.market_analysis): fast, no notebook."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revops_nb import data, sample, stats
from revops_nb.errors import DataError, ParamsError
from revops_nb.reports import market_analysis as market
from revops_nb.reports._currency import conversion_rates
from revops_nb.reports.market_analysis import view

matplotlib.use("Agg")
FIXTURES = Path(__file__).parent / "fixtures" / "market"
TABLES = ["opportunities", "accounts", "subscriptions", "market", "fx_rates"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    ds = data.load(TABLES)
    return {name: ds[name] for name in TABLES}


@pytest.fixture(scope="module")
def result(tables) -> market.MarketResult:
    return market.analyze(tables, market.Settings.from_params())


@pytest.fixture(scope="module")
def fixture_tables() -> dict[str, pd.DataFrame]:
    ds = data.load(["opportunities", "fx_rates"], data_file=FIXTURES / "data.yaml")
    return {"opportunities": ds["opportunities"], "fx_rates": ds["fx_rates"]}


# ---------------------------------------------------------------- planted effect and totals


def test_planted_fastest_growing_region_is_found(result):
    assert result.top is not None
    assert result.top.region == sample.FASTEST_GROWING_REGION
    assert result.key_figures()["top_growth_region"] == "APAC"
    # the planted effect is on deal volume, so the deal-count test must back the claim
    assert result.top.deals_test.significant()
    assert result.top.deals_growth > result.top.runner_up_deals_growth


SAMPLE_START = "2023-01-01"  # totals cover every whole quarter with data
GROWTH_START = "2023-07-01"  # growth rates start after the ramp-up (2023-01-01 + 108 days)


def _independent_start(opps: pd.DataFrame) -> pd.Timestamp:
    won = opps[opps["is_won"]]
    days = np.ceil((won["close_date"] - won["created_date"]).dt.days.quantile(0.9))
    filled = opps["created_date"].min() + pd.Timedelta(days=days)
    return pd.Period(filled - pd.Timedelta(days=1), "Q").end_time.normalize() + pd.Timedelta(days=1)


def _independent_totals() -> dict[str, float]:
    t = sample.generate()
    opps, subs = t["opportunities"], t["subscriptions"]
    assert _independent_start(opps) == pd.Timestamp(GROWTH_START)
    in_window = (opps["close_date"] >= SAMPLE_START) & (opps["close_date"] <= "2026-09-30")
    won = opps[opps["is_won"] & in_window].copy()
    won["usd"] = won["amount"] * won["currency"].map(sample.FX_TO_USD)
    last = won[won["close_date"] >= "2025-10-01"]["usd"].sum()
    before = won[(won["close_date"] >= "2024-10-01") & (won["close_date"] < "2025-10-01")]["usd"].sum()
    day = pd.Timestamp("2026-09-30")
    active = subs[(subs["start_date"] <= day) & (subs["end_date"].isna() | (subs["end_date"] > day))]
    return {
        "bookings_total": won["usd"].sum(),
        "bookings_growth_yoy": last / before - 1,
        "arr_total": (active["arr"] * active["currency"].map(sample.FX_TO_USD)).sum(),
        "customers_total": active["account_id"].nunique(),
    }


def test_totals_equal_an_independent_pandas_computation(result):
    figures = result.key_figures()
    for name, expected in _independent_totals().items():
        assert figures[name] == pytest.approx(expected, rel=1e-9), name


def test_key_figures_equal_the_tables(result):
    figures = result.key_figures()
    growth = result.growth_by_region.set_index("region")
    assert figures["bookings_total"] == pytest.approx(result.bookings_by_period["bookings"].sum())
    assert figures["bookings_growth_yoy"] == growth.loc[market.TOTAL, "growth"]
    assert figures["top_growth_region_growth"] == growth.loc[figures["top_growth_region"], "growth"]
    assert growth.loc[figures["top_growth_region"], "rank"] == 1
    last = result.levels_by_period[result.levels_by_period["period"] == "2026Q3"]
    assert figures["arr_total"] == pytest.approx(last["arr"].sum())
    assert figures["customers_total"] == last["customers"].sum()
    assert figures["penetration_accounts"] == result.penetration.iloc[-1]["penetration_accounts"]
    pen = result.penetration.iloc[:-1]
    assert result.penetration.iloc[-1]["customers"] == pen["customers"].sum() == figures["customers_total"]


def test_bookings_by_period_has_the_contract_columns(result):
    table = result.bookings_by_period
    assert list(table.columns) == ["period", "region", "segment", "bookings", "deals"]
    assert table["period"].iloc[0] == "2023Q1" and table["period"].iloc[-1] == "2026Q3"
    growth = result.growth_by_region
    regions = growth[growth["region"] != market.TOTAL]
    assert regions["bookings_current"].sum() == pytest.approx(growth.iloc[-1]["bookings_current"])
    assert regions["share"].sum() == pytest.approx(1.0)


def test_region_filter_keeps_only_named_regions(tables):
    res = market.analyze(tables, market.Settings.from_params(regions=["apac", "NA"]))
    assert set(res.bookings_by_period["region"]) == {"APAC", "NA"}
    assert set(res.penetration["region"]) == {"APAC", "NA", market.TOTAL}
    assert set(res.levels_by_period["region"]) == {"APAC", "NA"}


def test_unknown_region_is_a_params_error_naming_it(tables):
    with pytest.raises(ParamsError, match=r"'Mars'.*APAC, EMEA, LATAM, NA"):
        market.analyze(tables, market.Settings.from_params(regions=["Mars"]))


def test_only_opportunities_runs_without_optional_tables(tables):
    opps = tables["opportunities"]
    opps = opps.assign(amount=opps["amount"] * opps["currency"].map(sample.FX_TO_USD)).drop(
        columns="currency"
    )
    res = market.analyze({"opportunities": opps}, market.Settings.from_params())
    figures = res.key_figures()
    assert res.penetration is None and "penetration_accounts" not in figures
    assert figures["arr_total"] is None
    won = opps[opps["is_won"] & (opps["close_date"] <= "2026-09-30")]
    booked = won[won["close_date"] >= SAMPLE_START]
    assert figures["bookings_total"] == pytest.approx(booked["amount"].sum())
    assert figures["customers_total"] == won["account_id"].nunique()
    assert "market table" in view.penetration_sentence(res)


def test_region_is_filled_from_accounts_when_the_opportunity_lacks_it(tables):
    opps = tables["opportunities"].copy()
    opps.loc[opps.index[::2], "region"] = np.nan
    res = market.analyze(
        {"opportunities": opps, "accounts": tables["accounts"], "fx_rates": tables["fx_rates"]},
        market.Settings.from_params(),
    )
    assert market.BLANK not in set(res.bookings_by_period["region"])
    assert res.bookings_total == pytest.approx(
        market.analyze(tables, market.Settings.from_params()).bookings_total
    )


# ---------------------------------------------------------------- currencies


def test_several_currencies_convert_into_the_reporting_currency(fixture_tables):
    res = market.analyze(
        fixture_tables, market.Settings.from_params(grain="year", min_n=1, ramp_up_quantile=None)
    )
    by_year = res.period_series.set_index("period")["bookings"]
    assert by_year.to_dict() == pytest.approx({"2024": 11225.0, "2025": 14090.0})
    assert res.key_figures()["bookings_growth_yoy"] == pytest.approx(14090 / 11225 - 1)


def test_reporting_currency_rebases_the_rates(fixture_tables):
    params = {"grain": "year", "min_n": 1, "ramp_up_quantile": None}
    usd = market.analyze(fixture_tables, market.Settings.from_params(**params))
    eur = market.analyze(fixture_tables, market.Settings.from_params(**params, currency="eur"))
    # the blank-currency deal (1500) is taken to be in the reporting currency either way
    assert eur.bookings_total == pytest.approx((usd.bookings_total - 1500) / 1.1 + 1500)


def test_a_currency_without_a_rate_is_an_error_naming_it(fixture_tables):
    fx = fixture_tables["fx_rates"]
    with pytest.raises(DataError, match="no rate for currency 'GBP'"):
        market.analyze(
            {"opportunities": fixture_tables["opportunities"], "fx_rates": fx[fx["currency"] != "GBP"]},
            market.Settings.from_params(),
        )


def test_foreign_amounts_without_fx_table_are_an_error(fixture_tables):
    with pytest.raises(DataError, match=r"amounts in EUR .* no fx_rates"):
        market.analyze({"opportunities": fixture_tables["opportunities"]}, market.Settings.from_params())


def test_conversion_rates_reject_a_non_positive_rate():
    fx = pd.DataFrame({"currency": ["USD", "EUR"], "rate_to_reporting": [1.0, 0.0]})
    with pytest.raises(DataError, match="'EUR'"):
        conversion_rates(fx, "USD")


# ---------------------------------------------------------------- parameters and window


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grain": "week"}, "'grain' must be one of month, quarter, year; got 'week'"),
        ({"period_start": "not a date"}, "'period_start' must be an ISO date"),
        ({"period_start": "2025-01-01", "period_end": "2024-01-01"}, "period_start '2025-01-01' is after"),
        ({"currency": "dollars"}, "'currency' must be a three-letter"),
        ({"min_n": 0}, "'min_n' must be a whole number of at least 1"),
        ({"confidence": 1.5}, "'confidence' must be a number from 0.5 to below 1"),
        ({"dimensions": []}, "'dimensions' must be a non-empty list of column names"),
        ({"regions": ["NA", "NA"]}, "'regions' must be a list of regions, none repeated"),
        ({"ramp_up_quantile": 1.5}, "'ramp_up_quantile' must be a number from 0 to 1"),
    ],
)
def test_bad_parameters_raise_a_clear_params_error(kwargs, message):
    with pytest.raises(ParamsError, match=message.replace("(", r"\(")):
        market.Settings.from_params(**kwargs)


def test_unknown_dimension_is_a_params_error(fixture_tables):
    with pytest.raises(ParamsError, match="dimensions names 'industry'"):
        market.analyze(fixture_tables, market.Settings.from_params(dimensions=["region", "industry"]))


def test_window_keeps_whole_periods_only():
    won = pd.Series(pd.to_datetime(["2023-02-10"]))
    params = market.Settings.from_params(period_start="2023-02-15", period_end="2024-12-30")
    window = market.analysis_window(params, won, pd.Timestamp("2025-03-01"))
    assert [str(p) for p in window.periods][:1] == ["2023Q2"]
    assert str(window.periods[-1]) == "2024Q3"  # 2024Q4 is cut short by period_end
    partial = market.analysis_window(market.Settings.from_params(), won, pd.Timestamp("2024-11-20"))
    assert str(partial.periods[-1]) == "2024Q3" and "2024Q4 is left out" in partial.notes[0]


def test_window_without_a_whole_period_is_a_params_error():
    params = market.Settings.from_params(period_start="2024-02-01", period_end="2024-03-15")
    with pytest.raises(ParamsError, match="no whole quarter"):
        market.analysis_window(params, pd.Series(pd.to_datetime(["2024-01-01"])), pd.Timestamp("2025-01-01"))


def _flat_pipeline(seed: int = 11, n: int = 20_000) -> pd.DataFrame:
    """A no-growth process: deals created uniformly from 2023-01-01, ~90-day cycles, 30% won."""
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp("2023-01-01"), pd.Timestamp("2026-09-30")
    created = start + pd.to_timedelta(rng.integers(0, (end - start).days + 1, n), unit="D")
    close = created + pd.to_timedelta(np.ceil(rng.gamma(2.0, 45.0, n)), unit="D")
    closed = close <= end
    return pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n)],
            "amount": rng.lognormal(9, 0.8, n),
            "created_date": created,
            "close_date": pd.Series(close).where(closed),
            "is_closed": closed,
            "is_won": closed & (rng.random(n) < 0.3),
            "region": rng.choice(["NA", "EMEA", "APAC", "LATAM"], n),
            "segment": rng.choice(["SMB", "Enterprise"], n),
        }
    )


def test_a_flat_pipeline_shows_no_growth_once_the_ramp_up_is_left_out():
    opps = _flat_pipeline()
    res = market.analyze({"opportunities": opps}, market.Settings.from_params())
    row = res.total_row
    assert res.window.growth_periods[0] == pd.Period("2023Q3", "Q")  # ~90th pct of cycles is ~175 days
    assert res.window.periods[0] == pd.Period("2023Q1", "Q")  # totals keep the ramp-up
    assert row["cagr_ci_low"] < 0 < row["cagr_ci_high"] and abs(row["cagr"]) < 0.05
    series = res.period_series
    assert series["pop_growth"].iloc[:3].isna().all()  # no growth on a ramp-up base
    deals = series["deals"].iloc[2:]
    assert abs(deals.iloc[0] / deals.median() - 1) < 0.15  # the first growth period is a full one
    assert abs(series["pop_growth"].iloc[3]) < 0.25
    # the old window (from the first booking) reported false, significant growth on the same data
    old = market.analyze({"opportunities": opps}, market.Settings.from_params(ramp_up_quantile=None))
    assert old.total_row["cagr_ci_low"] > 0 and old.period_series["pop_growth"].iloc[1] > 1


def test_ramp_up_periods_are_left_out_with_a_note_naming_them(result, tables):
    assert [str(p) for p in result.window.periods[:1]] == ["2023Q1"]
    assert [str(p) for p in result.window.growth_periods[:1]] == ["2023Q3"]
    note = result.notes[0]
    assert note.startswith("2023Q1–2023Q2 are the ramp-up, kept in totals, shares, customers and win rates")
    assert "2023-01-01" in note and "108 days" in note and "2023-04-19" in note
    assert "2023Q1–2023Q2 are the ramp-up" in "\n".join(view.notes_text(result))
    assert result.window.describe() == "15 whole quarters, 2023Q1 to 2026Q3 (data up to 2026-09-30)"
    assert result.window.describe_growth().startswith("growth rates start in 2023Q3, after the ramp-up")
    assert market.label(result.window.first_year) == "2023Q3–2024Q2"
    assert "(2023Q3–2024Q2: " in view.cagr_sentence(result)
    row = result.total_row
    assert row["cagr_years"] == pytest.approx(2.25)
    first, last = result.bookings_by_period, result.total_row["bookings_current"]
    first_year = first[first["period"].isin(["2023Q3", "2023Q4", "2024Q1", "2024Q2"])]["bookings"].sum()
    assert row["cagr"] == pytest.approx((last / first_year) ** (1 / 2.25) - 1)
    assert row["cagr"] < 0.35  # was +40.3% (28.0–53.7%) from the ramp-up quarters
    kept = market.analyze(tables, market.Settings.from_params(ramp_up_quantile=None))
    assert str(kept.window.periods[0]) == "2023Q1" and not any("ramp-up" in n for n in kept.notes)


def test_period_start_inside_the_ramp_up_moves_growth_rates_to_its_end():
    won = pd.Series(pd.to_datetime(["2023-01-20"]))
    ramp = market.RampUp(pd.Timestamp("2023-01-01"), 108, 0.9)
    params = market.Settings.from_params(period_start="2023-01-01")
    window = market.analysis_window(params, won, pd.Timestamp("2025-03-01"), ramp)
    assert str(window.periods[0]) == "2023Q1" and str(window.growth_periods[0]) == "2023Q3"
    assert "2023Q1–2023Q2 are the ramp-up" in window.notes[0]
    later = market.analysis_window(
        market.Settings.from_params(period_start="2024-01-01"), won, pd.Timestamp("2025-03-01"), ramp
    )
    assert str(later.periods[0]) == "2024Q1" and not any("ramp-up" in n for n in later.notes)


def test_data_shorter_than_the_ramp_up_keeps_totals_and_says_no_growth_rate():
    won = pd.Series(pd.to_datetime(["2023-01-20"]))
    ramp = market.RampUp(pd.Timestamp("2023-01-01"), 300, 0.9)
    window = market.analysis_window(
        market.Settings.from_params(grain="year"), won, pd.Timestamp("2023-12-31"), ramp
    )
    assert [str(p) for p in window.periods] == ["2023"] and len(window.growth_periods) == 0
    assert "no growth rate is computed" in window.notes[0]
    assert window.describe_growth().startswith("no growth rate")


@pytest.mark.parametrize(
    ("grain", "first_day", "last_day"),
    [("month", "2023-01-01", "2026-09-30"), ("year", "2023-01-01", "2025-12-31")],
)
def test_other_grains_give_the_same_total(tables, grain, first_day, last_day):
    res = market.analyze(tables, market.Settings.from_params(grain=grain))
    # totals cover every whole period with data, whatever the grain;
    # a year grain leaves out 2026, which the data covers only in part
    full = market.analyze(tables, market.Settings.from_params(ramp_up_quantile=None)).bookings
    expected = full.loc[full["close_date"].between(first_day, last_day), "amount"].sum()
    assert res.bookings_total == pytest.approx(expected)
    assert res.top is not None and res.top.region == "APAC"


# ---------------------------------------------------------------- growth statistics


def test_unit_amounts_give_the_poisson_rate_ratio_interval():
    g, _low, high, se = market.growth_interval(150, 150, 100, 100, 0.95)
    assert g == pytest.approx(0.5)
    assert se == pytest.approx(np.sqrt(1 / 150 + 1 / 100))
    assert np.log1p(high) - np.log(1.5) == pytest.approx(1.959964 * se, rel=1e-5)
    assert np.isnan(market.growth_interval(10, 10, 0, 0)[0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1, 1e6), min_size=1, max_size=40),
    st.lists(st.floats(1, 1e6), min_size=1, max_size=40),
)
def test_growth_and_share_intervals_contain_the_estimate(before, after):
    a0, a1 = np.array(before), np.array(after)
    g, low, high, _ = market.growth_interval(a1.sum(), (a1**2).sum(), a0.sum(), (a0**2).sum())
    assert low <= g <= high
    total = np.concatenate([a0, a1])
    share, s_low, s_high = market.share_interval(a1.sum(), (a1**2).sum(), total.sum(), (total**2).sum())
    assert 0 <= s_low <= share <= s_high <= 1


def test_growth_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    hits = 0
    runs = 600
    for _ in range(runs):
        x0 = rng.lognormal(10, 1.0, rng.poisson(120))
        x1 = rng.lognormal(10, 1.0, rng.poisson(180))
        _, low, high, _ = market.growth_interval(x1.sum(), (x1**2).sum(), x0.sum(), (x0**2).sum())
        hits += low <= 0.5 <= high
    assert 0.92 <= hits / runs <= 0.975


def test_compare_growth_detects_only_real_differences():
    same = market.compare_growth(np.log(1.2), 0.05, np.log(1.2), 0.05)
    assert same.p_value == pytest.approx(1.0)
    differ = market.compare_growth(np.log(1.8), 0.05, np.log(1.1), 0.05)
    assert differ.significant() and differ.statistic > 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.booleans(), st.floats(1, 1e5)), min_size=2, max_size=60
    )
)
def test_mix_rate_decomposition_adds_up_to_the_change(deals):
    frame = pd.DataFrame(deals, columns=["region", "current", "amount"])
    frame["period"] = np.where(frame["current"], pd.Period("2025", "Y"), pd.Period("2024", "Y"))
    window = market.Window(pd.period_range("2024", "2025", freq="Y"), pd.Timestamp("2025-12-31"), "year", 1)
    dec = market.mix_rate_decomposition(frame, window)
    effects = dec[["volume", "mix", "rate"]].sum(axis=1)
    assert np.allclose(effects, dec["change"], rtol=1e-9, atol=1e-6)
    regions = dec[dec["region"] != market.TOTAL]
    assert regions["change"].sum() == pytest.approx(dec.iloc[-1]["change"], abs=1e-6)


def test_small_groups_are_flagged_and_not_ranked(result):
    cells = result.growth_by_cell
    small = cells[np.minimum(cells["deals_base"], cells["deals_current"]) < 30]
    assert len(small) and small["flagged"].all() and small["rank"].isna().all()
    assert cells.loc[~cells["flagged"], "rank"].notna().all()


def test_win_rates_and_deal_sizes_have_intervals(result, tables):
    w = result.win_rates
    assert (w["ci_low"] <= w["rate"]).all() and (w["rate"] <= w["ci_high"]).all()
    opps = tables["opportunities"]
    closed = opps[opps["is_closed"] & opps["close_date"].between(SAMPLE_START, "2026-09-30")]
    assert w["n"].sum() == len(closed) and w["won"].sum() == closed["is_won"].sum()
    s = result.deal_sizes
    assert (s["ci_low"] < s["average"]).all() and (s["average"] < s["ci_high"]).all()
    assert s["deals"].sum() == len(result.bookings)


def test_penetration_counts_customers_against_the_market(result, tables):
    pen = result.penetration
    row = pen[(pen["region"] == "NA") & (pen["segment"] == "SMB")].iloc[0]
    addressable = tables["market"].set_index(["region", "segment"]).loc[("NA", "SMB"), "addressable_accounts"]
    assert row["addressable_accounts"] == addressable
    assert row["penetration_accounts"] == pytest.approx(row["customers"] / addressable)
    assert row["ci_low"] < row["penetration_accounts"] < row["ci_high"]
    assert row["arr_ci_low"] < row["penetration_arr"] < row["arr_ci_high"]


# ---------------------------------------------------------------- words and charts


def test_summary_escapes_text_from_the_data(fixture_tables):
    opps = fixture_tables["opportunities"].copy()
    opps["region"] = opps["region"].replace({"North": "<script>x</script>"})
    res = market.analyze(
        {"opportunities": opps, "fx_rates": fixture_tables["fx_rates"]},
        market.Settings.from_params(grain="year", min_n=1),
    )
    text = "\n".join(view.summary_lines(res))
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_summary_claims_only_what_the_tests_back(result):
    text = view.top_region_sentence(result)
    assert result.top.test.p_value > 0.05  # bookings growth lead is not significant on the sample
    assert "is not statistically significant" in text and "deals grew significantly faster" in text
    assert "do not differ detectably" in view.win_rate_sentence(result)


def test_tests_use_alpha_from_the_confidence_level(result):
    p03 = stats.TestResult(2.2, 0.03, "test")
    marginal = dataclasses.replace(
        result,
        win_test=p03,
        size_test=p03,
        top=dataclasses.replace(result.top, test=p03, deals_test=p03, deals_growth=2.0),
    )
    at_95 = "\n".join([*view.summary_lines(marginal), view.deal_size_sentence(marginal)])
    assert "Win rates differ between regions" in at_95 and "Won deal sizes differ" in at_95
    assert "That is more than the next region" in at_95
    strict = dataclasses.replace(marginal, settings=dataclasses.replace(result.settings, confidence=0.99))
    assert strict.settings.alpha == pytest.approx(0.01)
    at_99 = "\n".join([*view.summary_lines(strict), view.deal_size_sentence(strict)])
    assert (
        "Win rates do not differ detectably" in at_99 and "Won deal sizes do not differ detectably" in at_99
    )
    assert "is not statistically significant" in at_99 and "grew significantly faster" not in at_99


def test_penetration_states_the_currency_of_the_addressable_arr(result, tables):
    text = view.penetration_sentence(result)
    assert "assumed to be in the reporting currency (USD)" in text and "no currency column" in text
    eur = market.analyze(tables, market.Settings.from_params(currency="EUR"))
    assert "reporting currency (EUR)" in view.penetration_sentence(eur)
    assert "taken as EUR" in view.penetration_view(eur).data


def test_every_chart_has_a_title_and_labelled_axes(result):
    makers = [
        view.bookings_trend,
        view.growth_bars,
        view.levels_trend,
        view.decomposition_bars,
        view.win_rate_bars,
        view.deal_size_bars,
        view.penetration_bars,
        view.growth_heatmap,
    ]
    for make in makers:
        ax = make(result).axes[0]
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel(), make.__name__
