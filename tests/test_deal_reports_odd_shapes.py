"""The market and win/loss reports on odd but valid exports: what cannot be computed steps aside, in words.

The data contract requires only opportunity_id, stage and created_date; real CRM exports
often lack regions, amounts, close dates or account ids, or hold no closed deal yet.
Each shape is cut from the embedded sample's opportunities (scale 600), written to CSV
and read back through the loader, then analysed in-process with every view function the
notebooks call; marked slow, some shapes also run through ``revops-nb run``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from IPython.display import HTML, Markdown

from revops_nb import data, sample
from revops_nb.errors import DataError, ParamsError
from revops_nb.reports import market_analysis as market
from revops_nb.reports import win_loss as wl
from revops_nb.reports.market_analysis import view as market_view
from revops_nb.reports.win_loss import view as wl_view
from tests.helpers import cli, write_data_yaml

matplotlib.use("Agg")
SCALE = 600
REQUIRED = ["opportunity_id", "stage", "created_date"]
TABLES = ["opportunities", "accounts", "subscriptions", "market", "fx_rates"]
BOOKED = "Bookings, growth, shares and deal sizes"
NO_CLOSE_DATES = [
    "the closed deals have no close dates, so the sales cycle, time to close, pipeline velocity and win "
    "rate by quarter are not shown.",
    "The sales cycle needs close dates, and the closed deals have none.",
    "Time to close needs close dates, and the closed deals have none.",
    "Pipeline velocity needs the cycle length of won deals, and the closed deals have no close dates.",
    "Win rate by quarter needs close dates, and the closed deals have none.",
]


def shape_tables(shape: str) -> dict[str, pd.DataFrame]:
    """The sample's opportunities (and, per shape, accounts, subscriptions, market) cut to one odd shape."""
    opps = sample.table("opportunities", scale=SCALE)
    closed = opps["stage"].str.startswith("Closed")
    tables = {"fx_rates": sample.table("fx_rates")}
    if shape == "minimal":  # only the required columns
        opps, tables = opps[REQUIRED], {}
    elif shape == "no_amount":
        opps, tables = opps.drop(columns=["amount", "currency"]), {}
    elif shape == "no_close_date":
        opps = opps.drop(columns=["close_date"])
    elif shape == "no_region":
        opps = opps.drop(columns=["region", "segment"])
    elif shape == "no_account":
        opps = opps.drop(columns=["account_id"])
    elif shape == "all_open":
        opps = opps[~closed]
    elif shape == "all_lost":
        opps = opps[opps["stage"] != "Closed Won"]
    elif shape == "single_deal":
        opps = opps[opps["stage"] == "Closed Won"].head(1)
    elif shape == "one_quarter":  # created and closed (or still open) in 2025Q2
        quarter = ("2025-04-01", "2025-06-30")
        opps = opps[opps["created_date"].between(*quarter) & (~closed | opps["close_date"].between(*quarter))]
    elif shape == "won_without_amounts":
        opps = opps.assign(amount=opps["amount"].where(opps["stage"] != "Closed Won"))
    elif shape == "accounts_without_region":
        opps = opps.drop(columns=["region", "segment"])
        tables["accounts"] = sample.table("accounts", scale=SCALE).drop(columns=["region"])
    elif shape == "market_without_subscriptions":
        tables["accounts"] = sample.table("accounts", scale=SCALE)
        tables["market"] = sample.table("market")
    elif shape == "no_region_with_market":
        opps = opps.drop(columns=["region", "segment"])
        tables["accounts"] = sample.table("accounts", scale=SCALE).drop(columns=["region"])
        tables["subscriptions"] = sample.table("subscriptions", scale=SCALE)
        tables["market"] = sample.table("market")
    else:
        raise ValueError(shape)
    return {"opportunities": opps, **tables}


