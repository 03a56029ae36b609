"""The revenue retention report on odd but valid exports: what cannot be computed steps aside, in words.

Each shape is cut from the embedded sample (scale 600), written to CSV and read back through the
loader (``sample: false``, so an absent table is really absent), then analysed in-process with every
section the notebook shows; the notebook itself runs on the sample and on one odd shape (slow).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest
from IPython.display import HTML, Markdown

from revops_nb import data, sample
from revops_nb.errors import ParamsError
from revops_nb.reports import revenue_retention as rr
from revops_nb.reports.revenue_retention import view
from tests.helpers import execute_report_notebook, write_data_yaml

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "revenue_retention.ipynb"
SCALE = 600
NO_SPEND = "CAC, payback and LTV:CAC need a marketing_spend table (period, channel, spend) in data.yaml."
NO_CHURN = "needs churned customers to fit retention on, and the subscriptions have no end dates."


def shape_tables(shape: str) -> dict[str, pd.DataFrame]:
    """The sample's tables cut to one odd shape."""
    names = ["subscriptions", "accounts", "opportunities", "marketing_spend", "fx_rates"]
    tables = {name: sample.table(name, scale=SCALE) for name in names}
    subs = tables["subscriptions"]
    if shape == "no_end_date":  # an export of current contracts: one row per account, no end dates
        tables["subscriptions"] = subs.drop_duplicates("account_id").drop(columns=["end_date"])
    elif shape == "mrr_only":
        tables["subscriptions"] = subs.assign(mrr=subs["arr"] / 12).drop(columns=["arr"])
    elif shape == "one_row_no_change":  # one row per account at its first ARR, over its whole life
        first = subs.sort_values("start_date").groupby("account_id", as_index=False).agg(
            subscription_id=("subscription_id", "first"), start_date=("start_date", "min"),
            end_date=("end_date", lambda s: s.max() if s.notna().all() else pd.NaT),
            arr=("arr", "first"), currency=("currency", "first"),
        )  # fmt: skip
        tables["subscriptions"] = first
    elif shape == "overlapping":  # every third long-lived account buys a second product for half of year one
        life = subs.groupby("account_id").agg(start=("start_date", "min"), end=("end_date", "max"))
        running = subs.groupby("account_id")["end_date"].apply(lambda e: e.isna().any())
        long_lived = life[running | (life["end"] > life["start"] + pd.Timedelta(days=400))].iloc[::3]
        extra = pd.DataFrame(
            {
                "subscription_id": [f"X{i}" for i in range(len(long_lived))],
                "account_id": long_lived.index,
                "start_date": long_lived["start"] + pd.Timedelta(days=30),
                "end_date": long_lived["start"] + pd.Timedelta(days=212),  # before the first anniversary
                "arr": 1_000.0,
                "currency": "USD",
            }
        )
        tables["subscriptions"] = pd.concat([subs, extra], ignore_index=True)
    elif shape == "no_accounts":
        del tables["accounts"]
    elif shape == "no_dimensions":
        del tables["accounts"]
        tables["opportunities"] = tables["opportunities"].drop(columns=["region", "segment"])
    elif shape == "no_spend":
        del tables["marketing_spend"]
    elif shape == "no_opportunities":
        del tables["opportunities"]
    elif shape == "one_period":  # customers who started in 2025Q2, seen on 2025-06-30
        part = subs[subs["start_date"].between("2025-04-01", "2025-06-30")]
        part = part[part["account_id"].isin(part["account_id"])].copy()
        part["end_date"] = part["end_date"].where(part["end_date"] <= "2025-06-30")
        tables["subscriptions"] = part
    else:
        raise ValueError(shape)
    return tables


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """shape -> Dataset, loaded from CSV through the loader once per module."""
    cache: dict[str, data.Dataset] = {}

    def load(shape: str) -> data.Dataset:
        if shape not in cache:
            folder = tmp_path_factory.mktemp(shape)
            tables = {}
            for name, frame in shape_tables(shape).items():
                frame.to_csv(folder / f"{name}.csv", index=False)
                tables[name] = {"path": f"{name}.csv"}
            if "opportunities" in tables:
                tables["opportunities"] |= {"won_stages": ["Closed Won"], "lost_stages": ["Closed Lost"]}
            cache[shape] = data.load(rr.TABLES, data_file=write_data_yaml(folder, tables, sample=False))
        return cache[shape]

    return load


