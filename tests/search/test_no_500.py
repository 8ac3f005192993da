"""Property test: no input to the search API or the search page ever gives a server error.

Whatever ``q`` and whatever combination of parameters (valid values, invalid values, random
text, repeated keys) arrive, the API answers 200 with ``results`` or 400 with an ``error``."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

API = "/api/v1/search"

VALID = {
    "q": ["", "mantelzorg", "hulp bij geld", "taalcafe werkendam", "altzheimer", "4251",
          "AND OR NOT", '"repair café"'],
    "near": ["4251", "5481", "4251 AB", "Werkendam", "Meierijstad", "Sint-Oedenrode", "altena"],
    "km": ["0.5", "1", "3", "10", "2,5", "500"],
    "category": ["taal", "geld", "mantelzorg", "ontmoeting", "dementie", "taal,werk"],
    "theme": ["wonen", "werk", "inkomen"],
    "type": ["cursus", "activiteit", "voorziening", "privaat", "burgerinitiatief",
             "cursus,activiteit"],
    "audience": ["ouderen", "jeugd", "mantelzorgers"],
    "access": ["vrij", "aanmelden", "verwijzing"],
    "municipality": ["Altena", "Meierijstad", "meierijstad", "Atlantis"],
    "kern": ["Werkendam", "Veghel", "sint-oedenrode", "Nergenshuizen"],
    "lang": ["nl", "en", "ar", "xx"],
    "free": ["1", "0", "ja", "nee"],
    "age": ["0", "14", "70", "120"],
    "upcoming": ["1", "0"],
    "open": ["now", "today", "ma", "tu", "zo", "saturday", "2026-11-24"],
    "at": ["00:00", "07:00", "10:00", "23:59", "9.30"],
    "sort": ["relevance", "distance", "name", "start_date"],
    "page": ["1", "2", "3", "1000"],
    "per_page": ["1", "10", "100"],
}
INVALID = ["", " ", "-1", "0", "abc", "nan", "inf", "-inf", "1e999", "99999999999", "25:00",
           "24:00", "2026-02-30", "bogus", ",", ",,", "\x00", "😀", "٣", "１０", "%", "%%",
           "'; DROP TABLE services; --", "<script>", "a" * 101, "a" * 600, "1.5", "+5", "0x10",
           "None", "null", "true", "[]", "{}"]
KEYS = sorted(VALID) + ["foo", "Q", "q[]", ""]

text = st.text(st.characters(codec="utf-8"), max_size=80)
value_for = {key: st.one_of(st.sampled_from(values), st.sampled_from(INVALID), text)
             for key, values in VALID.items()}


@st.composite
def query_strings(draw) -> list[tuple[str, str]]:
    keys = draw(st.lists(st.sampled_from(KEYS), max_size=8))
    pairs = []
    for key in keys:
        strategy = value_for.get(key, text)
        pairs.append((key, draw(strategy)))
    return pairs


def check(response) -> None:
    assert response.status_code in (200, 400), response.status_code
    body = response.get_json()
    assert isinstance(body, dict)
    if response.status_code == 200:
        assert isinstance(body["results"], list)
        assert isinstance(body["total"], int)
    else:
        assert set(body) == {"error"}
        assert isinstance(body["error"]["param"], str)
        assert isinstance(body["error"]["message"], str)


FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(q=st.one_of(text, st.text(max_size=600), st.sampled_from(VALID["q"] + INVALID)))
def test_any_q_never_gives_500(sample_app, q):
    check(sample_app.test_client().get(API, query_string={"q": q}))


@FAST
@given(pairs=query_strings())
def test_any_parameters_never_give_500(sample_app, pairs):
    check(sample_app.test_client().get(API, query_string=pairs))


@FAST
@given(pairs=query_strings())
def test_any_parameters_never_crash_the_page(sample_app, pairs):
    response = sample_app.test_client().get("/zoeken", query_string=pairs)
    assert response.status_code in (200, 400), response.status_code
    assert "Waar zoekt u hulp bij?" in response.get_data(as_text=True)


RAW_PIECES = st.sampled_from(["q=", "near=", "km=", "type=", "page=", "open=", "at=", "&", "=",
                              ";", "+", "%", "%2", "%ZZ", "%00", "%C3", "%C3%A9", "%FF", "%E2%80",
                              "%F0%9F%98%80", "4251", "taal", "-1", "25:00", "#", "?"])


@FAST
@given(raw=st.one_of(text.map(str.encode),
                     st.lists(RAW_PIECES, max_size=20).map(lambda p: "".join(p).encode())))
def test_raw_query_strings_never_give_500(sample_app, raw):
    """Percent-encoded garbage (also invalid UTF-8 after decoding) and stray separators."""
    environ = {"QUERY_STRING": raw.decode("latin-1")}
    check(sample_app.test_client().get(API, environ_overrides=environ))


def test_raw_non_utf8_bytes_in_query_string_give_400(sample_app):
    """A client may send bytes that are not UTF-8 without percent-encoding them (the WSGI
    server hands them on as latin-1). That is a bad request, not a server error."""
    app = sample_app
    propagate = app.config.get("PROPAGATE_EXCEPTIONS")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        for raw in (b"q=\x80", b"q=caf\xe9", b"near=\xff\xfe"):
            response = app.test_client().get(
                API, environ_overrides={"QUERY_STRING": raw.decode("latin-1")})
            assert response.status_code == 400, (raw, response.status_code)
            assert "error" in response.get_json()
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = propagate