def write_shape(shape: str, folder: Path) -> Path:
    """The shape as CSV files and a data.yaml (``sample: false``) in ``folder``; returns the data.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = shape_tables(shape)
    tables = {}
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
        tables[name] = {"path": f"{name}.csv"}
    stages = set(frames["opportunities"]["stage"])
    if {"Closed Won", "Closed Lost"} <= stages:  # a configured stage no deal has is an error
        tables["opportunities"] |= {"won_stages": ["Closed Won"], "lost_stages": ["Closed Lost"]}
    return write_data_yaml(folder, tables, sample=False)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Load a shape through the loader once per module: shape -> {table: frame} (absent tables missing)."""
    cache: dict[str, dict[str, pd.DataFrame]] = {}

    def load(shape: str) -> dict[str, pd.DataFrame]:
        if shape not in cache:
            data_file = write_shape(shape, tmp_path_factory.mktemp(shape))
            ds = data.load(TABLES, data_file=data_file)
            cache[shape] = {name: ds[name] for name in TABLES if ds.has(name)}
        return cache[shape]

    return load


def _text(shown) -> str:
    """The text of a displayable (HTML or Markdown), of a list of them, or of sentences; '' for figures."""
    if isinstance(shown, list):
        return "\n".join(_text(item) for item in shown)
    if isinstance(shown, str):
        return shown
    if isinstance(shown, HTML | Markdown):
        return shown.data
    return ""


MARKET_STEPS = [
    market_view.notes_text, market_view.summary_lines, market_view.bookings_trend,
    market_view.period_table, market_view.levels_trend, market_view.latest_table,
    market_view.growth_lines, market_view.growth_bars, market_view.growth_view, market_view.share_view,
    market_view.change_lines, market_view.decomposition_bars, market_view.decomposition_view,
    market_view.win_rate_lines, market_view.win_rate_bars, market_view.win_rate_view,
    market_view.deal_size_lines, market_view.deal_size_bars, market_view.deal_size_view,
    market_view.penetration_section, market_view.growth_heatmap, market_view.heatmap_view,
]  # fmt: skip


def market_report(tables: dict[str, pd.DataFrame]) -> tuple[market.MarketResult, str]:
    """Analyse, then call every view the notebook shows (a crash fails the test); returns the text."""
    result = market.analyze(tables, market.Settings.from_params())
    text = "\n".join(_text(step(result)) for step in MARKET_STEPS)
    result.key_figures(), result.tables()
    return result, html.unescape(text + "\n" + result.window_text)


def win_loss_report(tables: dict[str, pd.DataFrame]) -> tuple[wl.WinLossResult, str]:
    """Prepare and analyse the deals, then call every view the notebook shows; returns the text."""
    report = wl.analyze(tables, wl.Settings.from_params())
    steps = [wl_view.deal_notes, wl_view.summary, wl_view.overall, wl_view.dimensions, wl_view.losses]
    steps += [wl_view.competitors, wl_view.cycle, wl_view.time_to_close_section, wl_view.velocity]
    steps += [wl_view.trend, wl_view.drivers]
    text = "\n".join([wl_view.period_text(report), *(_text(step(report)) for step in steps)])
    report.key_figures(), report.tables()
    return report, html.unescape(text)