def _text(shown) -> str:
    """The text of a displayable or a list of them, character references resolved ('' for figures)."""
    if isinstance(shown, list):
        return "\n".join(_text(item) for item in shown)
    if isinstance(shown, HTML | Markdown):
        return html.unescape(shown.data)
    return ""


def report(ds: data.Dataset, **params) -> tuple[rr.RetentionResult, str]:
    """Analyse, then build every section the notebook shows (a crash fails the test); returns the text."""
    result = rr.analyze(ds, rr.Settings.from_params(bootstrap_replicates=100, **params))
    parts = [view.period_text(result), _text(view.notes(result)), _text(view.summary(result))]
    parts += [_text(view.section(result, name)) for name in view.SECTIONS]
    figures = result.key_figures()
    assert figures["arr_closing"] == pytest.approx(
        figures["arr_opening"] + figures["arr_new"] + figures["arr_expansion"]
        - figures["arr_contraction"] - figures["arr_churned"], rel=1e-12, abs=1e-6,
    )  # fmt: skip
    json.dumps(figures)  # plain values only
    return result, "\n".join(parts)


def test_no_end_date_column_steps_aside_from_churn(loaded):
    result, text = report(loaded("no_end_date"))
    assert "subscriptions have no end dates" in text
    assert f"Customer lifetime value {NO_CHURN}" in text
    assert "Logo survival by cohort needs churned customers, and the subscriptions have no end dates." in text
    assert result.waterfall.table["churned"].sum() == 0


def test_no_end_date_column_with_renewal_rows():
    """Term rows without end dates all run on: ARR adds up (expansion at each term), nothing churns."""
    from tests.test_revenue_retention import Frames

    tables = shape_tables("no_spend")
    tables["subscriptions"] = tables["subscriptions"].drop(columns=["end_date"])
    result = rr.analyze(Frames(**tables), rr.Settings.from_params(bootstrap_replicates=100))
    assert result.waterfall.table["churned"].sum() == 0 and result.waterfall.table["contraction"].sum() == 0
    assert "churned customers" in result.clv.aside
    for name in view.SECTIONS:
        view.section(result, name)


def test_mrr_only_gives_the_same_arr(loaded):
    with_arr, _ = report(loaded("no_spend"))
    result, text = report(loaded("mrr_only"))
    assert "mrr × 12" in text
    assert result.key_figures()["arr_closing"] == pytest.approx(
        with_arr.key_figures()["arr_closing"], rel=1e-6
    )


def test_one_row_per_account_has_no_expansion_or_contraction(loaded):
    result, _ = report(loaded("one_row_no_change"))
    t = result.waterfall.table
    assert t["expansion"].sum() == 0 and t["contraction"].sum() == 0
    assert result.key_figures()["nrr_ttm"] == pytest.approx(result.key_figures()["grr_ttm"])


def test_overlapping_rows_add_up_and_their_end_is_contraction(loaded):
    as_of = "2026-09-30"
    base, _ = report(loaded("no_spend"), period_end=as_of)
    result, _ = report(loaded("overlapping"), period_end=as_of)
    extra = shape_tables("overlapping")["subscriptions"]
    extra = extra[extra["subscription_id"].str.startswith("X")]
    extra = extra[extra["start_date"] <= as_of]
    ended = int((extra["end_date"] <= as_of).sum())
    after, before = result.waterfall.totals(), base.waterfall.totals()
    # a second product adds 1,000 (new in the first period, else expansion) and its end is contraction
    assert after["new"] + after["expansion"] - before["new"] - before["expansion"] == pytest.approx(
        1_000.0 * len(extra)
    )
    assert after["contraction"] - before["contraction"] == pytest.approx(1_000.0 * ended)
    assert after["churned"] == pytest.approx(before["churned"])
    assert len(result.book.customers) == len(base.book.customers)


def test_no_accounts_takes_dimensions_from_the_won_deals(loaded):
    result, text = report(loaded("no_accounts"))
    assert {"segment", "region"} <= set(result.ttm.by)
    assert "accounts" in text  # the data note names the missing table


