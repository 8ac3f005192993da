"""The JSON text of the database's JSON columns: compact UTF-8, and nothing the standard library
could store before fails now."""

from __future__ import annotations

import json

import pytest

from sociale_kaart.json_text import json_bytes, json_str


@pytest.mark.parametrize("value, text", [
    (None, "null"),
    ({"naam": "Stichting €", "n": [1, 2.5, None]}, '{"naam":"Stichting €","n":[1,2.5,null]}'),
    ({"b": 1, "a": 2}, '{"b":1,"a":2}'),  # key order kept, as json.dumps keeps it
    ({"big": 2 ** 70}, '{"big": 1180591620717411303424}'),  # beyond orjson: the stdlib's text
    ({1: "sleutel"}, '{"1": "sleutel"}'),
])
def test_json_text(value, text):
    assert json_str(value) == text
    assert json_bytes(value) == text.encode()
    assert json.loads(text) == json.loads(json.dumps(value))


def test_what_neither_encoder_takes_still_fails_clearly():
    with pytest.raises(TypeError):
        json_str({"a": {1, 2}})
