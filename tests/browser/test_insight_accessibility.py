"""axe-core finds nothing on the insight pages (issue 10), signed in as a beheerder, and the
dashboard works without JavaScript."""

from __future__ import annotations

import pytest
from kit_insight import BEHEERDER, PERIOD, build
from kit_live_server import serving

from .conftest import AXE_TAGS, DESKTOP, format_violations

pytestmark = pytest.mark.browser

PASSWORD = "een-lang-wachtwoord"
PERIOD_QUERY = f"van={PERIOD[0].isoformat()}&tot={PERIOD[1].isoformat()}"
PAGES = [
    ("dashboard", f"/inzicht/?{PERIOD_QUERY}"),
    ("dashboard-per-week", f"/inzicht/?{PERIOD_QUERY}&per=week"),
    ("coverage", "/inzicht/dekking"),
    ("coverage-theme", "/inzicht/dekking?keuze=levensgebied:ontmoeting"),
    ("indicators", f"/inzicht/opgaven?{PERIOD_QUERY}"),
    ("quality", f"/inzicht/kwaliteit?{PERIOD_QUERY}"),
    ("synonym", "/inzicht/synoniem?term=schuldhulp"),
    ("opgaven-edit", "/inzicht/opgaven/bewerken"),
    ("find-listing", "/inzicht/aanbod?q=inloop"),
    ("bad-period", "/inzicht/?van=2026-05-01&tot=2026-01-01"),
]


@pytest.fixture(scope="module")
def insight_server(tmp_path_factory):

    world = build(tmp_path_factory.mktemp("insight-browser"), tiles_url="")
    world.app.config["PROPAGATE_EXCEPTIONS"] = False
    with serving(world.app, threads=4, name="insight-server") as base:
        yield base


@pytest.fixture(scope="module")
def signed_in(browser, insight_server):
    context = browser.new_context(base_url=insight_server, viewport=DESKTOP, bypass_csp=True,
                                  locale="nl-NL")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/account/inloggen")
    page.fill("input[name=email]", BEHEERDER)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    yield page
    context.close()


@pytest.mark.parametrize("path", [pytest.param(p, id=name) for name, p in PAGES])
def test_no_axe_violations(signed_in, axe_source, path):
    response = signed_in.goto(path, wait_until="networkidle")
    assert response is not None and response.status in (200, 400), response.status
    assert "/inzicht/" in signed_in.url  # signed in: not sent to the login page
    signed_in.add_script_tag(content=axe_source)
    violations = signed_in.evaluate("tags => axe.run(document, {runOnly: tags})"
                                    ".then(r => r.violations)", AXE_TAGS)
    assert not violations, format_violations(path, violations)


def test_dashboard_without_javascript(browser, insight_server):
    context = browser.new_context(base_url=insight_server, viewport=DESKTOP,
                                  java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto("/account/inloggen")
        page.fill("input[name=email]", BEHEERDER)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        page.goto(f"/inzicht/?{PERIOD_QUERY}")
        assert page.locator("#tabel-top tbody tr").count() >= 3
        page.select_option("#per", "week")
        with page.expect_navigation():
            page.locator("form.inline-form button[type=submit]").click()
        assert "per=week" in page.url
        assert page.locator("#tabel-trend tbody tr").count() > 10
        with page.expect_navigation():
            page.get_by_role("link", name="Dekking per kern").click()
        assert page.locator("#tabel-dekking tbody tr").count() > 3
    finally:
        context.close()
