"""The NPS report on odd but valid data shapes: what cannot be computed steps aside, in words.

Real CSAT exports often hold one score per customer and a churn flag, and no
date; others lack an accounts table or carry a single score value. Each shape
is built from the embedded sample, analysed in-process (every view function
called, as the notebook does) and, marked slow, run through the notebook.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from IPython.display import HTML

from revops_nb import sample
from revops_nb.errors import DataError
from revops_nb.reports import nps_retention as nps
from revops_nb.reports.nps_retention import view
from tests.helpers import execute_report_notebook, write_data_yaml
from tests.nps_helpers import dataset

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "nps_retention.ipynb"
WAVE = pd.Timestamp("2025-06-30")  # the one survey date of the single-wave shape

# shape -> sentences (or their start) the report must contain
SAYS = {
    "undated_snapshot": [
        "NPS over time needs response dates, and these survey responses have none.",
        "Retention curves need response dates (where each curve starts) and churn dates",
        "needs response dates and subscriptions, and these survey responses have no dates, "
        "so the outcome is the churn flag of the customers snapshot and horizon_days is not used.",
    ],
    "undated_subscriptions": [
        "Retention after a response needs response dates to tie it to the subscriptions",
        "NPS over time needs response dates, and these survey responses have none.",
        "The survey responses have no dates, so every customer is compared",
    ],
    "dated_snapshot": [
        "A retention horizon (horizon_days = 365) needs subscriptions, and only a customers snapshot "
        "is loaded, so the outcome is its churn flag and horizon_days is not used.",
        "Retention curves need churn dates from a subscriptions table; only a customers snapshot is loaded.",
    ],
    "no_accounts": [
        "NPS by segment needs an accounts table with a segment column, and none is loaded, "
        "so NPS is shown for all accounts together.",
    ],
    "one_score_per_customer": [
        "NPS over time needs responses from at least two quarters, and all are from 2025Q2",
    ],
    "one_score_value": [
        "every linked account has the same score (9), so whether score predicts retention cannot be tested",
        "Every linked account is a promoter, so retention cannot be compared across categories",
        "Every account followed is a promoter, so there are no curves to compare.",
    ],
}


def shape_tables(shape: str) -> dict[str, pd.DataFrame]:
    """The sample reshaped: e.g. one undated score per customer plus a customers snapshot (id, flag, ARR)."""
    responses = sample.table("nps_responses")
    subs, fx, accounts = sample.table("subscriptions"), sample.table("fx_rates"), sample.table("accounts")
    customers = sample.table("customers")[["account_id", "churned", "arr"]]
    dated = responses.sort_values("response_date", kind="stable")
    # one score per customer, the last one known on the snapshot date
    last = dated[dated["response_date"] < sample.SNAPSHOT_DATE].drop_duplicates("account_id", keep="last")
    undated = last[["account_id", "score"]]
    if shape == "undated_snapshot":
        return {
            "nps_responses": undated[undated["account_id"].isin(customers["account_id"])],
            "customers": customers,
        }
    if shape == "undated_subscriptions":
        return {"nps_responses": undated, "subscriptions": subs, "fx_rates": fx}
    if shape == "dated_snapshot":
        return {"nps_responses": responses, "customers": customers}
    if shape == "no_accounts":
        return {"nps_responses": responses, "subscriptions": subs, "fx_rates": fx}
    if shape == "one_score_per_customer":  # one survey wave: every active customer answers once, same day
        active = (subs["start_date"] <= WAVE) & (subs["end_date"].isna() | (subs["end_date"] > WAVE))
        wave = dated[dated["response_date"] <= WAVE].drop_duplicates("account_id", keep="last")
        wave = wave[wave["account_id"].isin(subs.loc[active, "account_id"])].assign(response_date=WAVE)
        return {"nps_responses": wave, "subscriptions": subs, "fx_rates": fx, "accounts": accounts}
    if shape == "one_score_value":
        return {
            "nps_responses": responses.assign(score=9),
            "subscriptions": subs,
            "fx_rates": fx,
            "accounts": accounts,
        }
    raise ValueError(shape)


def analyse(shape: str, **params) -> nps.NpsResult:
    return nps.analyze(dataset(**shape_tables(shape)), nps.Settings.from_params(**params))


VIEWS = [
    "summary", "linking_table", "nps_segment_figure", "segment_details", "nps_quarter_figure",
    "quarter_details", "distribution_figure", "retention_figure", "retention_details",
    "score_retention_figure", "association_text", "survival_figure", "survival_text", "at_risk_table",
    "respondents_table", "respondents_text", "verdict_text",
]  # fmt: skip


def rendered_text(report: nps.NpsResult) -> str:
    """Every sentence the notebook would show, from every view function (a crash fails the test)."""
    parts = []
    for name in VIEWS:
        shown = getattr(view, name)(report)
        for item in shown if isinstance(shown, list) else [shown]:
            parts.append(item.data if isinstance(getattr(item, "data", None), str) else "")
    return html.unescape(" ".join(parts))


# ---------------------------------------------------------------- in-process


@pytest.mark.parametrize("shape", list(SAYS))
def test_every_view_renders_and_says_why_a_section_steps_aside(shape):
    report = analyse(shape)
    text = rendered_text(report)
    for words in SAYS[shape]:
        assert words in text, f"{shape}: {words!r} missing"
    report.key_figures(), report.tables()


def test_undated_snapshot_keeps_every_outcome_analysis():
    report = analyse("undated_snapshot")
    assert not report.responses.has_dates and report.linked.mode == "customers"
    assert report.verdict.label == "predicts"
    assert report.overall.ci_low < report.overall.nps < report.overall.ci_high
    table = report.retention.set_index("category")
    assert (table["ci_low"] < table["logo_retention"]).all() and (table["accounts"] > 0).all()
    assert np.isfinite(report.retention_test.p_value) and np.isfinite(report.correlation.p_value)
    assert np.isfinite(report.regression.odds_ratio) and np.isfinite(report.at_risk.expected_loss)
    assert report.by_quarter.empty and report.survival is None
    assert isinstance(view.nps_quarter_figure(report), HTML)
    assert view.quarter_details(report) == []


def test_undated_subscriptions_render_nps_and_say_outcomes_need_dates():
    """Used to be a DataError that failed the whole report."""
    report = analyse("undated_subscriptions")
    assert report.linked.n_linked == 0 and not report.outcomes_known
    assert report.verdict.label == "no evidence" and "needs response dates" in report.verdict.reason
    assert report.respondents_window.start is None  # no landmark without response dates
    assert set(report.respondents["group"]) == {"respondents", "non-respondents"}
    assert view.retention_details(report) == []
    assert "needs response dates" in " ".join(view.summary_lines(report))


def test_no_accounts_shows_no_one_point_segment_chart():
    report = analyse("no_accounts")
    assert report.by_segment["segment"].tolist() == [nps.ALL_SEGMENTS]
    assert "needs an accounts table" in view.nps_segment_figure(report).data
    assert view.segment_details(report) == []
    assert report.verdict.label == "predicts" and report.survival is not None


def test_one_score_per_customer_keeps_the_horizon_analyses():
    report = analyse("one_score_per_customer")
    assert report.responses.frame["account_id"].is_unique
    assert len(report.by_quarter) == 1 and report.verdict.label == "predicts"
    assert report.survival is not None and np.isfinite(report.survival.test.p_value)
    assert "needs responses from at least two quarters" in view.nps_quarter_figure(report).data


def test_a_single_score_value_gives_no_false_comparison():
    report = analyse("one_score_value")
    assert report.verdict.label == "no evidence"
    text = " ".join(view.summary_lines(report))
    assert "n=0" not in text and "(none, p n/a)" not in text
    assert "Every response is a promoter" in view.segment_text(report).data


def test_period_without_response_dates_is_one_clear_error():
    tables = shape_tables("undated_snapshot")
    params = nps.Settings.from_params(period_start="2024-01-01")
    with pytest.raises(DataError, match="period_start and period_end need response dates"):
        nps.prepare_responses(tables["nps_responses"], params)


def test_undated_responses_keep_file_order_for_first_and_latest():
    responses = pd.DataFrame({"account_id": ["a"] * 12, "score": [0] + [10] * 10 + [3]})
    prepared = nps.prepare_responses(responses, nps.Settings.from_params(segment_dimension="account_id"))
    assert prepared.frame["score"].tolist() == responses["score"].tolist()


# ---------------------------------------------------------------- the notebook


def _outputs_text(notebook: Path) -> tuple[str, list]:
    nb = nbformat.read(notebook, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.output_type == "error"]
    parts = [o.get("data", {}).get(kind, "") for o in outputs for kind in ("text/html", "text/markdown")]
    return html.unescape(" ".join(parts)), errors


@pytest.mark.slow
@pytest.mark.parametrize(
    "shape",
    ["undated_snapshot", "undated_subscriptions", "dated_snapshot", "no_accounts", "one_score_per_customer"],
)
def test_notebook_runs_on_the_shape_and_says_why(tmp_path, shape):
    folder = tmp_path / "data"
    folder.mkdir()
    for name, frame in shape_tables(shape).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    tables = {name: {"path": f"{name}.csv"} for name in shape_tables(shape)}
    data_file = write_data_yaml(folder, tables, sample=False)
    run_dir = execute_report_notebook(NOTEBOOK, tmp_path, data_file)
    text, errors = _outputs_text(tmp_path / "out.ipynb")
    assert not errors
    for words in SAYS[shape]:
        assert words in text, f"{shape}: {words!r} missing"
    figures = json.loads((run_dir / "key_figures.json").read_text())
    expected = "no evidence" if shape == "undated_subscriptions" else "predicts"
    assert figures["verdict"] == expected
