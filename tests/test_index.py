"""The index a stakeholder opens: figures with label, unit and interval on one line, change and trend."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from revops_nb.record import KEY_FIGURE_META_FILE, KEY_FIGURES_FILE, RUN_DIR_ENV, record, recorded_meta
from revops_nb.report import index
from revops_nb.report.figures import (
    RunContext,
    figures_of,
    format_change,
    format_interval,
    format_line,
    format_value,
    label_of,
    run_context,
    unit_of,
)

WIN = {"win_rate": 0.2693, "win_rate_ci_low": 0.2594, "win_rate_ci_high": 0.2796}


def line(key_figures: dict, run: dict | None = None, meta: dict | None = None) -> str:
    """The one line of the first figure, in the context of ``run``."""
    context = run_context({"key_figures": key_figures, **(run or {})})
    return format_line(figures_of(key_figures, meta)[0], context)


# ---------------------------------------------------------------- one figure as text


def test_rate_with_its_interval_is_one_line():
    assert line(WIN) == "Win rate 26.9% (95% CI 25.9–28.0%)"


def test_interval_level_comes_from_the_run_else_95():
    assert "(90% CI" in line(WIN, {"params": {"confidence": 0.9}})
    assert "(97.5% CI" in line({**WIN, "confidence": 0.975}, {"params": {"confidence": 0.9}})
    assert "(95% CI" in line(WIN, {"params": {"confidence": "high"}})


def test_missing_or_half_interval_prints_no_interval():
    assert line({"win_rate": 0.2693}) == "Win rate 26.9%"
    assert line({"win_rate": 0.2693, "win_rate_ci_low": 0.25}) == "Win rate 26.9%"
    assert line({"win_rate": 0.2693, "win_rate_ci_low": None, "win_rate_ci_high": 0.28}) == "Win rate 26.9%"


def test_none_values_show_a_dash_and_no_interval():
    assert line({"win_rate": None, "win_rate_ci_low": 0.2, "win_rate_ci_high": 0.3}) == "Win rate –"
    assert line({"arr_total": None}, {"params": {"currency": "USD"}}) == "ARR –"
    assert format_value(float("nan"), "percent") == "–"


def test_money_shows_the_reports_currency_compact():
    assert line({"bookings_total": 97_399_919.09}, {"params": {"currency": "USD"}}) == "Bookings USD 97.4M"
    assert line({"arr_total": 60_024_734.0}, {"params": {"reporting_currency": "EUR"}}) == "ARR EUR 60.0M"
    assert line({"won_amount": 1_234.0, "reporting_currency": "GBP"}, {"params": {}}) == "Won amount GBP 1.2k"
    assert line({"arr_at_risk": 999_960.0}) == "ARR at risk 1.0M"  # no currency known: no guess
    assert format_value(-1_260_000, "money", "USD") == "−USD 1.3M"
    assert format_value(950, "money", "USD") == "USD 950"
    assert format_value(2.5e9, "money", "USD") == "USD 2.5B"


def test_recorded_currency_wins_over_the_parameter_and_gets_no_line():
    figures = {"arr_total": 5e6, "reporting_currency": "EUR"}
    assert run_context({"key_figures": figures, "params": {"currency": "USD"}}).currency == "EUR"
    assert [f.name for f in figures_of(figures)] == ["arr_total"]


def test_counts_are_integers_with_thousands_separators():
    assert line({"n_closed": 7373}) == "Closed deals 7,373"
    assert line({"customers_total": 1_234_567}) == "Customers 1,234,567"
    assert line({"n_accounts_linked": 589.0}) == "Accounts linked 589"
    assert line({"renewals_count": 12.5}) == "Renewals count 12.5"


def test_nps_is_a_signed_score_with_a_to_interval():
    assert line({"nps": 1.5178, "nps_ci_low": -1.69, "nps_ci_high": 4.73}) == "NPS +1.5 (95% CI −1.7 to +4.7)"
    assert line({"nps": -32.04}) == "NPS −32.0"
    assert line({"nps": 0.01}) == "NPS 0.0"


def test_other_units():
    assert line({"median_cycle_days_won": 45.0}) == "Median cycle of won deals 45 days"
    assert line({"roc_auc": 0.8468, "roc_auc_ci_low": 0.7939, "roc_auc_ci_high": 0.8938}) == (
        "ROC AUC 0.847 (95% CI 0.794–0.894)"
    )
    assert line({"spearman_p": 1.3e-7}) == "Spearman p-value < 0.001"
    assert line({"logrank_p": 0.0421}) == "Log-rank p-value 0.042"
    assert line({"top_decile_lift": 5.8109}) == "Top-decile lift 5.81×"
    assert line({"calibrated": False}) == "Calibrated: no"
    assert line({"top_growth_region": "APAC"}) == "Top growth region: APAC"
    assert line({"pipeline_velocity_per_day": 142_112.3}, {"params": {"currency": "USD"}}) == (
        "Pipeline velocity per day USD 142.1k"
    )


@pytest.mark.parametrize(
    ("name", "value", "unit"),
    [
        ("win_rate", 0.3, "percent"),
        ("win_rate_amount_weighted", 0.3, "percent"),  # a rate, although it names an amount
        ("bookings_growth_yoy", 0.33, "percent"),  # growth, although it names bookings
        ("retention_promoters", 0.9, "percent"),
        ("penetration_accounts", 0.03, "percent"),
        ("spearman_score_retention", 0.2, "number"),  # a correlation, although it names retention
        ("odds_ratio_per_point", 0.7, "number"),
        ("pr_auc", 0.48, "number"),
        ("bookings_total", 9e7, "money"),
        ("arr_at_risk_expected_loss", 3e6, "money"),
        ("n_train", 10, "count"),
        ("customers_total", 945, "count"),
        ("nps", 12.0, "nps"),
        ("median_cycle_days_lost", 62.0, "days"),
        ("mode", "history", "text"),
        ("arrival_rate", 42.0, "number"),  # not a fraction, so not a percent
        ("something_else", 3.0, "number"),
    ],
)
def test_unit_follows_the_naming_convention(name, value, unit):
    assert unit_of(name, value) == unit


def test_explicit_unit_and_label_win_over_the_name():
    meta = {"score_x": {"unit": "percent", "label": "Share of X"}, "nps": {"unit": "bogus"}}
    figures = figures_of({"score_x": 0.5, "nps": 3.0}, meta)
    assert [format_line(f) for f in figures] == ["Share of X 50.0%", "NPS +3.0"]
    assert label_of("arr_total") == "ARR" and label_of("n_responses") == "NPS responses"


def test_interval_without_its_figure_keeps_its_own_line():
    assert [f.name for f in figures_of({"x_ci_low": 0.1, "x_ci_high": 0.2})] == ["x_ci_low", "x_ci_high"]


def test_money_interval_names_the_currency_once():
    text = format_interval(1.2e6, 1.5e6, "money", "USD", 0.95)
    assert text == "95% CI USD 1.2M–1.5M"


@pytest.mark.parametrize(
    ("change", "unit", "text"),
    [
        (0.004, "percent", "+0.4 pp"),
        (-0.0123, "percent", "−1.2 pp"),
        (0.00001, "percent", "no change"),
        (-1.2e6, "money", "−USD 1.2M"),
        (12, "count", "+12"),
        (0.8, "nps", "+0.8 points"),
        (-3.0, "days", "−3 days"),
        (0.0, "number", "no change"),
        (0.01, "p_value", ""),
        (None, "percent", ""),
    ],
)
def test_change_since_previous_run(change, unit, text):
    assert format_change(change, unit, "USD") == text


# ---------------------------------------------------------------- record() with unit and label


def test_record_stores_unit_and_label_beside_the_plain_figures(tmp_path, monkeypatch):
    monkeypatch.setenv(RUN_DIR_ENV, str(tmp_path))
    record("bookings_total", 9.7e7, unit="money", label="Bookings")
    record("win_rate", 0.27)
    assert json.loads((tmp_path / KEY_FIGURES_FILE).read_text()) == {
        "bookings_total": 9.7e7,
        "win_rate": 0.27,
    }
    meta = json.loads((tmp_path / KEY_FIGURE_META_FILE).read_text())
    assert meta == {"bookings_total": {"unit": "money", "label": "Bookings"}}
    assert recorded_meta()["bookings_total"] == {"unit": "money", "label": "Bookings"}


def test_record_without_unit_writes_no_meta_and_rejects_unknown_units(tmp_path, monkeypatch):
    monkeypatch.setenv(RUN_DIR_ENV, str(tmp_path))
    assert record("n_won", 3) is None
    assert not (tmp_path / KEY_FIGURE_META_FILE).exists()
    with pytest.raises(ValueError, match="unit 'dollars'"):
        record("x", 1.0, unit="dollars")
    with pytest.raises(ValueError, match="label"):
        record("x", 1.0, label=" ")


# ---------------------------------------------------------------- the index from run folders


def write_run(
    out: Path,
    report: str,
    day: int,
    figures: dict,
    status: str = "ok",
    params: dict | None = None,
    meta: dict | None = None,
    meta_in_run_json: bool = False,
    error: str | None = None,
    title: str | None = None,
) -> str:
    """A published run folder as the runner leaves it (run.json, report.html); returns its run_id."""
    run_id = f"202601{day:02d}T090000Z-{report[:3]}{day:03d}"
    folder = out / report / run_id
    folder.mkdir(parents=True)
    info = {
        "report": report,
        "title": title or report.replace("_", " ").capitalize(),
        "run_id": run_id,
        "status": status,
        "error": error,
        "started": f"2026-01-{day:02d}T09:00:00+00:00",
        "duration_s": 12.5,
        "params": params or {},
        "key_figures": figures,
    }
    if meta and meta_in_run_json:
        info["key_figure_meta"] = meta
    elif meta:
        (folder / KEY_FIGURE_META_FILE).write_text(json.dumps(meta))
    (folder / "run.json").write_text(json.dumps(info))
    (folder / "report.html").write_text("<html></html>")
    return run_id


def rows_text(page: str) -> list[str]:
    """Every table row of the page as the text a reader sees, cells joined by one space."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    text = [re.sub(r"<title>.*?</title>", "", r) for r in rows]
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t))).strip() for t in text]


