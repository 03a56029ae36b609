"""The pipeline and forecast report on odd but valid data: what cannot be computed steps aside, in words.

Each shape is cut from the embedded sample (scale 600), written to CSV and read back through
the loader (the round trip a new user makes), analysed, and shown with every view function
the notebook calls; a crash fails the test, and the expected sentence must be there.
"""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from IPython.display import HTML, Markdown

from revops_nb import data, sample
from revops_nb.reports import pipeline_forecast as pf
from revops_nb.reports.pipeline_forecast import view
from revops_nb.reports.pipeline_forecast._result import NO_HISTORY, NO_LEADS, NO_TARGET
from tests.helpers import write_data_yaml

matplotlib.use("Agg")
SCALE = 600
XSS = "<script>alert(1)</script>"
SECTIONS = [
    view.summary,
    view.funnel_section,
    view.time_section,
    view.breakdown_section,
    view.coverage_section,
    view.forecast_section,
    view.leads_section,
    view.plan_section,
]
FAST = {"simulations": 200}


def shape_tables(shape: str) -> dict[str, pd.DataFrame]:
    """The sample's tables (scale 600) cut to one odd shape."""
    tables = {name: sample.table(name, scale=SCALE) for name in pf.TABLES}
    opps = tables["opportunities"]
    closed = opps["stage"].str.startswith("Closed")
    if shape in ("no_optional", "no_optional_with_target"):
        for name in ("opportunity_stages", "leads", "targets"):
            del tables[name]
    elif shape == "no_close_date":
        tables["opportunities"] = opps.drop(columns=["close_date"])
    elif shape == "nothing_open":
        tables["opportunities"] = opps[closed]
    elif shape == "nothing_closed":
        tables["opportunities"] = opps[~closed]
    elif shape == "one_period":  # created and closed (or still open) in 2025Q2
        quarter = ("2025-04-01", "2025-06-30")
        keep = opps["created_date"].between(*quarter) & (~closed | opps["close_date"].between(*quarter))
        tables["opportunities"] = opps[keep]
    elif shape in ("no_sql_date", "no_mql_date"):
        tables["leads"] = tables["leads"].drop(columns=[shape.removeprefix("no_")])
    elif shape == "no_amount":
        tables["opportunities"] = opps.drop(columns=["amount", "currency"])
    elif shape == "hostile_labels":
        tables["opportunities"] = opps.assign(segment=opps["segment"].replace("SMB", XSS))
        tables["accounts"] = tables["accounts"].assign(
            segment=tables["accounts"]["segment"].replace("SMB", XSS)
        )
        leads = tables["leads"]
        tables["leads"] = leads.assign(source=leads["source"].replace("Event", XSS))
    elif shape != "full":
        raise ValueError(shape)
    keep_ids = set(tables["opportunities"]["opportunity_id"])
    if "opportunity_stages" in tables:
        stages = tables["opportunity_stages"]
        tables["opportunity_stages"] = stages[stages["opportunity_id"].isin(keep_ids)]
    return tables


