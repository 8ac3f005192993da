"""Maps with folium (Leaflet), embedded in our own pages and served without any CDN.

Folium normally writes a whole HTML document whose head loads Leaflet, jQuery, Bootstrap, Font
Awesome and awesome-markers from CDNs. We use only its Python-to-Leaflet code:

* the map and cluster elements get *instance* ``default_js``/``default_css`` lists that point at
  the copies in ``static/vendor/`` (see ``scripts/vendor_assets.py``), so nothing else is
  linked; :func:`_render` refuses to return a map whose figure still links to another host;
* we take only the figure's ``html`` (the map ``div``) and ``script`` parts and drop its header,
  which also holds styles for ``html, body`` that would break our layout;
* the script runs after ``DOMContentLoaded`` and only when Leaflet loaded; it un-hides the map,
  so without JavaScript (or without the library) the page shows just the list.

The only outside host a map page can talk to is the tile server, set with ``TILES_URL`` (off
with an empty value or ``none``: the markers then show on a plain background).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import folium
from branca.element import CssLink, JavascriptLink, MacroElement
from flask import current_app, g, url_for
from flask_babel import gettext
from folium.plugins import FastMarkerCluster
from folium.template import Template
from markupsafe import Markup, escape

#: The Dutch government basemap (PDOK BRT-Achtergrondkaart, standard style, web mercator).
DEFAULT_TILES_URL = ("https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/"
                     "EPSG:3857/{z}/{x}/{y}.png")
DEFAULT_TILES_ATTRIBUTION = "Kaartgegevens &copy; Kadaster"
TILES_OFF = {"", "none", "off", "0", "false", "nee"}
#: PDOK serves the web-mercator BRT tiles up to this zoom level.
MAX_ZOOM = 19
#: Centre of the Netherlands, for a map without any point.
NL_CENTER = (52.16, 5.39)

LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"
CLUSTER_JS = "vendor/leaflet.markercluster/leaflet.markercluster.js"
CLUSTER_CSS = ("vendor/leaflet.markercluster/MarkerCluster.css",
               "vendor/leaflet.markercluster/MarkerCluster.Default.css")
MAP_CSS = "css/map.css"

#: Leaflet marker per row ``[lat, lon, popup_html, title]`` (FastMarkerCluster callback).
MARKER_CALLBACK = """function (row) {
    var marker = L.marker(new L.LatLng(row[0], row[1]), {title: row[3], alt: row[3]});
    marker.bindPopup(row[2]);
    return marker;
}"""


@dataclass
class MapMarker:
    lat: float
    lon: float
    title: str
    #: Lines under the title in the popup (plain text, escaped on output).
    lines: list[str] = field(default_factory=list)
    url: str | None = None

    def popup_html(self) -> str:
        title = escape(self.title)
        head = Markup('<a href="{}">{}</a>').format(self.url, title) if self.url else title
        parts = [Markup("<strong>{}</strong>").format(head)]
        parts += [escape(line) for line in self.lines if line and line != self.title]
        return str(Markup("<br>").join(parts))


class PlainMarkers(MacroElement):
    """Unclustered markers from rows ``[lat, lon, popup_html, title]``.

    folium's own ``Popup`` builds its content with jQuery from a JavaScript template string;
    this passes the (already escaped) popup HTML as JSON instead, like FastMarkerCluster."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            (function (map) {
                var callback = {{ this.callback }};
                var data = {{ this.data|tojson }};
                for (var i = 0; i < data.length; i++) { callback(data[i]).addTo(map); }
            })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, rows: list[list], callback: str) -> None:
        super().__init__()
        self._name = "PlainMarkers"
        self.data = rows
        self.callback = callback


class MetricScale(MacroElement):
    """A scale bar in metres only (folium's ``control_scale`` adds feet and miles too)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


@dataclass
class RenderedMap:
    """The pieces of one map for our own templates: asset URLs, the container and the script."""

    css: list[str]
    js: list[str]
    html: Markup
    script: Markup
    marker_count: int
    tiles_url: str | None

    def __html__(self) -> str:
        """Everything in one piece (the detail page's partial prints it like this)."""
        nonce = _nonce_attr()
        out = [Markup('<link rel="stylesheet" href="{}">').format(u) for u in self.css]
        out.append(self.html)
        out += [Markup('<script defer src="{}"{}></script>').format(u, nonce) for u in self.js]
        out.append(Markup("<script{}>{}</script>").format(nonce, self.script))
        return str(Markup("\n").join(out))


# -- settings --------------------------------------------------------------------------------

def tiles_url() -> str | None:
    """The tile URL template from ``TILES_URL``; None when tiles are switched off."""
    value = current_app.config.get("TILES_URL")
    if value is None:
        return DEFAULT_TILES_URL
    value = str(value).strip()
    if value.lower() in TILES_OFF:
        return None
    if urlsplit(value).scheme not in {"http", "https"} or "{z}" not in value:
        current_app.logger.warning("TILES_URL %r is not an http(s) URL with {z}/{x}/{y}; "
                                   "showing the map without tiles", value)
        return None
    return value


def tiles_attribution() -> str:
    configured = current_app.config.get("TILES_ATTRIBUTION")
    if not configured or configured == DEFAULT_TILES_ATTRIBUTION:
        return gettext("Kaartgegevens &copy; Kadaster")
    return configured


def tiles_origin() -> str | None:
    """``scheme://host[:port]`` of the tile server, for a Content-Security-Policy ``img-src``."""
    url = tiles_url()
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.replace('{s}.', '*.')}"