def test_no_dimensions_says_so_and_fits_all_customers(loaded):
    result, text = report(loaded("no_dimensions"))
    assert "No breakdown is shown: the dimensions asked for (segment, region) have no values" in text
    assert set(result.clv.parameters["segment"]) == {"All customers"}


def test_no_marketing_spend_says_what_is_needed(loaded):
    result, text = report(loaded("no_spend"))
    assert NO_SPEND in text
    assert "cac_blended" not in result.key_figures()


def test_no_opportunities_cannot_attribute_channels(loaded):
    _, text = report(loaded("no_opportunities"))
    assert "CAC by channel needs the lead source of each customer" in text


def test_one_period_only(loaded):
    result, text = report(loaded("one_period"), period_end="2025-06-30")
    assert len(result.waterfall.table) == 1
    assert "Trailing-twelve-month retention needs subscriptions from twelve months before" in text
    assert result.key_figures()["nrr_ttm"] is None


def test_grains_and_a_window(loaded):
    ds = loaded("no_spend")
    monthly, _ = report(ds, grain="month", cohort_grain="month", clv_period="month")
    yearly, _ = report(ds, grain="year", cohort_grain="year", clv_period="year", period_start="2024-01-01")
    assert monthly.key_figures()["arr_closing"] == pytest.approx(yearly.key_figures()["arr_closing"])
    assert yearly.waterfall.table["period"].iloc[0] == "2024" and yearly.key_figures()["arr_opening"] > 0
    # the monthly model's churn per month is about a third of the quarterly one's
    m = monthly.clv.fits["All customers"].mean_churn()
    assert 0.01 < m < 0.025


def test_text_from_the_data_is_escaped(loaded):
    ds = loaded("no_spend")
    ds.loads["accounts"].frame = ds["accounts"].assign(segment="<script>alert(1)</script>")
    result = rr.analyze(ds, rr.Settings.from_params(bootstrap_replicates=100))
    raw = "\n".join(
        item.data for name in view.SECTIONS for item in view.section(result, name) if hasattr(item, "data")
    )
    raw += view.summary(result).data
    assert "<script>" not in raw and "&lt;script&gt;" in raw


def test_notebook_is_stripped_and_has_a_tagged_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert all(c.get("id") for c in nb.cells)
    assert "parameters" in code[0].metadata.get("tags", [])
    assert nb.cells[0].source.startswith("# Revenue retention and customer value report")
    defaults = rr.Settings.defaults()
    for name in defaults:
        assert f"\n{name}: " in "\n" + code[0].source


def test_notebook_settings_come_from_its_parameters_in_one_line():
    """The settings cell is one call over the parameters cell's variables; each is checked as in from_params."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    namespace: dict = {}
    exec(code[0].source, namespace)  # the notebook's own parameters cell
    namespace |= {"grain": "Month", "min_n": 12, "unrelated": object()}
    s = rr.Settings.from_namespace(namespace)
    assert (s.grain, s.min_n, s.bootstrap_replicates) == ("month", 12, 500)
    assert any(c.source == "settings = report.Settings.from_namespace(globals())" for c in code)
    with pytest.raises(ParamsError, match="grain"):
        rr.Settings.from_namespace(namespace | {"grain": "fortnight"})


@pytest.mark.slow
def test_notebook_on_the_sample_and_without_end_dates(tmp_path, loaded):
    (tmp_path / "sample").mkdir()
    (tmp_path / "no_end").mkdir()
    run_dir = execute_report_notebook(NOTEBOOK, tmp_path / "sample", None, {"bootstrap_replicates": 200})
    figures = json.loads((run_dir / "key_figures.json").read_text())
    assert figures["nrr_ttm_ci_low"] < figures["nrr_ttm"] < figures["nrr_ttm_ci_high"]
    tables = {p.stem for p in (run_dir / "tables").glob("*.csv")}
    assert {"arr_waterfall", "cohort_retention", "clv_by_customer", "clv_parameters"} <= tables
    ds = loaded("no_end_date")
    data_file = ds.config.file
    run_dir = execute_report_notebook(NOTEBOOK, tmp_path / "no_end", Path(data_file))
    out = nbformat.read(tmp_path / "no_end" / "out.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in out.cells])
    assert "subscriptions have no end dates" in text and "data:image/png;base64" in text
    assert np.isnan(json.loads((run_dir / "key_figures.json").read_text()).get("clv_mean") or np.nan)
