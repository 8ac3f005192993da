"""Dutch by default, English as a full second language (Flask-Babel).

Every page in both languages, the language switch (and that it cannot redirect to another
site), how the language is chosen, the English schedule wording, and the catalogs: complete,
compiled, and in step with the texts in the code and the templates.
"""

from __future__ import annotations

import gettext
import json
import re
from datetime import time
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from conftest import REPO, SAMPLE

from sociale_kaart.models import Schedule

SERVICES = [json.loads(line) for line in (SAMPLE / "services.jsonl").read_text("utf-8")
            .splitlines() if line.strip()]
TRANSLATIONS = REPO / "sociale_kaart" / "translations"
PO_FILE = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO_FILE = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
TEMPLATES = REPO / "templates"

#: Dutch interface texts that must not be on an English page.
DUTCH_PHRASES = [
    "Waar zoekt u hulp bij?", "Zoeken", "resultaten", "resultaat", "Filters weghalen",
    "filter weghalen", "Klopt er iets niet?", "Ga direct naar de inhoud", "Hoofdmenu",
    "Onderwerpen", "Over deze site", "Bijvoorbeeld", "Plaats of postcode", "niet verplicht",
    "wordt bijgehouden door", "Terug naar de startpagina", "Sorteer op", "Bekijk op de kaart",
    "We hebben niets gevonden", "Zoek per", "Vorige pagina", "Volgende pagina", "Wat is het?",
    "Hoe komt u erbij?", "Wanneer?", "Waar?", "Voor wie?", "Wat kost het?", "Afdrukken",
    "Routebeschrijving", "Laatst gecontroleerd", "Nog niet gecontroleerd", "Bij u thuis",
    "Zonder aanmelding", "Kruimelpad", "Zoek binnen", "Deze pagina bestaat niet",
    "Versturen", "Wat klopt er niet?", "Toelichting", "Bekijk als lijst", "Sla de kaart over",
    "Kaart met de resultaten", "Gekozen filters", "Soort aanbod", "Toegang", "Gemeente",
    "Bronnen", "Woordenlijst",
]
#: English interface texts that must not be on a Dutch page.
ENGLISH_PHRASES = [
    "What do you need help with?", "Search", "results", "Remove all filters",
    "Is something wrong?", "Skip to the content", "Main menu", "About this site",
    "For example", "Place or postcode", "(optional)", "kept up to date", "Sort by",
    "View on the map", "We found nothing", "Search by", "Previous page", "Next page",
    "What is it?", "When?", "Where?", "Directions", "Last checked", "Not yet checked",
    "At your home", "Breadcrumb", "This page does not exist", "What is wrong?",
    "View as a list", "Skip the map", "Map of the results",
]


def _service(predicate) -> dict:
    return next(s for s in SERVICES if s["status"] == "active" and predicate(s))


DETAIL = _service(lambda s: s["locations"] and s.get("schedule") and s["phone"])
PAGES = {
    "home": ("/", 200),
    "results": ("/zoeken?q=geld&type=cursus", 200),
    "results near": ("/zoeken?q=hulp&near=Werkendam&km=5", 200),
    "zero results": ("/zoeken?q=qqqxxxzzzvvv", 200),
    "bad search": ("/zoeken?km=abc&near=Werkendam", 400),
    "detail": (f"/aanbod/{DETAIL['id']}", 200),
    "browse": ("/onderwerp/geld", 200),
    "place": ("/plaats/Werkendam", 200),
    "places": ("/plaatsen", 200),
    "about": ("/over", 200),
    "404": ("/bestaat/niet", 404),
    "report": (f"/aanbod/{DETAIL['id']}/klopt-niet", 200),
    "map": ("/kaart?q=geld", 200),
}


def interface_text(page: str) -> str:
    """What a visitor reads or hears: the text and the labelling attributes (not ids, URLs,
    or the scripts, whose JSON-LD and map data carry listing texts)."""
    collector = _TextCollector()
    collector.feed(page)
    return "\n".join(" ".join(text.split()) for text in collector.texts)


@pytest.fixture
def english(sample_app):
    client = sample_app.test_client()
    response = client.get("/taal/en", query_string={"next": "/"})
    assert response.status_code == 303
    return client


@pytest.fixture
def dutch(sample_app):
    return sample_app.test_client()


