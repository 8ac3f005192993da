"""Issue 6: the workspace for triage consultants and professionals.

Professional-only fields (portal, detail page, professional search) that never leak to anything
anonymous; the referral list in the session only; the referral sheet as a print view, a PDF of
one page and a short link; reports from any listing; the workspace home's links.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import date, time

import kit_database
import pytest
from kit_accounts import (
    add_organization,
    add_service,
    add_session,
    add_user,
    csrf_token,
    db_of,
    login,
    make_app,
)

from sociale_kaart.models import (
    Attribute,
    Phone,
    Schedule,
    ServiceAtLocation,
    ServiceProfessional,
)
from sociale_kaart.services.referral_sheet import (
    MAX_ITEMS,
    MAX_NOTE_CHARS,
    decode_ids,
    encode_ids,
)
from sociale_kaart.services.taxonomy import terms_by_facet
from sociale_kaart.web.security import limiter

TODAY = date(2026, 11, 22)
#: The professional-only values of the fixture listing; none may ever reach an anonymous reader.
SECRETS = {
    "phone": "0183 777 4321",
    "email": "intake-geheim@welzijn.example",
    "intake_criteria": "Alleen met indicatie XQZWACHT van de gemeente",
    "how_to_refer": "Verwijs via formulier PLXFORM en bel daarna",
    "notes": "Interne notitie QVWNOTITIE voor het triageteam",
}
SERVICE_COUNT = 11


def _tag(session, service, facet: str, code: str) -> None:
    term = terms_by_facet()[facet][code]
    session.add(Attribute(id=f"attr-{service.id[:8]}-{facet}", link_id=service.id,
                          link_entity="service", link_type=facet, taxonomy_term_id=term.id))


def _located(session, service, number: int, street: str) -> ServiceAtLocation:
    from kit_accounts import add_location

    link = add_location(session, service, street=street, postcode="4251 AB", city="Werkendam")
    link.location.latitude = 51.8100 + number * 0.002
    link.location.longitude = 4.8930 + number * 0.002
    link.location.kern = "Werkendam"
    link.location.municipality = "Altena"
    session.add(Phone(id=f"phone-{service.id[:8]}", service_id=service.id,
                      number=f"0183 50{number:02d} 00"))
    session.add(Schedule(id=f"hours-{service.id[:8]}", service_id=service.id, freq="WEEKLY",
                         byday="TU", opens_at=time(9, 0), closes_at=time(12, 0)))
    return link


@pytest.fixture
def world(instance, monkeypatch):
    """Eleven listings of one organisation (the first needs a referral and has professional
    fields, the second has no waiting time, the third a long one), and an account per role."""
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    app = make_app(instance, TODAY)
    limiter.reset()
    ids = []
    with db_of(app).session() as session:
        org = add_organization(session, "Welzijn Altena")
        other = add_organization(session, "Sportclub Woudrichem")
        for number in range(SERVICE_COUNT):
            service = add_service(session, org, f"Dienst {number + 1} Schuldhulp Altena",
                                  course=number == 0,
                                  description=f"Hulp bij geldzaken, aanbod nummer {number + 1}.")
            _located(session, service, number, f"Kerkstraat {number + 1}")
            ids.append(service.id)
            if number == 0:
                _tag(session, service, "toegang", "verwijzing")
                add_session(session, service, date(2026, 12, 7), date(2027, 2, 1))
        session.add(ServiceProfessional(service_id=ids[0], waiting_weeks=3, **SECRETS))
        session.add(ServiceProfessional(service_id=ids[1], waiting_weeks=0))
        session.add(ServiceProfessional(service_id=ids[2], waiting_weeks=12))
        foreign = add_service(session, other, "Walking football")
        org_ids = {"org": org.id, "other": other.id, "foreign": foreign.id}
    add_user(app, "consulent@gemeente.example", "consultant")
    add_user(app, "aanbieder@welzijn.example", "provider", [org_ids["org"]])
    add_user(app, "aanbieder@sport.example", "provider", [org_ids["other"]])
    return app, ids, org_ids


def _post(client, path: str, data: dict, token_page: str = "/mijn-lijstje"):
    return client.post(path, data={"csrf_token": csrf_token(client, token_page), **data})


def _add(client, service_id: str):
    return _post(client, "/mijn-lijstje/toevoegen", {"service_id": service_id},
                 token_page=f"/aanbod/{service_id}")


def _list_part(client) -> str:
    """The list itself (after the flashed messages)."""
    page = client.get("/mijn-lijstje").get_data(as_text=True)
    return page[page.index('<ol class="shortlist">'):] if '<ol class="shortlist">' in page \
        else ""


def _notes(client, notes: dict[str, str]):
    return _post(client, "/mijn-lijstje/notities",
                 {f"note-{sid}": text for sid, text in notes.items()})


# -- 1. professional-only fields --------------------------------------------------------------

def _anonymous_texts(app, service_id: str) -> dict[str, str]:
    """Every page and document an anonymous reader can fetch about the listing."""
    client = app.test_client()
    paths = [rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments]
    paths += [f"/aanbod/{service_id}", f"/aanbod/{service_id}/klopt-niet",
              f"/hsds/services/{service_id}", "/hsds/services?per_page=50",
              "/api/v1/search?q=schuldhulp&per_page=50", "/api/v1/search?q=XQZWACHT",
              "/zoeken?q=schuldhulp", "/zoeken?q=PLXFORM", "/plaats/Werkendam",
              f"/lijst/{encode_ids([service_id])}", "/feeds/cursussen.atom",
              "/feeds/cursussen.ics", "/open-data/services.json", "/open-data/hsds.zip"]
    texts = {}
    for path in dict.fromkeys(paths):
        response = client.get(path)
        if response.status_code >= 300:
            continue
        data = response.get_data()
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                data = b"\n".join(archive.read(name) for name in archive.namelist())
        texts[path] = data.decode("utf-8", "replace")
    return texts


def test_professional_fields_never_leak_to_anonymous_readers(world):
    app, ids, _ = world
    texts = _anonymous_texts(app, ids[0])
    # The scan reached the listing itself everywhere that matters.
    for path in (f"/aanbod/{ids[0]}", f"/hsds/services/{ids[0]}", "/feeds/cursussen.atom",
                 "/feeds/cursussen.ics", "/open-data/hsds.zip", "/api/v1/search?q=schuldhulp"
                 "&per_page=50"):
        assert "Dienst 1 Schuldhulp Altena" in texts[path], path
    for path, text in texts.items():
        for name, value in SECRETS.items():
            assert value not in text, f"{name} leaked on {path}"
            assert value.replace(" ", "") not in text, f"{name} leaked on {path}"
    assert "Wachttijd" not in texts[f"/aanbod/{ids[0]}"]
    # The index anonymous searches read knows none of it.
    settings = app.extensions["sociale_kaart.settings"]
    for file in settings.resolved_index_path.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            for value in SECRETS.values():
                assert value.encode() not in data, f"{value!r} in the index file {file.name}"


def test_consultants_see_professional_fields(world):
    app, ids, _ = world
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    page = client.get(f"/aanbod/{ids[0]}").get_data(as_text=True)
    for value in SECRETS.values():
        assert value in page
    assert "Voor professionals" in page and "3 weken" in page
    assert "no-store" in client.get(f"/aanbod/{ids[0]}").headers["Cache-Control"]
    # A provider (not a consultant) does not get the block on the public page.
    provider = app.test_client()
    login(provider, "aanbieder@welzijn.example")
    assert SECRETS["notes"] not in provider.get(f"/aanbod/{ids[0]}").get_data(as_text=True)


def test_provider_fills_in_professional_fields_in_the_portal(world):
    app, ids, org_ids = world
    client = app.test_client()
    login(client, "aanbieder@welzijn.example")
    path = f"/aanbieder/aanbod/{ids[3]}/voor-professionals"
    assert path in client.get(f"/aanbieder/aanbod/{ids[3]}/bewerken").get_data(as_text=True)
    form = {"phone": "0183 123 456", "email": "team@welzijn.example",
            "intake_criteria": "Vanaf 18 jaar", "waiting_weeks": "4",
            "how_to_refer": "Bel eerst", "notes": "Ook op zaterdag"}
    response = _post(client, path, form, token_page=path)
    assert response.status_code == 302
    with db_of(app).session() as session:
        row = session.get(ServiceProfessional, ids[3])
        assert (row.phone, row.waiting_weeks, row.how_to_refer) == ("0183 123 456", 4,
                                                                  "Bel eerst")
    bad = _post(client, path, {**form, "email": "geen-adres", "waiting_weeks": "vier"},
                token_page=path)
    assert bad.status_code == 400
    assert "Vul een geldig e-mailadres in." in bad.get_data(as_text=True)
    with db_of(app).session() as session:
        assert session.get(ServiceProfessional, ids[3]).email == "team@welzijn.example"
    # Someone else's listing, or a consultant: no.
    assert client.get(f"/aanbieder/aanbod/{org_ids['foreign']}/voor-professionals"
                      ).status_code == 403
    consultant = app.test_client()
    login(consultant, "consulent@gemeente.example")
    assert consultant.get(path).status_code == 403


def test_professional_search_shows_referrals_and_filters_waiting_time(world):
    app, ids, _ = world
    anonymous = app.test_client()
    assert anonymous.get("/professional/zoeken?q=schuldhulp").status_code == 302
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    page = client.get("/professional/zoeken?q=schuldhulp&per_page=20").get_data(as_text=True)
    assert "Dienst 1 Schuldhulp Altena" in page
    assert "Verwijzing nodig" in page and "Wachttijd: 3 weken" in page
    assert SECRETS["phone"] in page and "Geen wachttijd" in page
    assert f"/aanbod/{ids[0]}/klopt-niet" in page  # report in one click
    short = client.get("/professional/zoeken?q=schuldhulp&wacht=2").get_data(as_text=True)
    assert "Dienst 2 Schuldhulp" in short
    assert "Dienst 1 Schuldhulp" not in short and "Dienst 3 Schuldhulp" not in short
    assert "1 resultaat" in short
    referral = client.get("/professional/zoeken?q=schuldhulp&access=verwijzing"
                          ).get_data(as_text=True)
    assert "Dienst 1 Schuldhulp" in referral and "Dienst 2 Schuldhulp" not in referral
    assert client.get("/professional/zoeken?q=x&wacht=7").status_code == 400
    # The waiting filter is the workspace's own: the public search ignores it.
    public = anonymous.get("/zoeken?q=schuldhulp&wacht=2&per_page=20").get_data(as_text=True)
    assert "Dienst 1 Schuldhulp" in public


def test_workspace_home_links(world):
    app, _, _ = world
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    page = client.get("/professional/").get_data(as_text=True)
    for link in ("/professional/zoeken", "/mijn-lijstje", "/professional/cursussen",
                 "/feeds/cursussen.atom", "/feeds/cursussen.ics"):
        assert f'href="{link}"' in page, link


# -- 2. the referral list -----------------------------------------------------------------------

def test_referral_list_add_reorder_remove_and_notes(world):
    app, ids, _ = world
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    for service_id in ids[:3]:
        assert _add(client, service_id).status_code == 302
    page = _list_part(client)
    assert page.index("Dienst 1 ") < page.index("Dienst 2 ") < page.index("Dienst 3 ")
    _post(client, "/mijn-lijstje/verplaatsen", {"service_id": ids[2], "richting": "omhoog"})
    page = _list_part(client)
    assert page.index("Dienst 3 ") < page.index("Dienst 2 ")
    _post(client, "/mijn-lijstje/weghalen", {"service_id": ids[0]})
    assert "Dienst 1 " not in _list_part(client)
    _notes(client, {ids[1]: "Voor hulp bij de rekeningen", ids[2]: "x" * (MAX_NOTE_CHARS + 50)})
    page = client.get("/mijn-lijstje").get_data(as_text=True)
    assert "Voor hulp bij de rekeningen" in page
    assert "x" * MAX_NOTE_CHARS in page and "x" * (MAX_NOTE_CHARS + 1) not in page
    # The list is gone after signing out.
    _post(client, "/account/uitloggen", {}, token_page="/professional/")
    assert _list_part(client) == ""


def test_list_holds_at_most_ten_services(world):
    app, ids, _ = world
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    for service_id in ids[:MAX_ITEMS]:
        _add(client, service_id)
    _notes(client, {sid: "Een notitie van bijna driehonderd tekens. " * 7
                    for sid in ids[:MAX_ITEMS]})
    response = _add(client, ids[MAX_ITEMS])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Uw lijst is vol" in page
    page = _list_part(client)
    assert f"Dienst {MAX_ITEMS + 1} " not in page and f"Dienst {MAX_ITEMS} " in page
    assert len(client.get_cookie("session").value) < 4000


def test_residents_get_my_list_without_notes(world):
    app, ids, _ = world
    client = app.test_client()
    detail = client.get(f"/aanbod/{ids[1]}").get_data(as_text=True)
    assert "Op mijn lijstje zetten" in detail
    _add(client, ids[1])
    page = client.get("/mijn-lijstje").get_data(as_text=True)
    assert "Mijn lijstje" in page and "Dienst 2 " in page and "<textarea" not in page
    assert _notes(client, {ids[1]: "mag niet"}).status_code == 403
    assert "Van mijn lijstje halen" in client.get(f"/aanbod/{ids[1]}").get_data(as_text=True)
    results = client.get("/zoeken?q=schuldhulp").get_data(as_text=True)
    assert 'action="/mijn-lijstje/toevoegen"' in results


# -- 3. the referral sheet ---------------------------------------------------------------------

def test_sheet_print_view_large_print_english_and_short_link(world):
    app, ids, _ = world
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    for service_id in ids[:2]:
        _add(client, service_id)
    _notes(client, {ids[0]: "Hier helpen ze met uw post"})
    sheet = client.get("/verwijslijst").get_data(as_text=True)
    assert "Hier kunt u terecht" in sheet and "Hier helpen ze met uw post" in sheet
    assert "0183 5000 00" in sheet and "dinsdag" in sheet and "Kerkstraat 1" in sheet
    assert 'class="qr" src="data:image/svg+xml;base64,' in sheet
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in sheet  # the small map
    assert "verwijzing nodig" in sheet
    assert 'class="sheet large' in client.get("/verwijslijst?groot=1").get_data(as_text=True)
    english = client.get("/verwijslijst?lang=en").get_data(as_text=True)
    assert "Where you can go" in english and 'lang="en"' in english
    match = re.search(r"/lijst/([A-Za-z0-9_-]+)", client.get("/mijn-lijstje").get_data(
        as_text=True))
    token = match.group(1)
    assert decode_ids(token) == ids[:2]
    shared = app.test_client().get(f"/lijst/{token}").get_data(as_text=True)
    assert "Dienst 1 Schuldhulp" in shared and "Dienst 2 Schuldhulp" in shared
    assert "Hier helpen ze met uw post" not in shared
    assert app.test_client().get("/lijst/xyz").status_code == 404
    assert app.test_client().get("/verwijslijst").status_code == 302  # empty list


@pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("pdftoppm"),
                    reason="poppler-utils (pdftotext, pdftoppm) not installed")
@pytest.mark.parametrize("count", [3, 5])
def test_sheet_pdf_is_one_page_with_names_phones_and_notes(world, tmp_path, count):
    app, ids, _ = world
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    chosen = ids[:count]
    for service_id in chosen:
        _add(client, service_id)
    filler = " Zij helpen ook bij de brieven van de belasting en de toeslagen." * 5
    notes = {sid: (f"Notitie {n}: kan helpen bij het overzicht." + filler)[:MAX_NOTE_CHARS]
             .rsplit(" ", 1)[0] for n, sid in enumerate(chosen, start=1)}
    _notes(client, notes)
    response = client.get("/verwijslijst.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "verwijslijst.pdf"
    pdf.write_bytes(response.get_data())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    for number, service_id in enumerate(chosen, start=1):
        assert f"Dienst {number} Schuldhulp Altena" in flat
        assert f"0183 50{number - 1:02d} 00" in flat
        assert notes[service_id] in flat
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1, f"{len(pages)} pages for {count} services"
    assert pages[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_personal_data_is_persisted(world, caplog):
    app, ids, _ = world
    caplog.set_level("DEBUG")
    note = "Mevrouw Jansen-ZXQ heeft schulden en zoekt hulp"
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    for service_id in ids[:3]:
        _add(client, service_id)
    _notes(client, {ids[0]: note})
    assert note in client.get("/verwijslijst").get_data(as_text=True)
    assert client.get("/verwijslijst.pdf").status_code == 200
    token = re.search(r"/lijst/([A-Za-z0-9_-]+)",
                      client.get("/mijn-lijstje").get_data(as_text=True)).group(1)
    assert "Jansen" not in decode_ids(token)[0]
    _post(client, "/account/uitloggen", {}, token_page="/professional/")
    assert note not in caplog.text and "Jansen-ZXQ" not in caplog.text
    db_of(app).dispose()  # write back the WAL
    settings = app.extensions["sociale_kaart.settings"]
    instance_files = [f for f in settings.instance_path.rglob("*") if f.is_file()]
    if settings.database_url.startswith("sqlite"):
        assert any(f.suffix in (".db", ".sqlite", ".sqlite3") for f in instance_files)
    else:  # PostgreSQL: every row of every table, as text
        dump = "\n".join(repr(row) for table in kit_database.tables_of_app(app)
                          for row in kit_database.rows_of_app(app, f'SELECT * FROM "{table}"'))
        assert "Jansen-ZXQ" not in dump
    for file in instance_files:
        data = file.read_bytes()
        assert b"Jansen-ZXQ" not in data, file.name
        assert "Jansen-ZXQ".encode("utf-16-le") not in data, file.name


# -- 4. report a listing ------------------------------------------------------------------------

def test_report_from_the_list_goes_to_the_report_queue(world):
    app, ids, _ = world
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    _add(client, ids[4])
    page = client.get("/mijn-lijstje").get_data(as_text=True)
    report_path = f"/aanbod/{ids[4]}/klopt-niet"
    assert report_path in page
    response = _post(client, report_path, {"reason": "bestaat_niet",
                                           "comment": "Gestopt per 1 november"},
                     token_page=report_path)
    assert response.status_code == 302
    from sociale_kaart.models import Report

    with db_of(app).session() as session:
        report = session.query(Report).filter_by(service_id=ids[4]).one()
        assert (report.reason, report.status) == ("bestaat_niet", "open")


def test_token_round_trip_holds_only_ids():
    ids = ["c13c8baa-b5f5-44cf-a15a-041df09b46d8", "0f1e2d3c-4b5a-6978-8a9b-acbdcedf0011"]
    assert decode_ids(encode_ids(ids)) == ids
    odd = ["svc-1", "svc-2"]
    assert decode_ids(encode_ids(odd)) == odd
    for bad in ("", "u", "uAAAA", "zabc", "t!!", "u" + "A" * 2000):
        with pytest.raises(ValueError):
            decode_ids(bad)