# shape -> sentences (or their distinctive part) each report must contain
MARKET_SAYS = {
    "minimal": [
        market.NO_REGION,
        f"{BOOKED} need deal amounts, and the opportunities have no amount column.",
        "Customers need an account_id on opportunities or a subscriptions table, and there is neither.",
        "counting all closed deals (no close dates)",
    ],
    "no_amount": [
        f"{BOOKED} need deal amounts, and the opportunities have no amount column.",
        "counted as accounts with a won deal closed by the period end (no subscriptions table)",
        "Win rates do not differ detectably between regions",
    ],
    "no_close_date": [
        f"{BOOKED} need the close dates of won deals, and the opportunities have none.",
        "Customers over time need the close dates of won deals (or a subscriptions table), and there are none",
        "counting all closed deals (no close dates)",
    ],
    "no_region": [
        market.NO_REGION,
        market.REGION_ASIDE,
        "Average won deal over all deals:",
        "In the last 12 months (2025Q4–2026Q3) bookings were",
    ],
    "no_account": [
        "Customers need an account_id on opportunities or a subscriptions table, and there is neither."
    ],
    "all_open": [
        f"open), so there are no {BOOKED.lower()} to show.",
        "No deal has closed yet, so there is no win rate.",
        "No deal has been won, so there are no customers to chart over time.",
        "no deal has closed yet: 3 whole quarters",
    ],
    "all_lost": [
        f"No deal has been won, so there are no {BOOKED.lower()} to show.",
        "every closed deal was lost, so regions cannot differ.",
    ],
    "single_deal": [
        "2023Q1 is the only quarter with data and the data ends on 2023-01-31, before it ends",
        "Bookings over part of the quarter 2023Q1 (data up to 2023-01-31)",
        "every closed deal was won, so regions cannot differ.",
    ],
    "one_quarter": [
        "Year-on-year growth by region and segment needs two full years of quarters, and this window has 0 "
        "after the ramp-up.",
        "The decomposition needs two full years of periods.",
    ],
    "won_without_amounts": [f"{BOOKED} need deal amounts, and no won deal has one."],
    "accounts_without_region": [market.NO_REGION, market.REGION_ASIDE],
    "market_without_subscriptions": ["addressable accounts", "(no subscriptions table)"],
    "no_region_with_market": [market.NO_REGION, "addressable accounts", "ARR on 2026-09-30"],
}
WIN_LOSS_SAYS = {
    "minimal": ["all closed deals (no close dates); open pipeline as of", *NO_CLOSE_DATES],
    "no_amount": [
        "Pipeline velocity needs the amounts of won deals, and no won deal in the period has one.",
        "no closed deal has an amount, so there is no win rate by amount",
    ],
    "no_close_date": ["all closed deals (no close dates); open pipeline as of", *NO_CLOSE_DATES],
    "no_region": ["The data has no region values, so this breakdown is not shown."],
    "no_account": ["Win rate does not differ by region beyond chance"],
    "all_open": [
        "No deal has closed yet:",
        "open), so there is no win rate to show.",
        "open), so there is no sales cycle to measure.",
        "open), so there is no win rate by quarter.",
    ],
    "all_lost": [
        "not tested: every closed deal in the period was lost",
        "Pipeline velocity needs won deals, and no deal in the period was won.",
        "Win drivers need won and lost deals to compare, and every closed deal in the period was lost.",
    ],
    "single_deal": [
        "not tested: every closed deal in the period was won",
        "no lost deal in the period has a cycle length to compare with.",
        "Win drivers need won and lost deals to compare, and every closed deal in the period was won.",
    ],
    "one_quarter": ["Fewer than two quarters of closed deals: no trend test."],
    "won_without_amounts": [
        "Pipeline velocity needs the amounts of won deals, and no won deal in the period has one."
    ],
    "accounts_without_region": ["The data has no region values, so this breakdown is not shown."],
    "market_without_subscriptions": ["Win rate does not differ by region beyond chance"],
    "no_region_with_market": ["The data has no region values, so this breakdown is not shown."],
}


# ---------------------------------------------------------------- in-process


@pytest.mark.parametrize("shape", list(MARKET_SAYS))
def test_market_renders_every_section_and_says_why_one_steps_aside(loaded, shape):
    _, text = market_report(loaded(shape))
    for words in MARKET_SAYS[shape]:
        assert words in text, f"{shape}: {words!r} missing"
    assert not re.search(r"\bnan\b", text, re.IGNORECASE), f"{shape}: a missing number printed as nan"


@pytest.mark.parametrize("shape", list(WIN_LOSS_SAYS))
def test_win_loss_renders_every_section_and_says_why_one_steps_aside(loaded, shape):
    _, text = win_loss_report(loaded(shape))
    for words in WIN_LOSS_SAYS[shape]:
        assert words in text, f"{shape}: {words!r} missing"
    assert not re.search(r"\bnan\b", text, re.IGNORECASE), f"{shape}: a missing number printed as nan"


def test_market_without_region_reports_all_deals_as_one_group(loaded):
    with_region, _ = market_report(loaded("no_account"))  # same deals, with regions
    result, _ = market_report(loaded("no_region"))
    figures = result.key_figures()
    assert not result.has_regions and set(result.win_rates["region"]) == {market.ONE_GROUP}
    assert figures["bookings_total"] == pytest.approx(with_region.bookings_total)
    assert figures["top_growth_region"] is None and figures["top_growth_region_growth"] is None
    assert figures["bookings_growth_yoy"] == pytest.approx(with_region.key_figures()["bookings_growth_yoy"])
    assert market_view.decomposition_bars(result) is None and market_view.growth_view(result) is None


