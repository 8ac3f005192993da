"""Postcodes and kernen: spellings, abbreviations, misspellings, nicknames and the postcode."""

from __future__ import annotations

import pytest

from importers.normalize.places import normalize_postcode, resolve_kern, split_address

LISTS = frozenset({"Altena", "Meierijstad"})


@pytest.mark.parametrize(("text", "expected", "readable"), [
    ("4251XR", "4251 XR", True),
    ("4251 xr", "4251 XR", True),
    (" 4251 XR ", "4251 XR", True),
    ("4251", "4251", True),
    (4251, "4251", True),
    ("4251-XR", "4251 XR", True),
    ("", None, True),
    (None, None, True),
    ("onbekend", None, False),
    ("0251 XR", None, False),
])
def test_postcodes(text, expected, readable):
    result = normalize_postcode(text)
    assert (result.value, result.readable) == (expected, readable)


@pytest.mark.parametrize(("typed", "postcode", "kern", "how"), [
    ("Werkendam", "4251 XR", "Werkendam", "exact"),
    ("Werkendam ", None, "Werkendam", "exact"),
    ("W. en Aalburg", "4261 AV", "Wijk en Aalburg", "variant"),
    ("W. en Aalburg", None, "Wijk en Aalburg", "variant"),
    ("Aalburg", "4261 HA", "Wijk en Aalburg", "variant"),
    ("St. Oedenrode", "5491 NE", "Sint-Oedenrode", "exact"),
    ("Sint-Oedenrdoe", "5491 RC", "Sint-Oedenrode", "variant"),
    ("Almkrek", "4286 KM", "Almkerk", "variant"),
    ("Almkrek", None, "Almkerk", "fuzzy"),
    ("Rooi", "5491 WG", "Sint-Oedenrode", "postcode"),  # a nickname: the postcode's kern
    ("Rijswijk", "4284 BA", "Rijswijk (NB)", "exact"),
    ("Eerde", "5466 KH", "Eerde", "exact"),  # a kern inside a PC4 named after Veghel
    (None, "4283 VD", "Giessen", "postcode"),
])
def test_kernen(typed, postcode, kern, how):
    result = resolve_kern(typed, postcode, LISTS)
    assert (result.kern, result.how) == (kern, how)


@pytest.mark.parametrize(("typed", "municipality"), [
    ("gemeente Altena", "Altena"),
    ("Altena", "Altena"),
    ("Meierijstad", "Meierijstad"),
    ("hele gemeente", None),
])
def test_whole_municipality_is_no_kern(typed, municipality):
    result = resolve_kern(typed, None, LISTS)
    assert result.kern is None and result.municipality == municipality
    assert result.how == "municipality"


def test_unknown_place_is_kept_and_flagged():
    result = resolve_kern("Nergenshuizen", None, LISTS)
    assert result.kern == "Nergenshuizen" and not result.readable


@pytest.mark.parametrize(("text", "street", "name", "no_address"), [
    ("Kerkstraat 23", "Kerkstraat 23", None, False),
    ("Kantine v.v. Hank, Sportpark 1", "Sportpark 1", "Kantine v.v. Hank", False),
    ("Verenigingsgebouw De Hoeksteen\nKerkstraat 21", "Kerkstraat 21",
     "Verenigingsgebouw De Hoeksteen", False),
    ("Prins Willem-Alexanderlaan 8", "Prins Willem-Alexanderlaan 8", None, False),
    ("n.v.t. (bij u thuis)", None, None, True),
    ("telefonisch / aan huis", None, None, True),
])
def test_addresses(text, street, name, no_address):
    result = split_address(text)
    assert (result.street, result.location_name, result.no_address) == (street, name, no_address)
