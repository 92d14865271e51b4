"""The reports in a real browser: Debian's Chromium driven by Playwright (from PyPI), opened from disk.

For ``index.html`` and every report of the session's study run (which includes a hostile source whose text
holds ``<script>`` and an ``onerror`` attribute): no console errors, no page errors, no request that fails or
leaves the file (no network at all), every image loaded, the citation present, and nothing from the hostile
source runs (no dialog, no script element, the title unchanged, the markup shown as text).

Chromium comes from the system (``apt-get install -y chromium``; ``.ci/run`` installs it). Without it the test is
skipped with the reason, except under CI (``CI=true``), where its absence is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import HOSTILE_CLAIM_ID, HOSTILE_MARKUP

CHROMIUM = Path(os.environ.get("GOVERNANCE_STUDY_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)) and not shutil.which(str(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="session")  # session, like study_run, so that a skip comes before the study runs
def browser():
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the browser test cannot run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = b.new_context(offline=True)  # offline: a page that needed the network would fail visibly
        try:
            yield context
        finally:
            context.close()
            b.close()


class Visit:
    """One page load with everything it did recorded."""

    def __init__(self, browser, path: Path):
        self.console: list[str] = []
        self.page_errors: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.dialogs: list[str] = []
        page = browser.new_page()
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = path.resolve().as_uri()
        page.goto(self.url, wait_until="load")
        page.wait_for_timeout(50)  # let any (unexpected) handler fire
        # one round trip for everything the checks read
        state = page.evaluate(
            """() => ({
                title: document.title,
                text: document.body.innerText,
                images: [...document.images].map(i => ({src: i.src.slice(0, 40), ok: i.complete && i.naturalWidth > 0, alt: i.alt})),
                scripts: document.scripts.length,
                eventAttributes: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on')),
                injectedImages: document.querySelectorAll("img[src='x']").length,
                flag: window.__pwned === true,
            })"""
        )
        self.title = state["title"]
        self.text = state["text"]
        self.images = state["images"]
        self.scripts = state["scripts"]
        self.event_attributes = state["eventAttributes"]
        self.injected_images = state["injectedImages"]
        self.flag = state["flag"]
        page.close()

    @property
    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file://", "data:"))]


def _pages(study_run) -> list[Path]:
    reports = study_run.paths.reports
    pages = sorted(p for p in reports.rglob("*.html") if "_failed" not in p.parts and ".cache" not in p.parts)
    assert reports / "index.html" in pages and len(pages) > 5
    return pages


def test_every_page_loads_cleanly_offline(browser, study_run):
    problems = []
    for path in _pages(study_run):
        visit = Visit(browser, path)
        name = path.relative_to(study_run.paths.reports).as_posix()
        for what, items in (
            ("console", visit.console),
            ("page error", visit.page_errors),
            ("failed request", visit.failed),
            ("external request", visit.external),
            ("dialog", visit.dialogs),
        ):
            problems += [f"{name}: {what}: {item}" for item in items]
        broken = [i for i in visit.images if not i["ok"]]
        problems += [f"{name}: image not loaded: {i['src']}" for i in broken]
        if path.name != "index.html" and not path.name.startswith("04_") and not visit.images:
            problems.append(f"{name}: no figure")
        if any(not i["alt"] for i in visit.images):
            problems.append(f"{name}: an image without alternative text")
        if "Cite this" not in visit.text or "@misc{" not in visit.text:
            problems.append(f"{name}: no citation")
        if "Provenance" not in visit.text or "sha256" not in visit.text:
            problems.append(f"{name}: no provenance")
        if visit.scripts:
            problems.append(f"{name}: {visit.scripts} script element(s)")
    assert not problems, "\n".join(problems)


def test_hostile_source_runs_nothing(browser, study_run):
    for name in ("01_sources_and_coverage.html", "districts/120101.html"):
        visit = Visit(browser, study_run.paths.reports / name)
        assert HOSTILE_CLAIM_ID in visit.text, name
        assert HOSTILE_MARKUP in visit.text, f"{name}: the markup is shown as text"
        assert not visit.dialogs and not visit.page_errors and not visit.flag, name
        assert visit.title != "pwned", name
        assert visit.injected_images == 0 and visit.scripts == 0, name
        assert not visit.event_attributes, f"{name}: event-handler attributes {visit.event_attributes}"


def test_an_unescaped_report_would_be_caught(browser, tmp_path):
    """The checks above can fail: a page with the same markup unescaped trips them (then CSP-blocked)."""
    page = tmp_path / "bad.html"
    page.write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body>{HOSTILE_MARKUP}</body></html>", encoding="utf-8")
    visit = Visit(browser, page)
    assert visit.dialogs or visit.title == "pwned" or visit.injected_images or visit.scripts