def row_of(page: str, label: str) -> str:
    return next(r for r in rows_text(page) if r.startswith(label + " "))


@pytest.fixture
def out(tmp_path) -> Path:
    """Three good win/loss runs then a failed one, one market run, and a foreign report."""
    out = tmp_path / "reports"
    usd = {"reporting_currency": "USD", "confidence": 0.95}
    for day, rate in ((1, 0.255), (2, 0.265), (3, 0.2693)):
        figures = {**WIN, "win_rate": rate, "n_closed": 7000 + day, "won_amount": 1e8 + day * 1e6}
        write_run(out, "win_loss", day, figures, params=usd)
    write_run(
        out, "win_loss", 4, {}, status="failed", error="opportunities: <b>no deal</b> closed", params=usd
    )
    write_run(out, "market_analysis", 2, {"bookings_total": 9.5e7}, params={"currency": "EUR"})
    write_run(out, "market_analysis", 3, {"bookings_total": 97_399_919.09}, params={"currency": "USD"})
    write_run(out, "aaa_custom", 1, {"n_rows": 3})
    (out / "aaa_custom" / "broken").mkdir()
    (out / "aaa_custom" / "broken" / "run.json").write_text("{not json")
    return out


def test_index_shows_each_figure_on_one_line_with_change_and_trend(out):
    page = index.render_index(out)
    assert row_of(page, "Win rate") == "Win rate 26.9% (95% CI 25.9–28.0%) +0.4 pp"
    assert row_of(page, "Closed deals") == "Closed deals 7,003 +1"
    assert row_of(page, "Won amount") == "Won amount USD 103.0M +USD 1.0M"
    svg = re.search(r"<svg[^>]*aria-label=\"Win rate[^>]*>.*?</svg>", page, flags=re.S).group(0)
    title = html.unescape(re.search(r"<title>(.*?)</title>", svg).group(1))
    assert title == (
        "Win rate, last 3 good runs, oldest first: 2026-01-01 25.5%; 2026-01-02 26.5%; 2026-01-03 26.9%"
    )
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    assert len(points) == 3
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[0] > ys[1] > ys[2]  # rising rate: lower y in SVG coordinates
    assert "Last 3 good runs" in page


