"""Reports and the index opened in headless Chromium, offline: nothing fails, nothing injected runs."""

from __future__ import annotations

import json

import pytest

from tests.browser import visit_pages
from tests.helpers import TINY_NOTEBOOKS, XSS, cli, write_xss_sample

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One ok and one failed run of the test notebook on data with XSS account names."""
    folder = tmp_path_factory.mktemp("browser")
    data = write_xss_sample(folder / "data")
    out = folder / "out"
    base = ["run", "--notebooks", TINY_NOTEBOOKS, "--out", out, "--data", data]
    assert cli(*base).code == 0
    assert cli(*base, "-p", "fail=true").code == 1
    return out


def test_reports_and_index_load_offline_without_errors(rendered, chromium_path):
    pages = [*sorted(rendered.glob("*/*/report.html")), rendered / "index.html"]
    assert len(pages) == 3
    visits = visit_pages(chromium_path, pages, rendered / "screenshots")
    for visit in visits:
        assert visit.blocked_requests == [], visit
        assert visit.failed_requests == [], visit
        assert visit.console_errors == [] and visit.page_errors == [], visit
        assert visit.dialogs == [], f"injected script ran: {visit}"
        assert visit.broken_images == [], visit
    report_visits = [v for v in visits if v.url.endswith("report.html")]
    assert all(v.images >= 1 for v in report_visits)
    assert all(v.title == "Tiny test report" for v in report_visits)
    shots = list((rendered / "screenshots").glob("*.png"))
    assert len(shots) == 3 and all(s.stat().st_size > 10_000 for s in shots)


def test_injected_markup_shows_as_text(rendered, chromium_path):
    from playwright.sync_api import sync_playwright

    ok_run = next(
        p.parent for p in rendered.glob("*/*/run.json") if json.loads(p.read_text())["status"] == "ok"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto((ok_run / "report.html").as_uri())
        text = page.inner_text("body")
        injected = page.evaluate("() => document.querySelectorAll('img[src=\"x\"], script').length")
        browser.close()
    assert XSS[0] in text and XSS[1] in text
    assert injected == 0


def test_index_reads_each_figure_on_one_line(tmp_path, chromium_path):
    """The index of fabricated runs: nothing fails to load, and "Win rate" and its "95% CI" share one line."""
    from playwright.sync_api import sync_playwright

    from revops_nb.report.index import write_index
    from tests.browser import CHROMIUM_ARGS
    from tests.test_index import WIN, write_run

    for day, rate in ((1, 0.255), (2, 0.265), (3, 0.2693)):
        write_run(
            tmp_path,
            "win_loss",
            day,
            {**WIN, "win_rate": rate, "n_closed": 7373},
            params={"confidence": 0.95},
        )
    write_run(tmp_path, "win_loss", 4, {}, status="failed", error="<script>alert(1)</script>")
    index = write_index(tmp_path)
    (visit,) = visit_pages(chromium_path, [index], tmp_path / "screenshots")
    assert visit.blocked_requests == [] and visit.failed_requests == [], visit
    assert visit.console_errors == [] and visit.page_errors == [] and visit.dialogs == [], visit
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 800})
        page.goto(index.as_uri())
        lines = page.inner_text("body").splitlines()
        heights = page.evaluate(
            """() => {
                const row = [...document.querySelectorAll('tbody tr')].find(r => r.cells[0].textContent === 'Win rate');
                const height = el => { const r = document.createRange(); r.selectNodeContents(el);
                                       return r.getBoundingClientRect().height; };
                return [height(row.cells[0]), height(row.cells[1])];
            }"""
        )
        trend = page.locator("svg.spark title").first.text_content()
        browser.close()
    assert any("Win rate" in line and "26.9% (95% CI 25.9–28.0%)" in line for line in lines), lines
    assert 0 < heights[1] <= heights[0] + 2, f"the value and its interval wrap: {heights}"
    assert trend.startswith("Win rate, last 3 good runs, oldest first: 2026-01-01 25.5%")
