"""Open a local HTML file in headless Debian Chromium with the network blocked, and report what happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
]


@dataclass
class PageVisit:
    """What a page did when opened: requests it tried, errors, dialogs and images."""

    url: str
    blocked_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    title: str = ""


def visit_pages(chromium: str, pages: list[Path], screenshots: Path) -> list[PageVisit]:
    """Open each page offline, collect a :class:`PageVisit` and save a full-page PNG screenshot."""
    from playwright.sync_api import sync_playwright

    screenshots.mkdir(parents=True, exist_ok=True)
    visits = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            for path in pages:
                visits.append(_visit(browser, path, screenshots))
        finally:
            browser.close()
    return visits


def _visit(browser, path: Path, screenshots: Path) -> PageVisit:
    url = path.resolve().as_uri()
    visit = PageVisit(url)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def route(r):
        if r.request.url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            visit.blocked_requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda req: visit.failed_requests.append(req.url))
    page.on("console", lambda msg: visit.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: visit.page_errors.append(str(exc)))

    def on_dialog(dialog):
        visit.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    state = page.evaluate(
        """() => Array.from(document.images).map(img => ({
            src: img.src.slice(0, 60), ok: img.complete && img.naturalWidth > 0}))"""
    )
    visit.images = len(state)
    visit.broken_images = [s["src"] for s in state if not s["ok"]]
    visit.title = page.title()
    name = "-".join(path.resolve().parts[-3:]).replace(".html", "") + ".png"
    page.screenshot(path=str(screenshots / name), full_page=True)
    context.close()
    return visit