def test_failed_latest_run_shows_beside_the_previous_good_run(out):
    page = index.render_index(out)
    win = page[page.index("Win loss") : page.index("</section>", page.index("Win loss"))]
    assert "st-failed" in win.split("</h2>")[0]
    good, failed = "20260103T090000Z-win003", "20260104T090000Z-win004"
    assert f"Latest good run: <a href='win_loss/{good}/report.html'>{good}</a>" in win
    assert f"href='win_loss/{failed}/report.html'" in win and "History (4 runs)" in win
    assert "&lt;b&gt;no deal&lt;/b&gt;" in win and "<b>no deal" not in win
    assert "Win rate" in win  # the figures of the good run stay on the index


def test_standard_report_order_and_no_change_across_currencies(out):
    page = index.render_index(out)
    assert page.index("Market analysis") < page.index("Win loss") < page.index("Aaa custom")
    assert row_of(page, "Bookings") == "Bookings USD 97.4M other currency before"
    assert 'aria-label="Bookings' not in page  # one comparable run: no trend line


def test_trend_keeps_the_last_eight_good_runs_and_skips_runs_without_the_figure(tmp_path):
    for day in range(1, 11):
        figures = {"nps": float(day)} if day != 9 else {"n_responses": 5}
        write_run(tmp_path, "nps_retention", day, figures)
    page = index.render_index(tmp_path)
    title = html.unescape(re.search(r"<title>(NPS, .*?)</title>", page).group(1))
    assert title.startswith("NPS, last 7 good runs, oldest first: 2026-01-03 +3.0;")
    assert title.endswith("2026-01-10 +10.0") and "2026-01-09" not in title
    assert row_of(page, "NPS") == "NPS +10.0 new"  # not in the previous good run