# -- building --------------------------------------------------------------------------------

def _nonce_attr() -> Markup:
    nonce = g.get("csp_nonce") if g else None
    return Markup(' nonce="{}"').format(nonce) if nonce else Markup("")


def _static(path: str) -> str:
    return url_for("static", filename=path)


def _new_map(points: Sequence[tuple[float, float]], **options) -> folium.Map:
    url = tiles_url()
    if points:
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        center, zoom = (lat, lon), 13
    else:
        center, zoom = NL_CENTER, 7
    fmap = folium.Map(location=center, zoom_start=zoom, tiles=None, width="100%",
                      height="100%", **options)
    # On the map itself (not only the tile layer): the cluster plugin needs it without tiles.
    fmap.options["max_zoom"] = MAX_ZOOM
    MetricScale().add_to(fmap)
    # Instance attributes: the class lists (CDN URLs) stay untouched for anyone else.
    fmap.default_js = [("leaflet", _static(LEAFLET_JS))]
    fmap.default_css = [("leaflet_css", _static(LEAFLET_CSS))]
    if url:
        folium.TileLayer(tiles=url, attr=tiles_attribution(), name="Achtergrondkaart",
                         max_zoom=MAX_ZOOM, max_native_zoom=MAX_ZOOM,
                         control=False).add_to(fmap)
    if len(points) > 1:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(24, 24),
                        max_zoom=16)
    return fmap


def _render(fmap: folium.Map, *, marker_count: int, label: str) -> RenderedMap:
    figure = fmap.get_root()
    figure.render()
    css, js = [], []
    for element in figure.header._children.values():
        if isinstance(element, CssLink):
            css.append(element.url)
        elif isinstance(element, JavascriptLink):
            js.append(element.url)
    for url in css + js:
        if urlsplit(url).netloc or url.startswith("//"):
            raise RuntimeError(f"folium wants an external resource: {url}")
    css.append(_static(MAP_CSS))
    map_id = fmap.get_name()
    wrap_id = f"wrap_{uuid.uuid4().hex[:12]}"
    html = Markup(
        '<div class="map-wrap" id="{wrap}" hidden>'
        '<div class="map-canvas" role="region" aria-label="{label}">{inner}</div></div>'
    ).format(wrap=wrap_id, label=label, inner=Markup(figure.html.render()))
    body = figure.script.render()
    script = Markup(
        'document.addEventListener("DOMContentLoaded", function () {\n'
        '  if (!window.L || !document.getElementById(%s)) { return; }\n'
        '  document.getElementById(%s).hidden = false;\n%s\n});'
    ) % (Markup(json.dumps(map_id)), Markup(json.dumps(wrap_id)), Markup(body))
    return RenderedMap(css=css, js=js, html=html, script=script, marker_count=marker_count,
                       tiles_url=tiles_url())


def results_map(markers: Sequence[MapMarker], *, label: str | None = None
                ) -> RenderedMap | None:
    """A clustered map fitted to these markers; None when there is nothing to put on it."""
    if not markers:
        return None
    fmap = _new_map([(m.lat, m.lon) for m in markers])
    cluster = FastMarkerCluster(
        data=[[m.lat, m.lon, m.popup_html(), m.title] for m in markers],
        callback=MARKER_CALLBACK, name="Resultaten", control=False,
        show_coverage_on_hover=False, max_cluster_radius=50)
    cluster.default_js = [("markerclusterjs", _static(CLUSTER_JS))]
    cluster.default_css = [(f"markercluster_{i}", _static(path))
                           for i, path in enumerate(CLUSTER_CSS)]
    cluster.add_to(fmap)
    return _render(fmap, marker_count=len(markers),
                   label=label or gettext("Kaart met de resultaten"))


def detail_map(location_points: Sequence[tuple[float, float, str]]) -> RenderedMap | None:
    """A small map with one plain marker per location (no clustering)."""
    points = [(float(lat), float(lon), label or "") for lat, lon, label in location_points]
    if not points:
        return None
    fmap = _new_map([(lat, lon) for lat, lon, _ in points], scroll_wheel_zoom=False)
    if len(points) == 1:
        fmap.options["zoom"] = 16
    markers = [MapMarker(lat, lon, label or gettext("Locatie")) for lat, lon, label in points]
    PlainMarkers([[m.lat, m.lon, m.popup_html(), m.title] for m in markers],
                 MARKER_CALLBACK).add_to(fmap)
    return _render(fmap, marker_count=len(points), label=gettext("Kaart met het adres"))


def detail_map_html(location_points: list[tuple[float, float, str]]) -> Markup:
    """The detail page's small map (assets, container and script) as one piece of HTML;
    empty when no location has coordinates."""
    rendered = detail_map(location_points)
    return Markup(rendered.__html__()) if rendered else Markup("")