def write_shape(shape: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {}
    frames = shape_tables(shape)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
        tables[name] = {"path": f"{name}.csv"}
    stages = set(frames["opportunities"]["stage"])
    if {"Closed Won", "Closed Lost"} <= stages:
        tables["opportunities"] |= {"won_stages": ["Closed Won"], "lost_stages": ["Closed Lost"]}
    return write_data_yaml(folder, tables, sample=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """shape -> (result, all the text the report shows), analysed once per module."""
    cache: dict[tuple, tuple] = {}

    def run(shape: str, **params) -> tuple[pf.PipelineForecastResult, str]:
        key = (shape, tuple(sorted(params.items())))
        if key not in cache:
            ds = data.load(pf.TABLES, data_file=write_shape(shape, tmp_path_factory.mktemp(shape)))
            result = pf.analyze(ds, pf.Settings.from_params(**FAST, **params))
            shown = [view.period_text(result), _text(view.notes(result))]
            shown += [_text(section(result)) for section in SECTIONS]
            result.key_figures(), result.tables()
            cache[key] = (result, "\n".join(shown))
        return cache[key]

    return run


def _text(shown) -> str:
    if isinstance(shown, list):
        return "\n".join(_text(item) for item in shown)
    if isinstance(shown, HTML | Markdown):
        return shown.data
    return ""


def test_the_csv_round_trip_gives_the_in_memory_figures(report, tmp_path):
    result, _ = report("full")
    in_memory = write_data_yaml(tmp_path, {}, sample=True, sample_scale=SCALE)
    direct = pf.analyze(data.load(pf.TABLES, data_file=in_memory), pf.Settings.from_params(**FAST))
    got, expected = result.key_figures(), direct.key_figures()
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert got[name] == (pytest.approx(value) if isinstance(value, float) else value), name
    assert got["forecast_current_low"] is not None and got["required_mqls_high"] is not None


def test_without_the_optional_tables_each_section_says_what_it_needs(report):
    result, text = report("no_optional")
    text = html.unescape(text)
    for sentence in (NO_HISTORY, NO_TARGET, "Lead, MQL and SQL conversion need a leads table."):
        assert sentence in text
    assert "The SLA plan needs a target: set the target parameter or add a targets table." in text
    figures = result.key_figures()
    assert figures["coverage_ratio"] is None and figures["required_opportunities"] is None
    # the forecast still runs: every open deal gets the one pipeline rate
    assert figures["forecast_current_low"] is not None
    assert result.funnel.table["open_now"].sum() == len(result.deals.open)


def test_without_leads_the_plan_starts_at_opportunities(report):
    result, text = report("no_optional_with_target", target=2_000_000.0)
    assert NO_LEADS in html.unescape(text)
    assert result.plan.levels == ("Opportunities",) and result.plan.share == 1.0
    figures = result.key_figures()
    assert figures["required_opportunities"] > 0 and figures["required_mqls_low"] is None
    assert figures["coverage_ratio"] is not None


def test_without_close_dates_the_forecast_steps_aside(report):
    result, text = report("no_close_date")
    assert "The forecast needs close dates, and the closed deals have none." in html.unescape(text)
    assert result.key_figures()["forecast_current_low"] is None
    assert result.funnel.n_closed > 0  # the funnel needs no dates


def test_with_nothing_open_the_pipeline_is_empty_but_the_forecast_runs(report):
    result, _ = report("nothing_open")
    assert result.coverage.first["pipeline"] == 0 and result.funnel.table["open_now"].sum() == 0
    assert result.backtest.current["open_deals"] == 0
    assert result.backtest.has_range  # the allowance for new deals still forecasts bookings


def test_with_nothing_closed_the_funnel_says_so(report):
    result, text = report("nothing_closed")
    assert "No deal has closed yet" in html.unescape(text)
    assert result.key_figures()["win_rate"] is None


def test_with_one_period_there_is_no_backtest(report):
    result, text = report("one_period")
    assert "The forecast backtest needs at least one complete period" in html.unescape(text)
    assert result.key_figures()["forecast_mape"] is None


def test_without_amounts_the_money_sections_step_aside(report):
    result, text = report("no_amount")
    text = html.unescape(text)
    assert "The forecast needs deal amounts, and the deals have none." in text
    assert "won lead-sourced deals with amounts" in text
    assert result.funnel.n_closed > 0


def test_labels_from_the_data_are_escaped(report):
    result, text = report("hostile_labels")
    assert XSS in set(result.funnel.breakdowns["segment"]["group"])
    assert "<script" not in text and "&lt;script&gt;" in text


@pytest.mark.parametrize(
    ("shape", "unmeasured", "levels"),
    [
        ("no_sql_date", ["MQL → SQL", "SQL → opportunity"], ("Opportunities",)),
        ("no_mql_date", ["lead → MQL", "MQL → SQL"], ("Opportunities", "SQLs")),
    ],
)
def test_a_lead_step_without_its_dates_is_not_measured_or_planned(report, shape, unmeasured, levels):
    result, text = report(shape)
    text = html.unescape(text)
    column = "SQL" if shape == "no_sql_date" else "MQL"
    assert f"The leads table has no {column} dates" in text
    table = result.leads.table.set_index("step")
    for step in unmeasured:
        assert pd.isna(table.loc[step, "rate"]) and pd.isna(table.loc[step, "n"]), step
        assert step in text
    measured = [s for s in table.index if s not in unmeasured]
    assert table.loc[measured, "rate"].notna().all()
    # the plan does not invent the missing rates: it starts at the last level it can reach
    assert result.plan.levels == levels
    assert result.key_figures()["required_mqls_low"] is None
    assert "the plan starts at" in text