def test_market_without_amounts_keeps_win_rate_and_customers(loaded):
    full, _ = market_report(loaded("no_account"))
    result, _ = market_report(loaded("no_amount"))
    figures = result.key_figures()
    assert figures["bookings_total"] is None and figures["bookings_growth_yoy"] is None
    assert figures["customers_total"] > 0
    assert figures["win_rate"] == pytest.approx(full.key_figures()["win_rate"])
    assert set(result.tables()) == {"arr_customers_by_period"}


def test_key_figures_that_cannot_be_computed_are_none_not_missing(loaded):
    result, _ = market_report(loaded("minimal"))
    figures = result.key_figures()
    for name in (
        "bookings_total",
        "bookings_growth_yoy",
        "arr_total",
        "customers_total",
        "top_growth_region",
    ):
        assert name in figures and figures[name] is None, name
    assert figures["n_closed"] == int(loaded("minimal")["opportunities"]["is_closed"].sum())
    report, _ = win_loss_report(loaded("minimal"))
    w = report.key_figures()
    assert w["window"] == "all closed deals (no close dates)"
    for name in (
        "median_cycle_days_won",
        "pipeline_velocity_per_day",
        "won_amount",
        "win_rate_amount_weighted",
    ):
        assert name in w and w[name] is None, name
    assert w["win_rate"] == pytest.approx(figures["win_rate"])


def test_win_loss_with_no_closed_deal_shows_the_open_pipeline(loaded):
    report, _ = win_loss_report(loaded("all_open"))
    figures = report.key_figures()
    assert figures["n_closed"] == 0 and figures["win_rate"] is None and figures["window"] is None
    assert figures["n_open"] == len(loaded("all_open")["opportunities"])
    assert "worth USD" in wl_view.summary(report).data


def test_time_to_close_leaves_out_closed_deals_without_a_close_date(loaded):
    opps = loaded("no_account")["opportunities"].copy()
    undated = opps.index[opps["is_closed"]][:50]
    opps.loc[undated, "close_date"] = pd.NaT
    deals = wl.prepare_deals(opps, None, loaded("no_account")["fx_rates"], wl.Settings.from_params())
    assert deals.frame.loc[undated, "ttc_days"].isna().all()  # was: censored as if still open
    assert deals.frame.loc[deals.frame["status"] == "open", "ttc_days"].notna().all()


def test_a_period_on_undated_closed_deals_is_one_clear_error(loaded):
    settings = wl.Settings.from_params(period_start="2024-01-01")
    deals = wl.prepare_deals(
        loaded("no_close_date")["opportunities"], None, loaded("no_close_date")["fx_rates"], settings
    )
    with pytest.raises(
        DataError, match=r"the closed deals have no close dates; leave period_start and period_end"
    ):
        wl.analyze_deals(deals, settings)


def test_regions_parameter_without_a_region_column_is_a_params_error(loaded):
    with pytest.raises(ParamsError, match="regions lists 'NA', but the data has no region column"):
        market.analyze(loaded("no_region"), market.Settings.from_params(regions=["NA"]))


def test_penetration_without_regions_is_the_whole_market(loaded):
    tables = loaded("no_region_with_market")
    result, _ = market_report(tables)
    pen = result.penetration
    assert (
        len(pen) == 1
        and pen.iloc[0]["addressable_accounts"] == tables["market"]["addressable_accounts"].sum()
    )
    assert pen.iloc[0]["customers"] == result.key_figures()["customers_total"]


# ---------------------------------------------------------------- through revops-nb run


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["minimal", "no_amount", "no_close_date", "all_open"])
def test_both_reports_run_on_the_shape_and_say_why(tmp_path, shape):
    data_file = write_shape(shape, tmp_path / "data")
    out = tmp_path / "out"
    result = cli("run", "market_analysis", "win_loss", "--data", data_file, "--out", out, timeout=900)
    assert result.code == 0, result.text
    for report, says in (("market_analysis", MARKET_SAYS), ("win_loss", WIN_LOSS_SAYS)):
        [page] = list((out / report).glob("*/report.html"))
        text = html.unescape(page.read_text(encoding="utf-8"))
        assert "Traceback" not in text
        for words in says[shape]:
            assert words in text, f"{report} on {shape}: {words!r} missing"
