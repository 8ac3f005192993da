"""The referral sheet ('verwijsbrief'): what a person takes home after a conversation.

One page in plain Dutch (or English) with, per chosen service, what it is, why it may help
(the consultant's note, only in the consultant's own session), how to get in touch, opening
hours, the address with a small map, and a QR code that opens the public page.

Everything is drawn here, offline: the QR code with segno, the map as a small SVG of the
places around the address (from the gazetteer, no tile server), and the PDF with WeasyPrint
from the same HTML as the print view. Nothing about the person is stored or logged.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import uuid
import zlib
from dataclasses import dataclass, field
from functools import cache

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from ..geo.gazetteer import default_gazetteer, haversine_km
from .listings import ListingView, load_listing

#: At most this many services on one list (the session cookie holds the list and notes).
MAX_ITEMS = 10
#: At most this many characters per note.
MAX_NOTE_CHARS = 300
#: The PDF fits one A4 page up to this many services (tested).
ONE_PAGE_ITEMS = 5
MAP_RADIUS_KM = 3.0
MAP_SIZE = (220, 140)
TOKEN_UUIDS = "u"
TOKEN_TEXT = "t"


@dataclass
class SheetEntry:
    listing: ListingView
    note: str = ""
    public_url: str = ""
    qr: str = ""  # a data: URI of an SVG
    map_svg: Markup | None = None
    phones: list[str] = field(default_factory=list)
    email: str | None = None
    website: str | None = None
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (name, address)

    @property
    def service(self):
        return self.listing.service

    @property
    def summary(self) -> str:
        from ..search.documents import summary_of

        return summary_of(self.service.description)


# -- the short link ----------------------------------------------------------------------

def encode_ids(service_ids: list[str]) -> str:
    """A URL-safe token holding only the service ids (UUIDs as 16 bytes each)."""
    try:
        raw = b"".join(uuid.UUID(i).bytes for i in service_ids)
        prefix = TOKEN_UUIDS
    except ValueError:
        raw = zlib.compress(",".join(service_ids).encode("utf-8"), 9)
        prefix = TOKEN_TEXT
    return prefix + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_ids(token: str) -> list[str]:
    """The ids in a token; ValueError when it is not one of ours."""
    if len(token) < 2 or len(token) > 1200 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        raise ValueError("bad token")
    prefix, body = token[0], token[1:]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("bad token") from None
    if prefix == TOKEN_UUIDS:
        if not raw or len(raw) % 16:
            raise ValueError("bad token")
        ids = [str(uuid.UUID(bytes=raw[i:i + 16])) for i in range(0, len(raw), 16)]
    elif prefix == TOKEN_TEXT:
        try:
            ids = zlib.decompressobj().decompress(raw, 4096).decode("utf-8").split(",")
        except (zlib.error, UnicodeDecodeError):
            raise ValueError("bad token") from None
    else:
        raise ValueError("bad token")
    ids = [i for i in dict.fromkeys(ids) if i and len(i) <= 64]
    if not ids or len(ids) > MAX_ITEMS:
        raise ValueError("bad token")
    return ids


# -- QR codes and maps --------------------------------------------------------------------

@cache
def qr_data_uri(url: str) -> str:
    """A QR code for ``url`` as an SVG data: URI (allowed by the CSP's ``img-src data:``)."""
    import segno

    svg = segno.make(url, error="m").svg_inline(scale=3, border=2, omitsize=False)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def small_map_svg(lat: float, lon: float, label: str, title: str) -> Markup:
    """A small offline map: the address as a marker among the places around it, with a
    scale bar. Not a street map, but enough to see where it is in the region."""
    width, height = MAP_SIZE
    km_x = width / (2 * MAP_RADIUS_KM * 1.4)
    km_y = km_x

    def point(p_lat: float, p_lon: float) -> tuple[float, float]:
        dx = (p_lon - lon) * 111.32 * math.cos(math.radians(lat))
        dy = (p_lat - lat) * 110.57
        return width / 2 + dx * km_x, height / 2 - dy * km_y

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" class="small-map" '
             f'aria-label="{escape(title)}">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f1ea" '
             'stroke="#888"/>']
    nearby = []
    for places in default_gazetteer().places.values():
        for place in places:
            distance = haversine_km(lat, lon, place.lat, place.lon)
            if 0.3 < distance <= MAP_RADIUS_KM * 1.6:
                nearby.append((distance, place))
    nearby.sort(key=lambda item: item[0])
    taken = [(width / 2 + 30, height / 2)]  # the marker's own label
    for _, place in nearby:
        if len(taken) > 5:
            break
        x, y = point(place.lat, place.lon)
        if not (8 <= x <= width - 50 and 12 <= y <= height - 16):
            continue
        if any(abs(x - tx) < 45 and abs(y - ty) < 12 for tx, ty in taken):
            continue  # its name would run into another one
        taken.append((x + 20, y))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#555"/>'
                     f'<text x="{x + 4:.1f}" y="{y - 3:.1f}" font-size="9" '
                     f'font-family="DejaVu Sans, sans-serif" fill="#333">'
                     f'{escape(place.name)}</text>')
    cx, cy = width / 2, height / 2
    parts.append(f'<path d="M{cx:.1f} {cy:.1f} l-6 -12 a7 7 0 1 1 12 0 z" fill="#b00020" '
                 'stroke="#fff" stroke-width="1"/>'
                 f'<circle cx="{cx:.1f}" cy="{cy - 15:.1f}" r="2.5" fill="#fff"/>')
    parts.append(f'<text x="{cx + 9:.1f}" y="{cy + 4:.1f}" font-size="9" font-weight="bold" '
                 f'font-family="DejaVu Sans, sans-serif" fill="#000">{escape(label[:16])}'
                 '</text>')
    bar = km_x  # one kilometre
    parts.append(f'<path d="M8 {height - 8} h{bar:.1f}" stroke="#000" stroke-width="2"/>'
                 f'<text x="{12 + bar:.1f}" y="{height - 5}" font-size="9" '
                 'font-family="DejaVu Sans, sans-serif">1 km</text></svg>')
    return Markup("".join(parts))


