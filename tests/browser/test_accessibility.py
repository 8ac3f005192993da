"""axe-core (WCAG 2.1 A/AA and best practices) finds nothing on any kind of page."""

from __future__ import annotations

import pytest

from .conftest import format_violations

pytestmark = pytest.mark.browser

# (name, path, expected status, pending: page not built yet → xfail while it 404s)
PAGES = [
    ("home", "/", 200, False),
    ("results", "/zoeken?q=koffie", 200, False),
    ("results-filtered", "/zoeken?q=koffie&type=activiteit&free=1", 200, False),
    ("zero-results", "/zoeken?q=qqqxxzz", 200, False),
    ("bad-search", "/zoeken?q=koffie&km=abc&near=Werkendam", 400, False),
    ("detail", "/aanbod/{service_id}", 200, False),
    ("report", "/aanbod/{service_id}/klopt-niet", 200, "public/report.html"),
    ("about", "/over", 200, False),
    ("not-found", "/bestaat-niet", 404, False),
    ("not-found-listing", "/aanbod/bestaat-niet", 404, False),
    ("map", "/kaart?q=koffie", 200, True),
    ("browse-category", "/onderwerp/ontmoeting", 200, "public/browse.html"),
    ("browse-theme", "/thema/wonen", 200, "public/browse.html"),
    ("browse-place", "/plaats/Werkendam", 200, "public/browse.html"),
    ("places", "/plaatsen", 200, "public/places.html"),
    # issue 9: the volunteer platform's public pages (signed-in pages: test_volunteer_flow.py)
    ("volunteer-search", "/vrijwilligers/", 200, False),
    ("volunteer-zero-results", "/vrijwilligers/?q=qqqxxzz&theme=vervoer", 200, False),
    ("volunteer-bad-search", "/vrijwilligers/?km=abc&near=Werkendam", 400, False),
    ("volunteer-signup", "/vrijwilligers/aanmelden", 200, False),
]


@pytest.mark.parametrize(("path", "status", "pending"),
                         [pytest.param(path, status, pending, id=name)
                          for name, path, status, pending in PAGES])
def test_no_axe_violations(axe, service_id, path, status, pending):
    path = path.format(service_id=service_id)
    violations = axe(path, expect=status, pending=pending)
    assert not violations, format_violations(path, violations)