# -- every page in both languages ----------------------------------------------------------

@pytest.mark.parametrize("name", PAGES)
def test_page_in_english(english, name):
    url, status = PAGES[name]
    response = english.get(url)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    text = interface_text(page)
    found = [phrase for phrase in DUTCH_PHRASES if phrase in text]
    assert not found, f"Dutch on the English {name} page: {found}"
    assert 'hreflang="nl"><span lang="nl">Nederlands</span>' in page


@pytest.mark.parametrize("name", PAGES)
def test_page_in_dutch(dutch, name):
    url, status = PAGES[name]
    response = dutch.get(url)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page
    text = interface_text(page)
    found = [phrase for phrase in ENGLISH_PHRASES if phrase in text]
    assert not found, f"English on the Dutch {name} page: {found}"
    assert 'hreflang="en"><span lang="en">English</span>' in page


def test_english_pages_say_it_in_english(english):
    home = english.get("/").get_data(as_text=True)
    assert "What do you need help with?" in home
    assert "Find help and activities near you" in home
    assert "Money and debts" in home or "Money" in home  # the tiles use name_en
    results = english.get("/zoeken", query_string={"q": "geld", "type": "cursus"}).get_data(
        as_text=True)
    assert re.search(r"\d+ results? for “geld”", results)
    assert "Remove all filters" in results and "Kind of offer" in results
    zero = english.get("/zoeken", query_string={"q": "qqqxxxzzzvvv"}).get_data(as_text=True)
    assert "0 results" in zero and "We found nothing" in zero
    bad = english.get("/zoeken", query_string={"km": "abc", "near": "Werkendam"})
    assert "Must be a number." in bad.get_data(as_text=True)


def test_english_detail_page_has_english_opening_hours(english):
    page = english.get(f"/aanbod/{DETAIL['id']}").get_data(as_text=True)
    assert "When?" in page
    hours = re.findall(r"<li>(Every [^<]*|Monday to Friday[^<]*)</li>", page)
    assert hours, "no English opening hours"
    assert not any(" uur" in line for line in hours)


def test_english_home_tiles_show_no_dutch_descriptions(english, dutch):
    from sociale_kaart.services.taxonomy import terms_by_facet

    term = terms_by_facet()["levensgebied"]["geld"]
    english_home = english.get("/").get_data(as_text=True)
    assert term.name_en in english_home and term.description not in english_home
    dutch_home = dutch.get("/").get_data(as_text=True)
    assert term.name in dutch_home and term.description in dutch_home
    browse = english.get("/onderwerp/geld").get_data(as_text=True)
    assert f"<h1>{term.name_en}</h1>" in browse


def test_facet_labels_follow_the_language(sample_app):
    from sociale_kaart.services.taxonomy import terms_by_facet
    from sociale_kaart.web.public import facet_label

    term = terms_by_facet()["soort"]["cursus"]
    with sample_app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert facet_label("type", "cursus") == term.name_en
        assert facet_label("lang", "ar") == "Arabic"
    with sample_app.test_request_context("/"):
        assert facet_label("type", "cursus") == term.name
        assert facet_label("lang", "ar") == "Arabisch"


# -- choosing the language -----------------------------------------------------------------

def test_default_is_dutch_and_accept_language_picks_english(dutch):
    assert '<html lang="nl">' in dutch.get("/over").get_data(as_text=True)
    for header, lang in [("en", "en"), ("en-GB,en;q=0.9", "en"), ("nl-NL,nl;q=0.9,en;q=0.8", "nl"),
                         ("de-DE,de;q=0.9", "nl"), ("de,en;q=0.5", "en"), ("", "nl")]:
        page = dutch.get("/over", headers={"Accept-Language": header}).get_data(as_text=True)
        assert f'<html lang="{lang}">' in page, header


def test_pages_vary_on_accept_language(dutch):
    assert "Accept-Language" in dutch.get("/").headers.get("Vary", "")


