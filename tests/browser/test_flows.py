"""Search → filter → detail → back, keyboard only, without JavaScript, language switch."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import open_page

pytestmark = pytest.mark.browser

QUERY = "koffie"

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), id: el.id, cls: String(el.className || ''),
    href: el.getAttribute('href'), text: (el.innerText || el.value || '').trim().slice(0, 60),
    focusVisible: el.matches(':focus-visible'), outline: style.outlineStyle,
    outlineWidth: style.outlineWidth, boxShadow: style.boxShadow,
    inFilters: !!el.closest('.filters'), inResults: !!el.closest('.cards, .card'),
  };
}"""


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def search_from_home(page) -> None:
    page.goto("/")
    page.fill("#q", QUERY)
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").first.click()
    assert urlsplit(page.url).path == "/zoeken"
    assert query_of(page.url)["q"] == [QUERY]
    assert page.locator(".cards a, .card a").count() > 0


def click_first_filter(page) -> tuple[str, str]:
    """Click the first facet link in the filter column; return (facet, value) it added."""
    before = query_of(page.url)
    link = page.locator(".filters a[href^='?']").first
    with page.expect_navigation():
        link.click()
    after = query_of(page.url)
    added = [(key, value) for key, values in after.items() for value in values
             if value not in before.get(key, [])]
    assert len(added) == 1, f"the filter link should add one parameter: {before} → {after}"
    assert after["q"] == [QUERY]
    return added[0]


def open_first_result(page) -> str:
    link = page.locator(".cards a[href^='/aanbod/'], .card a[href^='/aanbod/']").first
    name = link.inner_text().strip()
    with page.expect_navigation():
        link.click()
    assert urlsplit(page.url).path.startswith("/aanbod/")
    assert page.locator("h1").first.inner_text().strip() == name
    return name


def test_search_filter_detail_back_keeps_state(page):
    search_from_home(page)
    facet, value = click_first_filter(page)
    filtered_url = page.url
    assert page.locator(".filters a[aria-current]").count() >= 1
    chips_before = page.locator(".chips a").all_inner_texts()
    assert chips_before, "a chosen filter shows as a removable chip"

    open_first_result(page)
    page.go_back()
    page.wait_for_load_state()
    assert page.url == filtered_url
    assert query_of(page.url)[facet] == [value]
    assert page.input_value("#q") == QUERY
    assert page.locator(".filters a[aria-current]").count() >= 1
    assert page.locator(".chips a").all_inner_texts() == chips_before


def _focus(page) -> dict:
    return page.evaluate(FOCUSED)


def _assert_visible_focus(info: dict) -> None:
    assert info["focusVisible"], f"keyboard focus should match :focus-visible: {info}"
    visible = ((info["outline"] != "none" and info["outlineWidth"] not in ("0px", ""))
               or info["boxShadow"] not in ("none", ""))
    assert visible, f"no visible focus indicator (outline/box-shadow) on {info}"


def tab_until(page, found, limit: int = 250) -> dict:
    """Press Tab until ``found(info)``; every element on the way must show its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = _focus(page)
        if info["tag"] == "body":
            continue
        _assert_visible_focus(info)
        seen.append(info)
        if found(info):
            return info
    raise AssertionError("not reached with Tab; focused on the way: "
                         + ", ".join(f"{i['tag']}#{i['id']}.{i['cls']} {i['text']!r}"
                                     for i in seen[-30:]))


def test_keyboard_only(page):
    page.goto("/")
    page.keyboard.press("Tab")
    first = _focus(page)
    assert first["href"] == "#inhoud", f"the first Tab stop should be the skip link: {first}"
    _assert_visible_focus(first)
    assert page.locator("a[href='#inhoud']").first.is_visible()
    page.keyboard.press("Enter")
    assert urlsplit(page.url).fragment == "inhoud"

    tab_until(page, lambda i: i["id"] == "q")
    page.keyboard.type(QUERY)
    tab_until(page, lambda i: i["tag"] == "button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert query_of(page.url)["q"] == [QUERY]

    tab_until(page, lambda i: i["inFilters"] and (i["href"] or "").startswith("?"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert len(query_of(page.url)) >= 2, page.url

    result = tab_until(page, lambda i: i["inResults"] and
                       (i["href"] or "").startswith("/aanbod/"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # issue 10: a result link may pass the click counter (/aanbod/<id>/klik/...), which
    # redirects to the listing's own URL.
    assert urlsplit(page.url).path == result["href"].split("/klik/")[0]


def test_without_javascript_search_filter_detail(no_js_page):
    page = no_js_page
    search_from_home(page)
    click_first_filter(page)
    open_first_result(page)
    # Links on the detail page are plain links too: back to the site's home.
    with page.expect_navigation():
        page.locator("header a").first.click()
    assert urlsplit(page.url).path == "/"


def test_language_switch(page):
    page.goto("/")
    assert page.get_attribute("html", "lang") == "nl"
    switch = page.get_by_role("link", name=re.compile(r"^\s*English\s*$"))
    if switch.count() == 0:
        pytest.xfail("language switch not built yet: no link 'English' on the home page")
    with page.expect_navigation():
        switch.first.click()
    assert page.get_attribute("html", "lang") == "en"


@pytest.mark.parametrize(("path", "pending"), [
    ("/kaart?q=koffie", True),
    ("/onderwerp/ontmoeting", "public/browse.html"),
    ("/plaats/Werkendam", "public/browse.html"),
    ("/plaatsen", "public/places.html"),
])
def test_other_pages_without_javascript(no_js_page, path, pending):
    """Without JavaScript only the map itself is missing: the page still lists the results."""
    page = no_js_page
    open_page(page, path, pending=pending)
    assert page.locator("h1").first.inner_text().strip()
    links = page.locator("main a[href^='/aanbod/'], main a[href^='/plaats/'], "
                         "main a[href^='/zoeken']")
    assert links.count() > 0
    with page.expect_navigation():
        links.first.click()
    assert page.locator("h1").first.inner_text().strip()
