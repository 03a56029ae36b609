"""The four report notebooks rendered by `revops-nb run --jobs 2` on the sample, checked as a stakeholder sees them."""

from __future__ import annotations

import json
import re

import pytest

from revops_nb.report.html import external_references
from tests.browser import visit_pages
from tests.helpers import ROOT, cli
from tests.sample_figures import differences

pytestmark = pytest.mark.slow

EXPECTED = {
    "market_analysis": {
        "figures": {
            "bookings_total",
            "bookings_growth_yoy",
            "arr_total",
            "customers_total",
            "top_growth_region",
            "top_growth_region_growth",
            "penetration_accounts",
        },
        "tables": {"bookings_by_period", "growth_by_region", "penetration"},
    },
    "win_loss": {
        "figures": {
            "win_rate",
            "win_rate_ci_low",
            "win_rate_ci_high",
            "n_closed",
            "n_won",
            "n_open",
            "won_amount",
            "win_rate_amount_weighted",
            "median_cycle_days_won",
            "median_cycle_days_lost",
            "pipeline_velocity_per_day",
        },
        "tables": {"loss_reasons", "win_drivers", "win_rate_by_region", "win_rate_by_competitor"},
    },
    "nps_retention": {
        "figures": {
            "nps",
            "nps_ci_low",
            "nps_ci_high",
            "n_responses",
            "n_linked",
            *(
                f"retention_{c}{s}"
                for c in ("promoters", "passives", "detractors")
                for s in ("", "_ci_low", "_ci_high")
            ),
            "spearman_score_retention",
            "spearman_p",
            "logrank_p",
            "odds_ratio_per_point",
            "arr_at_risk_detractors",
            "verdict",
        },
        "tables": {"retention_by_category", "nps_by_segment", "nps_by_quarter"},
    },
    "churn_model": {
        "figures": {
            "mode",
            "churn_rate",
            "n_train",
            "n_test",
            "roc_auc",
            "roc_auc_ci_low",
            "roc_auc_ci_high",
            "pr_auc",
            "brier",
            "top_decile_lift",
            "arr_at_risk",
            "model",
        },
        "tables": {"churn_scores", "lift_by_decile", "calibration", "drivers"},
    },
    "revenue_retention": {
        "figures": {
            "nrr_ttm",
            "grr_ttm",
            "arr_opening",
            "arr_closing",
            "arr_new",
            "arr_expansion",
            "arr_contraction",
            "arr_churned",
            "clv_mean",
            "customer_base_value",
        },
        "tables": {"arr_waterfall", "cohort_retention", "clv_by_customer", "clv_parameters"},
    },
    "pipeline_forecast": {
        "figures": {
            "forecast_current_low",
            "forecast_current_high",
            "forecast_mape",
            "forecast_bias",
            "coverage_ratio",
            "required_opportunities",
            "required_mqls_low",
            "required_mqls_high",
        },
        "tables": {"stage_funnel", "forecast_backtest", "sla_plan"},
    },
}


@pytest.fixture(scope="module")
def all_reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = cli("run", "--jobs", "2", "--out", out, cwd=ROOT, timeout=900)
    assert result.code == 0, result.text
    runs = {}
    for path in out.glob("*/*/run.json"):
        info = json.loads(path.read_text())
        runs[info["report"]] = (path.parent, info)
    return out, runs


def test_every_report_ran_ok_with_its_key_figures_and_tables(all_reports):
    _, runs = all_reports
    assert set(runs) == set(EXPECTED)
    for report, expected in EXPECTED.items():
        folder, info = runs[report]
        assert info["status"] == "ok", (report, info.get("error"))
        missing = expected["figures"] - set(info["key_figures"])
        assert not missing, (report, missing)
        tables = {p.stem for p in (folder / "tables").glob("*.csv")}
        assert expected["tables"] <= tables, (report, expected["tables"] - tables)


def test_every_key_figure_and_table_matches_the_recorded_sample(all_reports):
    """The embedded sample's figures as recorded before aggregation moved into the engine."""
    out, _ = all_reports
    found = differences(out)
    assert not found, "\n".join(found[:30])


def test_sample_findings_reach_the_key_figures(all_reports):
    _, runs = all_reports
    assert runs["market_analysis"][1]["key_figures"]["top_growth_region"] == "APAC"
    assert runs["nps_retention"][1]["key_figures"]["verdict"] == "predicts"
    win = runs["win_loss"][1]["key_figures"]
    assert win["win_rate_ci_low"] < win["win_rate"] < win["win_rate_ci_high"]
    churn = runs["churn_model"][1]["key_figures"]
    assert churn["roc_auc_ci_low"] < churn["roc_auc"] < churn["roc_auc_ci_high"] and churn["roc_auc"] > 0.6
    retention = runs["revenue_retention"][1]["key_figures"]
    assert retention["grr_ttm"] <= 1.0 <= retention["nrr_ttm"] + 0.1  # churn is lost, expansion planted
    moves = ("arr_new", "arr_expansion", "arr_contraction", "arr_churned")
    new, expansion, contraction, churned = (retention[k] for k in moves)
    assert retention["arr_closing"] == pytest.approx(
        retention["arr_opening"] + new + expansion - contraction - churned, rel=1e-9
    )
    forecast = runs["pipeline_forecast"][1]["key_figures"]
    assert forecast["forecast_current_low"] < forecast["forecast_current_high"]
    assert forecast["required_mqls_low"] <= forecast["required_mqls_high"]


def test_reports_read_like_reports(all_reports):
    _, runs = all_reports
    for report, (folder, _) in runs.items():
        html = (folder / "report.html").read_text()
        assert external_references(html) == [], report
        assert "injected-parameters" not in html and "from revops_nb" not in html, report
        assert re.search(r'<nav class="revops-toc">.*?Summary', html, re.S), report
        assert "PosixPath(" not in html and "<Figure size" not in html, report
        assert html.count("data:image/png;base64") >= 2, report
        assert "Traceback" not in html, report
        images = re.findall(r"<img\b[^>]*>", html)
        without_alt = [tag[:80] for tag in images if not re.search(r'\balt="[^"]+"', tag)]
        assert images and without_alt == [], (report, without_alt)  # every chart says what it shows
        assert "Warning:" not in html and "warnings.warn" not in html, report


def test_reports_and_index_open_offline_in_chromium(all_reports, chromium_path):
    out, runs = all_reports
    pages = [folder / "report.html" for folder, _ in runs.values()] + [out / "index.html"]
    visits = visit_pages(chromium_path, pages, out / "screenshots")
    for visit in visits:
        assert not (visit.blocked_requests or visit.failed_requests), visit
        assert not (visit.console_errors or visit.page_errors or visit.dialogs), visit
        assert visit.broken_images == [], visit
    assert all(v.images >= 2 for v in visits if v.url.endswith("report.html"))
