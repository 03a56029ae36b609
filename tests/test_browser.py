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