# -- building the sheet ------------------------------------------------------------------

def build_entries(session: Session, items: list[tuple[str, str]], public_url,
                  map_title) -> list[SheetEntry]:
    """Entries for ``items`` = [(service id, note)]; ``public_url(id)`` gives the public page,
    ``map_title(name)`` the map's accessible name. Unknown ids are left out."""
    entries = []
    for service_id, note in items:
        listing = load_listing(session, service_id)
        if listing is None:
            continue
        service = listing.service
        url = public_url(service_id)
        entry = SheetEntry(listing=listing, note=note, public_url=url, qr=qr_data_uri(url))
        entry.phones = [p.number for p in (service.phones or service.organization.phones)][:2]
        entry.email = service.email or service.organization.email
        entry.website = service.url or service.organization.website
        for sal in service.service_at_locations[:2]:
            loc = sal.location
            address = loc.physical_address
            text = ", ".join(t for t in ([address.address_1,
                                          f"{address.postal_code or ''} {address.city or ''}"
                                          .strip()] if address else []) if t)
            entry.addresses.append((loc.name or service.name, text))
            if entry.map_svg is None and loc.has_point:
                entry.map_svg = small_map_svg(loc.latitude, loc.longitude,
                                              loc.name or service.name,
                                              map_title(loc.name or service.name))
        entries.append(entry)
    return entries


#: Ever tighter layouts (the sheet's ``fit-N`` classes) tried until the PDF is one page.
FIT_LEVELS = 4


def render_pdf(make_html, base_url: str, *, one_page: bool) -> bytes:
    """The print view as a PDF (WeasyPrint; images are data: URIs, styles from ``static``).

    ``make_html(level)`` gives the sheet at a fit level; with ``one_page`` the levels are
    tried in turn until everything fits on one A4 page (the last level is used anyway).
    WeasyPrint may read our own files and data: URIs, never the network."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)
    document = None
    for level in range(FIT_LEVELS if one_page else 1):
        document = HTML(string=make_html(level), base_url=base_url,
                        url_fetcher=fetcher).render()
        if len(document.pages) <= 1:
            break
    return document.write_pdf()
