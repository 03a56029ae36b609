"""Support tickets and churn events: the contract, ticket features without leakage, churn reasons,
the no-better-than-chance caveat, chart alt text, and the churn notebook on the CSV export."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from IPython.display import HTML, Markdown

from revops_nb import charts, data, display, sample, stats
from revops_nb.errors import ConfigError
from revops_nb.report.html import publishable, render_html
from revops_nb.reports import churn_model
from revops_nb.reports.churn_model import view
from revops_nb.reports.churn_model._analyze import HISTORY_INPUTS
from revops_nb.reports.churn_model._history import history_table
from revops_nb.reports.churn_model._reasons import NO_REASON, churn_reasons
from revops_nb.reports.churn_model._table import DATE, KEY
from revops_nb.reports.churn_model._tickets import ticket_features
from revops_nb.sample_export import write_sample
from tests.helpers import ROOT, execute_report_notebook, write_data_yaml

NOTEBOOK = ROOT / "notebooks" / "churn_model.ipynb"
TICKET_FEATURES = ["tickets_90d", "high_priority_share_90d", "days_since_ticket", "resolution_hours_90d",
                   "satisfaction_90d"]  # fmt: skip


@pytest.fixture(scope="module")
def sample_tables() -> dict[str, pd.DataFrame | None]:
    ds = data.load(churn_model.TABLES)
    return {name: ds.get(name) for name in churn_model.TABLES}


@pytest.fixture(scope="module")
def history_report(sample_tables) -> churn_model.ChurnResult:
    return churn_model.analyze(sample_tables, churn_model.Settings.from_params(n_bootstrap=200))


@pytest.fixture(scope="module")
def history(sample_tables):
    inputs = {name: sample_tables[name] for name in HISTORY_INPUTS}
    return history_table(inputs, horizon_days=90, step_days=30)


# ---------------------------------------------------------------- the data contract


TICKETS_CSV = """\
CaseNumber,AccountId,CreatedDate,Priority,ClosedDate,CSAT__c,Resolution Hours
00001001,A1,2025-03-01 09:15:00,High,2025-03-01 17:15:00,4,8
00001002,A1,2025-03-05 10:00:00,Low,2025-03-07 10:00:00,5,48
00001003,A2,2025-03-06 11:00:00,Urgent,2025-03-06 13:30:00,42,2.5
00001004,A2,2025-03-08 08:00:00,Medium,,,-3
00001005,A3,2025-03-09 08:00:00,Medium,2025-03-01 08:00:00,3,
00001006,A3,2025-03-10 08:00:00,medium,,,
00001006,A3,2025-03-10 08:00:00,medium,,,
00001007,A9,2025-03-11 08:00:00,High,2025-03-12 08:00:00,,24
"""

EVENTS_CSV = """\
Account ID,Churn Date,Reason,Churn Type,Feedback
A1,03/31/2025,Price,Voluntary,"Too expensive, <b>really</b>"
A2,04/15/2025,Poor support,Voluntary,
A2,04/15/2025,Poor support,Voluntary,
A3,,Price,Voluntary,
A4,05/01/2025,,Involuntary,Card declined
"""


def _exports(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.csv").write_text(TICKETS_CSV)
    (folder / "churn.csv").write_text(EVENTS_CSV)
    (folder / "accounts.csv").write_text("account_id,account_name\nA1,One\nA2,Two\nA3,Three\nA4,Four\n")
    tables = {
        "accounts": {"path": "accounts.csv"},
        "support_tickets": {"path": "cases.csv", "preset": "salesforce"},
        "churn_events": {"path": "churn.csv"},
    }
    return write_data_yaml(folder, tables, sample=False)


def test_contract_reads_tickets_and_churn_events_from_csv_and_counts_bad_rows(tmp_path):
    ds = data.load(["accounts", "support_tickets", "churn_events"], data_file=_exports(tmp_path))
    tickets, events = ds.loads["support_tickets"], ds.loads["churn_events"]
    assert tickets.rows_read == 8 and events.rows_read == 5
    assert tickets.excluded == {
        "exact duplicate row": 1,
        "negative resolution_hours": 1,
        "satisfaction outside 0-10": 1,
        "closed date before created date": 1,
    }
    assert events.excluded == {"exact duplicate row": 1, "missing churn_date": 1}
    frame = ds["support_tickets"]
    assert list(frame["ticket_id"]) == [
        "00001001",
        "00001002",
        "00001006",
        "00001007",
    ]  # the preset's CaseNumber, kept as text
    assert (
        str(frame["created_date"].dtype) == "datetime64[ns]"
        and str(frame["closed_date"].dtype) == "datetime64[ns]"
    )
    assert frame["created_date"].iloc[0] == pd.Timestamp("2025-03-01 09:15")
    assert frame["satisfaction"].dtype == "float64" and frame["resolution_hours"].tolist()[:2] == [8.0, 48.0]
    churn = ds["churn_events"]
    assert churn["churn_date"].tolist() == [pd.Timestamp("2025-03-31"), pd.Timestamp("2025-04-15"),
                                            pd.Timestamp("2025-05-01")]  # fmt: skip
    assert churn["reason"].isna().sum() == 1 and "feedback" in churn
    warnings = " ".join(ds.loads["support_tickets"].warnings)
    assert "account_id not in accounts" in warnings and "'A9'" in warnings
    issues = ds.exclusions()
    assert set(issues["table"]) >= {"support_tickets", "churn_events"}


def test_satisfaction_scale_comes_from_data_yaml(tmp_path):
    data_yaml = _exports(tmp_path)
    tables = {
        "support_tickets": {"path": "cases.csv", "preset": "salesforce", "score_min": 0, "score_max": 100}
    }
    data_yaml = write_data_yaml(tmp_path, tables, sample=False)
    load = data.load(["support_tickets"], data_file=data_yaml).loads["support_tickets"]
    assert "satisfaction outside 0-100" not in load.excluded and load.rows_loaded == 5


def test_hubspot_ticket_export_columns_map_to_the_contract(tmp_path):
    (tmp_path / "tickets.csv").write_text(
        "Ticket ID,Associated Company ID,Create date,hs_ticket_priority,Close date\n"
        "1,10,2025-01-02,HIGH,2025-01-03\n2,11,2025-01-05,LOW,\n"
    )
    data_yaml = write_data_yaml(tmp_path, {"support_tickets": {"path": "tickets.csv", "preset": "hubspot"}})
    frame = data.load(["support_tickets"], data_file=data_yaml)["support_tickets"]
    assert {"ticket_id", "account_id", "created_date", "priority", "closed_date"} <= set(frame.columns)
    assert frame["account_id"].tolist() == ["10", "11"]


def test_data_yaml_knows_the_new_tables_and_lists_them_for_a_typo(tmp_path):
    data_yaml = write_data_yaml(tmp_path, {"support_ticket": {"path": "x.csv"}})
    with pytest.raises(ConfigError, match=r"known tables are .*support_tickets, churn_events"):
        data.load(["accounts"], data_file=data_yaml)


def test_sample_csv_round_trip_keeps_the_new_tables(tmp_path):
    data_yaml = write_sample(tmp_path, scale=200)
    ds = data.load(["support_tickets", "churn_events"], data_file=data_yaml)
    assert ds.exclusions().empty, ds.exclusions()
    for name, when in (("support_tickets", "created_date"), ("churn_events", "churn_date")):
        generated = sample.table(name, scale=200)
        assert ds[name][KEY].tolist() == generated[KEY].tolist()
        assert ds[name][when].tolist() == generated[when].tolist()
    assert ds["support_tickets"]["satisfaction"].dropna().between(1, 5).all()


# ---------------------------------------------------------------- planted effects, recovered


def test_ticket_features_separate_churners_as_planted(history):
    frame = history.frame
    assert set(TICKET_FEATURES) <= set(history.features)
    means = frame.groupby("churned")[TICKET_FEATURES].mean()
    assert means.loc[True, "tickets_90d"] > 2 * means.loc[False, "tickets_90d"]  # 3.3 vs 1.3 on the sample
    assert means.loc[True, "high_priority_share_90d"] - means.loc[False, "high_priority_share_90d"] > 0.15
    assert means.loc[False, "satisfaction_90d"] - means.loc[True, "satisfaction_90d"] > 0.8  # 4.2 vs 2.9


def test_ticket_features_are_clear_drivers_of_the_model(history_report):
    drivers = history_report.drivers.set_index("feature")
    clear = set(drivers.index[drivers["clear"]])
    assert clear & {"satisfaction_90d", "tickets_90d", "days_since_ticket"}
    assert history_report.better_than_chance


def test_support_heavy_churners_cite_poor_support_in_the_report(history_report):
    reasons = history_report.reasons
    assert reasons is not None and reasons.accounts == len(sample.table("churn_events"))
    split = reasons.by_support.set_index("reason")
    poor = split.loc["Poor support"]
    assert poor["with_ticket"] > 3 * poor["without_ticket"] and poor["p_holm"] < 0.001
    assert poor["with_ci_low"] > poor["without_ci_high"]
    assert set(reasons.table["reason"]) == {*sample.CHURN_REASONS, NO_REASON}


# ---------------------------------------------------------------- no leakage


def test_ticket_features_ignore_tickets_and_scores_known_after_each_date(sample_tables, history):
    tickets = sample_tables["support_tickets"]
    cut = pd.Timestamp("2025-06-01")
    changed = tickets.copy()
    later = changed["created_date"] >= cut
    changed.loc[later, "priority"] = "Urgent"
    changed.loc[later, "satisfaction"] = 1.0
    changed.loc[later, "resolution_hours"] = 999.0
    # a ticket opened before the cut but resolved after it: its CSAT is not known before
    resolved_after = ~later & (
        changed["created_date"] + pd.to_timedelta(changed["resolution_hours"], unit="h") >= cut
    )
    assert resolved_after.any()
    changed.loc[resolved_after, "satisfaction"] = 1.0
    extra = changed[later].head(500).assign(ticket_id=lambda f: "X" + f["ticket_id"])
    changed = pd.concat([changed, extra], ignore_index=True)
    inputs = {name: sample_tables[name] for name in HISTORY_INPUTS}
    again = history_table({**inputs, "support_tickets": changed}, horizon_days=90, step_days=30)
    before = history.frame[history.frame[DATE] <= cut]
    assert len(before) > 1000
    pd.testing.assert_frame_equal(before, again.frame[again.frame[DATE] <= cut])
    after = history.frame[DATE] > cut
    assert not history.frame.loc[after, TICKET_FEATURES].equals(again.frame.loc[after, TICKET_FEATURES])


def test_windowed_counts_equal_a_direct_count(sample_tables):
    tickets = sample_tables["support_tickets"]
    rng = np.random.default_rng(0)
    ids = rng.choice(tickets[KEY].unique(), 40, replace=False)
    rows = pd.DataFrame(
        {KEY: np.repeat(ids, 6), DATE: np.tile(pd.date_range("2024-03-01", periods=6, freq="97D"), 40)}
    ).astype({DATE: "datetime64[ns]"})
    out, features, notes = ticket_features(rows, tickets)
    assert features == TICKET_FEATURES and notes == []
    for (_, row), got in zip(rows.iterrows(), out.itertuples(), strict=True):
        mine = tickets[(tickets[KEY] == row[KEY]) & (tickets["created_date"] < row[DATE])]
        window = mine[mine["created_date"] >= row[DATE] - pd.Timedelta(days=90)]
        assert got.tickets_90d == len(window)
        high = window["priority"].isin(["High", "Urgent"]).mean() if len(window) else np.nan
        assert got.high_priority_share_90d == pytest.approx(high, nan_ok=True)
        last = (row[DATE] - mine["created_date"].max()).days if len(mine) else np.nan
        assert got.days_since_ticket == pytest.approx(last, nan_ok=True)
        known = tickets[KEY].eq(row[KEY]) & tickets["resolution_hours"].notna()
        closed = tickets.loc[known, "created_date"] + pd.to_timedelta(
            tickets.loc[known, "resolution_hours"], unit="h"
        )
        scored = tickets.loc[known][(closed < row[DATE]) & (closed >= row[DATE] - pd.Timedelta(days=90))]
        expect = scored["satisfaction"].mean() if scored["satisfaction"].notna().any() else np.nan
        assert got.satisfaction_90d == pytest.approx(expect, nan_ok=True)


def test_unrecognised_priorities_leave_the_share_out_with_a_note():
    rows = pd.DataFrame({KEY: ["A"], DATE: [pd.Timestamp("2025-02-01")]})
    tickets = pd.DataFrame({KEY: ["A", "A"], "created_date": pd.to_datetime(["2025-01-10", "2025-01-20"]),
                            "priority": ["Blue", "Green"]})  # fmt: skip
    out, features, notes = ticket_features(rows, tickets)
    assert features == ["tickets_90d", "days_since_ticket"]
    assert out["tickets_90d"].iloc[0] == 2 and out["days_since_ticket"].iloc[0] == 12
    assert "no priority reads as high" in notes[0] and "'Blue'" in notes[0]


# ---------------------------------------------------------------- churn reasons


EVENT_DATES = ["2025-01-10", "2025-02-01", "2025-02-15", "2025-03-01", "2025-03-05", "2025-03-09", "2025-04-01",
               "2026-01-01"]  # fmt: skip
SUB_ENDS = ["2025-01-10", "2025-04-20", "2025-02-01", "2025-02-10", "2025-03-01", "2024-06-01", "2025-03-09"]


def _events() -> pd.DataFrame:
    reasons = ["Price", "Price", "Poor support", None, "Price", "Poor support", "Missing features", "Price"]
    return pd.DataFrame({KEY: list("ABCDEFAG"), "churn_date": pd.to_datetime(EVENT_DATES), "reason": reasons})


def _subscriptions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            KEY: list("AABCDEF"),
            "start_date": pd.to_datetime(["2023-01-01"] * 7),
            "end_date": pd.to_datetime(SUB_ENDS),
            "arr": [5_000.0, 10_000.0, 20_000.0, 30_000.0, 1_000.0, 7_000.0, 40_000.0],
        }
    )


def test_reasons_count_each_account_once_with_wilson_and_bootstrap_intervals():
    r = churn_reasons(_events(), _subscriptions(), as_of=pd.Timestamp("2025-12-31"), n_bootstrap=500)
    table = r.table.set_index("reason")
    assert r.accounts == 6  # G churned after the as-of date; A counts once, under its latest reason
    assert table["accounts"].to_dict() == {"Price": 2, "Poor support": 2, "Missing features": 1, NO_REASON: 1}
    assert list(r.table["reason"])[-1] == NO_REASON
    low, high = stats.wilson_interval(2, 6)
    assert table.loc["Price", "ci_low"] == pytest.approx(low) and table.loc[
        "Price", "ci_high"
    ] == pytest.approx(high)
    # ARR: subscriptions ending within 31 days of the churn date; E's ended months before, so unknown
    assert r.arr_accounts == 5
    assert table["arr"].to_dict() == {"Price": 20_000.0, "Poor support": 70_000.0, "Missing features": 10_000.0,
                                      NO_REASON: 1_000.0}  # fmt: skip
    assert table.loc["Poor support", "arr_share"] == pytest.approx(70 / 101)
    assert (table["arr_ci_low"] <= table["arr_share"]).all() and (
        table["arr_share"] <= table["arr_ci_high"]
    ).all()
    assert r.leader is not None and r.leader.p_value == pytest.approx(1.0)


def test_reasons_from_a_customers_snapshot_without_subscriptions():
    customers = pd.DataFrame({KEY: list("ABCDEF"), "churned": [True] * 6, "arr": [1.0, 2, 3, 4, 5, 6]})
    r = churn_reasons(_events(), customers=customers, as_of=pd.Timestamp("2025-12-31"))
    assert r.arr_source == "the customers table's ARR" and r.arr_accounts == 6
    none = churn_reasons(_events(), as_of=pd.Timestamp("2025-12-31"))
    assert none.arr_accounts == 0 and none.table["arr_share"].isna().all()


def test_reasons_section_in_words(history_report):
    shown = view.reasons(history_report)
    text = " ".join(x.data for x in shown if isinstance(x, Markdown | HTML))
    assert "320 accounts churned from" in text
    assert re.search(
        r'"Poor support" was given by \d+\.\d% \(95% CI [^)]+\) of those with such a ticket', text
    )
    assert any(isinstance(x, display.ChartImage) for x in shown)
    line = view._reasons_line(history_report)
    assert line.startswith("**Why customers left:** of 320 churned accounts")
    assert "binomial test" in line


def test_reasons_section_steps_aside_without_churn_events(history_report):
    (sentence,) = view.reasons(replace(history_report, reasons=None))
    assert "needs a `churn_events` table" in sentence.data
    assert view._reasons_line(replace(history_report, reasons=None)) == ""
    empty = churn_reasons(_events(), as_of=pd.Timestamp("2024-01-01"))
    (sentence,) = view.reasons(replace(history_report, reasons=empty))
    assert "has no churn dated up to" in sentence.data


def test_reason_text_from_the_data_is_escaped(history_report):
    hostile = ["<script>x</script>", "<script>x</script>", "[a](http://x)", None, "P", "Q", "R", "S"]
    r = churn_reasons(_events().assign(reason=hostile), as_of=pd.Timestamp("2025-12-31"))
    report = replace(history_report, reasons=r)
    shown = view.reasons(report)
    markdown = " ".join(x.data for x in shown if isinstance(x, Markdown)) + view._reasons_line(report)
    html = " ".join(x.data for x in shown if isinstance(x, HTML))
    assert "<script>" not in markdown + html and "&lt;script&gt;" in html
    assert "](http" not in markdown  # no Markdown link can form from a reason


# ---------------------------------------------------------------- no better than chance


@pytest.fixture(scope="module")
def chance_report() -> churn_model.ChurnResult:
    customers = sample.table("customers")
    shuffled = customers.assign(churned=np.random.default_rng(7).permutation(customers["churned"].to_numpy()))
    tables = {name: None for name in churn_model.TABLES} | {"customers": shuffled}
    return churn_model.analyze(tables, churn_model.Settings.from_params(n_bootstrap=300))


def test_shuffled_labels_give_a_model_no_better_than_chance(chance_report):
    m = chance_report.model.chosen_metrics
    assert m["roc_auc_ci_low"] <= 0.5 <= m["roc_auc_ci_high"]
    assert not chance_report.better_than_chance
    assert chance_report.key_figures()["model_better_than_chance"] is False
    assert chance_report.figure_meta() == {
        "arr_at_risk": {"label": "ARR at risk (model no better than chance)"}
    }


def test_arr_at_risk_and_the_scored_list_carry_the_caveat(chance_report):
    line = view._risk_line(chance_report)
    assert line.startswith(
        "**ARR at risk (model no better than chance):** The model does no better than chance"
    )
    assert "includes 0.5" in line and "not as a list of customers to act on" in line
    first = view.scored(chance_report)[0]
    assert "no better than chance" in first.data and "not for action" in first.data


def test_a_model_better_than_chance_carries_no_caveat(history_report):
    assert view.chance_caveat(history_report) == ""
    assert "chance" not in view._risk_line(history_report)
    assert "chance" not in view.scored(history_report)[0].data
    assert history_report.figure_meta() == {}


# ---------------------------------------------------------------- chart alt text


def test_figure_carries_its_title_as_escaped_alt_text():
    _fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    fig = charts.finish(ax, 'Churn "by" <reason>', "x", "y")
    image = display.figure(fig)
    bundle = image._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/html"].startswith('<img src="data:image/png;base64,iVBOR')
    assert 'alt="Churn &quot;by&quot; &lt;reason&gt;"' in bundle["text/html"]
    assert display.figure(fig, alt="Other words").alt == "Other words"
    _fig, bare = plt.subplots()
    with pytest.raises(ValueError, match="title or alt text"):
        display.figure(bare.figure)


def test_every_churn_section_shows_charts_with_alt_text(history_report):
    shown = [item for section in (view.churn_rate, view.model_quality, view.calibration, view.lift,
                                  view.drivers, view.survival, view.reasons) for item in section(history_report)]  # fmt: skip
    assert not any(isinstance(item, plt.Figure) for item in shown)
    alts = [item.alt for item in shown if isinstance(item, display.ChartImage)]
    assert len(alts) == 7 and all(alts)


# ---------------------------------------------------------------- the notebook on the CSV export


def _outputs(notebook: Path) -> tuple[nbformat.NotebookNode, str]:
    nb = nbformat.read(notebook, as_version=4)
    text = " ".join(json.dumps(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    return nb, text


@pytest.mark.slow
def test_notebook_on_the_csv_export_shows_reasons_ticket_drivers_and_alt_text(tmp_path):
    data_yaml = write_sample(tmp_path / "export", scale=600)
    run_dir = execute_report_notebook(NOTEBOOK, tmp_path, data_yaml, {"n_bootstrap": 200})
    figures = json.loads((run_dir / "key_figures.json").read_text())
    assert figures["mode"] == "history" and figures["model_better_than_chance"] is True
    reasons = pd.read_csv(run_dir / "tables" / "churn_reasons.csv")
    assert reasons["accounts"].sum() == len(sample.table("churn_events", scale=600))
    assert (run_dir / "tables" / "churn_reasons_by_support.csv").exists()
    drivers = pd.read_csv(run_dir / "tables" / "drivers.csv")
    assert set(TICKET_FEATURES) <= set(drivers["feature"])
    nb, text = _outputs(tmp_path / "out.ipynb")
    assert "Warning" not in text  # no statsmodels/sklearn warning reaches the report
    assert "Why customers left" in text
    mimes = {m for c in nb.cells if c.cell_type == "code" for o in c.outputs for m in o.get("data", {})}
    assert "image/png" not in mimes  # every chart went through display.figure
    html = render_html(publishable(nb), {"title": "Churn model report", "run_date": "today", "status": "ok"})
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 7
    assert all(re.search(r'alt="[^"]+"', img) for img in images)


@pytest.mark.slow
def test_notebook_puts_the_caveat_next_to_arr_at_risk_when_the_model_is_no_better_than_chance(tmp_path):
    customers = sample.table("customers")
    customers["churned"] = np.random.default_rng(7).permutation(customers["churned"].to_numpy())
    folder = tmp_path / "export"
    folder.mkdir()
    customers.to_csv(folder / "customers.csv", index=False)
    data_yaml = write_data_yaml(folder, {"customers": {"path": "customers.csv"}}, sample=False)
    run_dir = execute_report_notebook(NOTEBOOK, tmp_path, data_yaml, {"n_bootstrap": 300})
    figures = json.loads((run_dir / "key_figures.json").read_text())
    assert figures["model_better_than_chance"] is False
    meta = json.loads((run_dir / "key_figure_meta.json").read_text())
    assert meta["arr_at_risk"]["label"] == "ARR at risk (model no better than chance)"
    _nb, text = _outputs(tmp_path / "out.ipynb")
    assert "ARR at risk (model no better than chance):" in text
    assert "the list is shown for completeness, not for action" in text
    assert "needs a `churn_events` table" in text and "Warning" not in text