def test_session_choice_wins_over_accept_language(english):
    page = english.get("/over", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_lang_in_the_url_is_for_that_page_only(dutch):
    response = dutch.get("/over?lang=en")
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert '<html lang="nl">' in dutch.get("/over").get_data(as_text=True)


def test_lang_on_the_search_pages_is_the_language_filter(dutch):
    """/zoeken?lang=en means "offered in English", not "show this page in English"."""
    for url in ("/zoeken?q=taal&lang=en", "/kaart?q=taal&lang=en"):
        page = dutch.get(url).get_data(as_text=True)
        assert '<html lang="nl">' in page, url


def test_api_answers_in_dutch(english):
    response = english.get("/api/v1/search", query_string={"km": "abc", "near": "Werkendam"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "moet een getal zijn"


# -- the switch ----------------------------------------------------------------------------

def test_switch_sets_the_language_and_goes_back(dutch):
    page = dutch.get("/zoeken?q=geld").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" hreflang="en">', page).group(1).replace("&amp;", "&")
    assert link.startswith("/taal/en?next=")
    response = dutch.get(link)
    assert response.status_code == 303
    assert response.headers["Location"] == "/zoeken?q=geld"
    assert '<html lang="en">' in dutch.get("/zoeken?q=geld").get_data(as_text=True)
    back = dutch.get("/taal/nl", query_string={"next": "/over"})
    assert back.headers["Location"] == "/over"
    assert '<html lang="nl">' in dutch.get("/over").get_data(as_text=True)


def test_switch_link_drops_a_page_lang_but_keeps_the_filter(dutch):
    from urllib.parse import parse_qs, urlsplit

    def next_of(url):
        page = dutch.get(url).get_data(as_text=True)
        link = re.search(r'<a href="([^"]+)" hreflang="\w+">', page).group(1)
        return parse_qs(urlsplit(link.replace("&amp;", "&")).query)["next"][0]

    assert next_of("/over?lang=en") == "/over"
    assert next_of("/zoeken?q=taal&lang=ar") == "/zoeken?q=taal&lang=ar"


@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example", "//evil.example/zoeken", "/\\evil.example",
    "\\\\evil.example", "http:/evil.example", "javascript:alert(1)", " //evil.example",
    "/\t/evil.example", "", "zoeken", "https:evil.example",
])
def test_switch_cannot_redirect_to_another_site(dutch, target):
    response = dutch.get("/taal/en", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_switch_without_next_goes_home_and_unknown_language_is_404(dutch):
    assert dutch.get("/taal/en").headers["Location"] == "/"
    assert dutch.get("/taal/de").status_code == 404


# -- schedule wording ----------------------------------------------------------------------

@pytest.mark.parametrize("fields, dutch_text, english_text", [
    (dict(freq="WEEKLY", byday="WE", opens_at=time(9, 30), closes_at=time(11, 30)),
     "elke woensdag 9.30–11.30 uur", "every Wednesday 9.30–11.30"),
    (dict(freq="MONTHLY", byday="3TU", opens_at=time(14), closes_at=time(16)),
     "elke derde dinsdag van de maand 14.00–16.00 uur",
     "every third Tuesday of the month 14.00–16.00"),
    (dict(freq="WEEKLY", byday="MO,TU,WE,TH,FR", opens_at=time(9)),
     "maandag tot en met vrijdag vanaf 9.00 uur", "Monday to Friday from 9.00"),
    (dict(freq="WEEKLY", byday="MO,WE,FR"), "elke maandag, woensdag en vrijdag",
     "every Monday, Wednesday and Friday"),
    (dict(freq="WEEKLY", byday="TH", interval=2), "om de 2 weken op donderdag",
     "every 2 weeks on Thursday"),
    (dict(freq="WEEKLY", byday="MO,TU,WE,TH,FR,SA,SU"), "elke dag", "every day"),
])
def test_schedule_wording(sample_app, fields, dutch_text, english_text):
    from sociale_kaart.services.listings import describe_schedule

    schedule = Schedule(**fields)
    assert describe_schedule(schedule) == dutch_text  # outside a request: Dutch
    with sample_app.test_request_context("/"):
        assert describe_schedule(schedule) == dutch_text
    with sample_app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert describe_schedule(schedule) == english_text


def test_dates_in_english(sample_app):
    from datetime import date

    from sociale_kaart.services.listings import format_date

    with sample_app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert format_date(date(2027, 5, 3)) == "3 May 2027"
    assert format_date(date(2027, 5, 3)) == "3 mei 2027"


# -- the catalogs --------------------------------------------------------------------------

def _read_po(path: Path):
    with open(path, "rb") as f:
        return read_po(f)


def test_every_message_is_translated():
    catalog = _read_po(PO_FILE)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 200
    untranslated = [m.id for m in messages
                    if not (all(m.string) if isinstance(m.string, (list, tuple)) else m.string)]
    assert not untranslated
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not fuzzy, "fuzzy translations are not used; check them and drop the flag"
    problems = [(m.id, errors) for m, errors in catalog.check()]
    assert not problems, problems  # e.g. a %(placeholder)s missing in the English


def test_compiled_catalog_matches_the_po_file(tmp_path):
    compiled = BytesIO()
    write_mo(compiled, _read_po(PO_FILE))
    compiled.seek(0)
    fresh = gettext.GNUTranslations(compiled)
    with open(MO_FILE, "rb") as f:
        shipped = gettext.GNUTranslations(f)
    assert shipped._catalog == fresh._catalog, "run `make translations` to compile the catalog"


def _extract() -> set:
    """The msgids the extractor finds now in the code and the templates (as babel.cfg says)."""
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
                "lazy_ngettext": (1, 2)}
    found = set()
    for folder, method in ((REPO / "sociale_kaart", "python"), (TEMPLATES, "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        options = {pattern: {"trimmed": "true"}} if method == "jinja2" else None
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
                folder, [(pattern, method)], options_map=options, keywords=keywords):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_catalog_holds_every_text_of_the_code_and_templates():
    catalog = _read_po(PO_FILE)
    in_catalog = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}
    missing = _extract() - in_catalog
    assert not missing, f"not in the catalog; run `make translations` and translate: {missing}"
    template = _read_po(TRANSLATIONS / "messages.pot")
    assert {m.id if isinstance(m.id, str) else tuple(m.id) for m in template if m.id} \
        == in_catalog


# -- no text outside _() in the templates --------------------------------------------------

#: Text that may stand in a template as it is (symbols, no words).
ALLOWED_TEXT = {"×", "·", "›", "–", ",", "(", ")", "()", ":", ".", "?"}
#: File names (a download link's text) are the same in every language.
FILE_NAME = re.compile(r"[\w.-]+\.(json|zip|csv|ics|xml|atom)")
#: Attributes a visitor reads or hears; ``value`` only on buttons made with <input>.
CHECKED_ATTRIBUTES = {"aria-label", "placeholder", "title", "alt", "aria-description"}
SKIPPED_ELEMENTS = ("script", "style", "svg", "code")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self._skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if value and (name in CHECKED_ATTRIBUTES or (
                    name == "value" and tag == "input"
                    and attributes.get("type") in ("submit", "button", "reset"))):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append(data)


def untranslated_template_text(source: str) -> list[str]:
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    source = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", "", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}", "", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}", "", source, flags=re.S)
    collector = _TextCollector()
    collector.feed(source)
    words = []
    for text in collector.texts:
        text = " ".join(text.split())
        if not text or text in ALLOWED_TEXT or FILE_NAME.fullmatch(text):
            continue
        if re.search(r"[^\W\d_]", text):  # a letter
            words.append(text)
    return words


def test_untranslated_template_text_is_detected():
    assert untranslated_template_text("<p>Hallo {{ name }}</p>") == ["Hallo"]
    assert untranslated_template_text('<input placeholder="Zoek">') == ["Zoek"]
    assert untranslated_template_text("<p>{{ _('Hallo') }} ×</p>") == []
    assert untranslated_template_text("<p>{% trans %}Hallo {{ x }}{% endtrans %}</p>") == []
    assert untranslated_template_text('<input type="submit" value="Opslaan">') == ["Opslaan"]
    assert untranslated_template_text('<button name="a" value="opslaan">{{ _("x") }}</button>'
                                      '<a download>hsds.zip</a> <code>/hsds/</code>') == []


@pytest.mark.parametrize("path", sorted(p.relative_to(TEMPLATES).as_posix()
                                        for p in TEMPLATES.rglob("*.html")))
def test_template_has_no_text_outside_gettext(path):
    found = untranslated_template_text((TEMPLATES / path).read_text("utf-8"))
    assert not found, f"wrap these in _() or {{% trans %}}: {found}"