def test_only_good_run_has_no_change_and_no_trend(tmp_path):
    write_run(tmp_path, "win_loss", 1, WIN)
    page = index.render_index(tmp_path)
    assert row_of(page, "Win rate") == "Win rate 26.9% (95% CI 25.9–28.0%) –"
    assert "<svg" not in page
    assert "History (1 run)" in page


def test_no_good_run_says_so(tmp_path):
    write_run(tmp_path, "win_loss", 1, {"win_rate": 0.3}, status="failed", error="boom")
    page = index.render_index(tmp_path)
    assert "No headline figures recorded yet." in page and "Latest good run" not in page


def test_recorded_units_and_labels_are_used_and_escaped(tmp_path):
    xss = "<img src=x onerror=alert(1)>"
    meta = {"score_x": {"unit": "percent", "label": f"Share {xss}"}}
    write_run(tmp_path, "win_loss", 1, {"score_x": 0.5, "top_region": xss}, meta=meta)
    write_run(tmp_path, "market_analysis", 1, {"score_y": 0.25}, meta={"score_y": {"unit": "percent"}})
    write_run(
        tmp_path,
        "nps_retention",
        1,
        {"score_z": 0.25},
        meta={"score_z": {"unit": "percent"}},
        meta_in_run_json=True,
    )
    page = index.render_index(tmp_path)
    assert xss not in page and "<script" not in page
    assert row_of(page, "Share " + xss) == f"Share {xss} 50.0% –"
    assert row_of(page, "Top region") == f"Top region {xss} –"
    assert row_of(page, "Score y") == "Score y 25.0% –" and row_of(page, "Score z") == "Score z 25.0% –"


def test_text_figure_change_says_what_it_was(tmp_path):
    write_run(tmp_path, "market_analysis", 1, {"top_growth_region": "EMEA", "mode": "a"})
    write_run(tmp_path, "market_analysis", 2, {"top_growth_region": "APAC", "mode": "a"})
    page = index.render_index(tmp_path)
    assert row_of(page, "Top growth region") == "Top growth region APAC was EMEA"
    assert row_of(page, "Mode") == "Mode a no change"


def test_figures_beyond_the_first_eight_are_one_click_away(tmp_path):
    write_run(tmp_path, "churn_model", 1, {f"n_{c}": i for i, c in enumerate("abcdefghijk")})
    page = index.render_index(tmp_path)
    assert "<summary>3 more figures</summary>" in page
    assert page.index("<summary>3 more figures</summary>") < page.index(">I<")


def test_index_is_self_contained(out):
    page = index.write_index(out).read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_sparkline_draws_flat_series_and_escapes_its_title():
    assert index.sparkline_svg([1.0], "x") == ""
    svg = index.sparkline_svg([2.0, 2.0, 2.0], 'a "b" <c>')
    assert svg.count(",11.0") == 3 and "<title>a &quot;b&quot; &lt;c&gt;</title>" in svg


def test_context_defaults():
    assert run_context({}) == RunContext(None, 0.95)
    assert run_context({"params": {"confidence": 90}}).confidence == pytest.approx(0.9)
