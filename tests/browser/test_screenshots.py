"""Screenshots of the main pages at phone and desktop width, for reviewers (not committed):
test-artifacts/screenshots/<page>-<width>.png."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP, PHONE, SCREENSHOTS, open_page

pytestmark = pytest.mark.browser

PAGES = {"home": ("/", False), "results": ("/zoeken?q=koffie", False),
         "map": ("/kaart?q=koffie", True), "detail": ("/aanbod/{service_id}", False)}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_screenshot(browser, live_server, service_id, name, width):
    path, pending = PAGES[name]
    context = browser.new_context(base_url=live_server, viewport=WIDTHS[width],
                                  is_mobile=width == "phone", has_touch=width == "phone")
    try:
        page = context.new_page()
        open_page(page, path.format(service_id=service_id), pending=pending,
                  wait_until="networkidle")
        # No horizontal scrolling at either width (works from 320 px up).
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 0
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width} width"
    finally:
        context.close()


NARROWEST = {"width": 320, "height": 640}


@pytest.mark.parametrize("path", ["/", "/zoeken?q=koffie&near=Werkendam", "/aanbod/{service_id}",
                                  "/plaatsen", "/account/inloggen"])
def test_no_sideways_scrolling_at_320_px(browser, live_server, service_id, path):
    """The smallest phones in use are 320 px wide; nothing may need sideways scrolling."""
    context = browser.new_context(base_url=live_server, viewport=NARROWEST, is_mobile=True,
                                  has_touch=True, locale="nl-NL")
    try:
        page = context.new_page()
        open_page(page, path.format(service_id=service_id), wait_until="networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320 px"
    finally:
        context.close()
