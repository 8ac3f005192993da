"""Real-browser test kit: a live waitress server over the sample data, and Debian's Chromium
driven by Playwright.

Without Chromium (``/usr/bin/chromium``), Playwright or axe-core the browser tests are skipped
with a plain reason in the summary; with ``CI`` set (``.ci/run``) they fail instead, so CI can
never pass without having run them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import REFERENCE_DATE, REPO
from kit_live_server import serving

from sociale_kaart import create_app
from sociale_kaart.config import load_settings

CHROMIUM = Path(os.environ.get("SOCIALE_KAART_CHROMIUM", "/usr/bin/chromium"))
#: As root, in a closed network: no sandbox, and none of Chromium's own traffic.
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
NODE_DIR = Path(__file__).resolve().parent / "node"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

_skip_reasons: set[str] = set()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium through Playwright (tests/browser)")


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    """Say plainly, above the short summary, that the browser tests did not run, and why."""
    for reason in sorted(_skip_reasons):
        count = sum(1 for report in terminalreporter.stats.get("skipped", [])
                    if reason in str(report.longrepr))
        terminalreporter.write_line(f"{reason} — {count} browser test(s) did not run",
                                    yellow=True, bold=True)


def _missing(reason: str):
    """Skip with a plain reason on a developer's machine; fail in CI."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(reason.replace("browser tests skipped", "browser tests cannot run in CI")
                    + " — .ci/run must install it", pytrace=False)
    _skip_reasons.add(reason)
    pytest.skip(reason)


# -- the live server -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(sample_instance) -> Iterator[str]:
    """The site over the sample data, served by waitress (as in production) in a thread,
    with map tiles switched off so no page may touch another host."""

    settings = load_settings(sample_instance, today=REFERENCE_DATE, tiles_url="",
                             flask={"TILES_URL": "", "PROPAGATE_EXCEPTIONS": False})
    app = create_app(settings)
    with serving(app, threads=8, name="live-server") as base:
        yield base


# -- the browser -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("browser tests skipped: playwright is not installed "
                 "(.venv/bin/pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _missing(f"browser tests skipped: {CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="nl-NL")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=DESKTOP,
                                  java_script_enabled=False, locale="nl-NL")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def open_page(page, path: str, *, expect: int = 200, pending: bool | str = False,
              wait_until: str = "load"):
    """Go to path and check the status. A ``pending`` page that is not built yet (404, or
    the template named by ``pending`` does not exist) makes the test xfail instead of fail,
    so the test turns green by itself when the page lands."""
    response = page.goto(path, wait_until=wait_until)
    assert response is not None
    missing = response.status == 404 or (
        isinstance(pending, str) and not (REPO / "templates" / pending).exists())
    if pending and missing:
        pytest.xfail(f"page not built yet: {path}")
    assert response.status == expect, f"{path}: HTTP {response.status}, expected {expect}"
    return response


def same_host(url: str, base: str) -> bool:
    return urlsplit(url).netloc == urlsplit(base).netloc


# -- axe-core --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        _missing(f"browser tests skipped: {AXE_JS.relative_to(REPO)} not found "
                 "(run npm ci --prefix tests/browser/node)")
    return AXE_JS.read_text("utf-8")


def format_violations(path: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} axe violation(s) on {path}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v.get('impact')}]: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    {json.dumps(node['target'])}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.fixture
def axe(browser, live_server, axe_source):
    """audit(path) → axe-core's violations on that page (bypassing any CSP to inject it)."""
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, bypass_csp=True,
                                  locale="nl-NL")
    context.set_default_timeout(20_000)
    page = context.new_page()

    def audit(path: str, *, expect: int = 200, pending: bool | str = False) -> list[dict]:
        open_page(page, path, expect=expect, pending=pending, wait_until="networkidle")
        page.add_script_tag(content=axe_source)
        return page.evaluate("tags => axe.run(document, {runOnly: tags})"
                             ".then(r => r.violations)", AXE_TAGS)

    yield audit
    context.close()


@pytest.fixture(scope="session")
def service_id(live_server) -> str:
    """A listing with a location (the first hit for 'koffie')."""
    from urllib.request import urlopen

    with urlopen(f"{live_server}/api/v1/search?q=koffie", timeout=10) as response:
        return json.load(response)["results"][0]["id"]
