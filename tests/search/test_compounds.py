"""Compound splitter: real Dutch examples against the shipped lexicon, plus unit rules."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import pytest

from sociale_kaart.search.compounds import (
    CompoundSplitter,
    load_default_splitter,
    load_lexicon,
)


@pytest.fixture(scope="module")
def splitter() -> CompoundSplitter:
    return load_default_splitter()


# (word, expected split()) - top-level parts, each followed by its sub-parts.
SPLITS = [
    ("huiswerkbegeleiding", ["huiswerk", "begeleiding"]),
    ("wijkverpleegkundige", ["wijk", "verpleegkundige"]),
    ("mantelzorgtraining", ["mantelzorg", "training"]),
    ("seniorencomputerles", ["senior", "computerles", "computer", "les"]),
    ("rolstoelvervoer", ["rolstoel", "vervoer"]),
    ("schuldhulpmaatje", ["schuldhulp", "schuld", "hulp", "maatje"]),
    ("budgetcoach", ["budget", "coach"]),
    ("taalmaatje", ["taal", "maatje"]),
    ("repaircafe", ["repair", "cafe"]),
    ("voedselbank", ["voedsel", "bank"]),
    ("klussendienst", ["klussen", "dienst"]),
    ("dagbesteding", ["dag", "besteding"]),
    ("buurtbemiddeling", ["buurt", "bemiddeling"]),
    ("jongerenwerk", ["jongeren", "werk"]),
    ("formulierenbrigade", ["formulier", "brigade"]),
    ("thuisadministratie", ["thuis", "administratie"]),
    ("mantelzorgmakelaar", ["mantelzorg", "makelaar"]),
    ("ouderenadviseur", ["ouder", "adviseur"]),
    ("lotgenotencontact", ["lotgenoten", "contact"]),
    ("respijtzorg", ["respijt", "zorg"]),
    ("zwemles", ["zwem", "les"]),
    ("beweeggroep", ["beweeg", "groep"]),
    ("inloopspreekuur", ["inloop", "spreekuur"]),
    ("computercursus", ["computer", "cursus"]),
    ("kledingbank", ["kleding", "bank"]),
    ("schuldhulpverlening", ["schuld", "hulpverlening"]),
    ("opvoedondersteuning", ["opvoed", "ondersteuning"]),
    ("vrijwilligerscentrale", ["vrijwilligers", "centrale"]),
    ("vrijwilligerssteunpunt", ["vrijwilligers", "steunpunt"]),
    ("clientondersteuning", ["client", "ondersteuning"]),
    ("mantelzorgondersteuning", ["mantelzorg", "ondersteuning"]),
    ("opvoedingsondersteuning", ["opvoeding", "ondersteuning"]),  # linking -s-
    ("ontmoetingscentrum", ["ontmoeting", "centrum"]),  # linking -s-
    ("boekenclub", ["boek", "club"]),  # linking -en-
    ("boodschappendienst", ["boodschappen", "dienst"]),
    ("boodschappenhulp", ["boodschappen", "hulp"]),
    ("alzheimercafe", ["alzheimer", "cafe"]),
    ("koffieochtend", ["koffie", "ochtend"]),
    ("maaltijdservice", ["maaltijd", "service"]),
    ("thuiszorg", ["thuis", "zorg"]),
    ("jeugdzorg", ["jeugd", "zorg"]),
    ("huisarts", ["huis", "arts"]),
    ("buurthuis", ["buurt", "huis"]),
    ("wmoloket", ["wmo", "loket"]),  # whitelisted 3-letter part
    ("woningaanpassing", ["woning", "aanpassing"]),  # aan+passing is not a compound
    ("rouwverwerking", ["rouw", "verwerking"]),
    ("valpreventie", ["val", "preventie"]),
]

# Words that must stay whole: lexicalised words and derivations, not compounds.
NO_SPLIT = [
    "maatschappelijk",
    "eenzaamheid",
    "gemeente",
    "boodschappen",
    "ontmoeting",
    "verpleegkundige",
    "samenwerking",  # samen+werking would be defensible; frequent word, kept whole
    "bibliotheek",
    "vluchteling",
    "verkeerd",  # ver+keerd
    "begeleiding",
    "vrijwilliger",
    "ouderen",
    "mantelzorgers",
    "ziekenhuis",
    "evenwicht",  # even+wicht: "wicht" too rare for an established word
    "magazijn",
    "protest",  # pro+test: 3-letter parts only from the whitelist
    "kenmerken",
    "planeet",
    "administratie",
    "activiteiten",
    "gezondheid",
    "huiselijk",
    "dementie",
]


@pytest.mark.parametrize(("word", "expected"), SPLITS)
def test_split_real_compounds(splitter: CompoundSplitter, word: str, expected: list[str]) -> None:
    assert splitter.split(word) == expected


@pytest.mark.parametrize("word", NO_SPLIT)
def test_no_split(splitter: CompoundSplitter, word: str) -> None:
    assert splitter.split(word) == []


def test_split_top_has_no_subparts(splitter: CompoundSplitter) -> None:
    assert splitter.split_top("schuldhulpmaatje") == ["schuldhulp", "maatje"]


def test_established_part_is_not_split_further(splitter: CompoundSplitter) -> None:
    # huiswerk is itself splittable, but as a frequent word inside a compound it stays whole.
    assert "huis" not in splitter.split("huiswerkbegeleiding")


def test_default_lexicon_is_large_and_folded(splitter: CompoundSplitter) -> None:
    assert len(splitter) > 100_000
    assert "cafe" in splitter and "café" not in splitter
    assert splitter.zipf("gemeente") > 4.0
    assert splitter.zipf("qqqqzzz") == 0.0


def test_default_splitter_is_shared() -> None:
    assert load_default_splitter() is load_default_splitter()


# -- unit rules on a tiny hand-made lexicon (independent of the shipped data) ------------------

TINY = {
    "vrijwilliger": 4.0,
    "steunpunt": 3.0,
    "boek": 5.0,
    "club": 4.5,
    "pan": 4.0,
    "pannen": 3.5,
    "koek": 4.0,
    "schuld": 4.5,
    "hulp": 5.0,
    "maatje": 4.0,
    "huis": 5.5,
    "werk": 5.5,
    "dag": 5.9,
    "les": 5.0,
    "ding": 4.9,
    "heid": 3.0,
    "ver": 5.0,
    "keerd": 1.2,
    "verkeerd": 4.8,
    "taal": 5.0,
    "cafe": 4.0,
}


@pytest.fixture
def tiny() -> CompoundSplitter:
    return CompoundSplitter(TINY)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("vrijwilligerssteunpunt", ["vrijwilliger", "steunpunt"]),  # linking -s-
        ("boekenclub", ["boek", "club"]),  # linking -en-
        ("pannenkoek", ["pannen", "koek"]),  # the part itself is a word: no link needed
        ("schuldhulpmaatje", ["schuld", "hulp", "maatje"]),  # three parts
        ("huiswerk", ["huis", "werk"]),
        ("verkeerd", []),  # whole word far more frequent than ver+keerd
        ("taalheid", []),  # "heid" is an affix, never a part
        ("dagles", []),  # shorter than 7 letters: never split
        ("onbekendwoord", []),  # unknown parts
    ],
)
def test_tiny_rules(tiny: CompoundSplitter, word: str, expected: list[str]) -> None:
    assert tiny.split(word) == expected


def test_fewer_parts_win(tiny: CompoundSplitter) -> None:
    tiny.add_words(["schuldhulp"], zipf=2.0)
    # schuldhulp+maatje (2 parts) beats schuld+hulp+maatje; sub-parts follow the rare part.
    assert tiny.split_top("schuldhulpmaatje") == ["schuldhulp", "maatje"]
    assert tiny.split("schuldhulpmaatje") == ["schuldhulp", "schuld", "hulp", "maatje"]


def test_max_parts(tiny: CompoundSplitter) -> None:
    assert tiny.split("huiswerkhuiswerkhuis") == []  # would need 5 parts
    assert tiny.split("huiswerkhuiswerk") == ["huis", "werk"]  # duplicates removed


def test_add_words_makes_new_parts_and_clears_cache(tiny: CompoundSplitter) -> None:
    assert tiny.split("repaircafe") == []
    version = tiny.version
    assert tiny.add_words(["Repair", "x", "ab1", "heid", "cafe"]) == 1  # only "repair" is new
    assert tiny.version == version + 1
    assert tiny.split("repaircafe") == ["repair", "cafe"]
    assert tiny.zipf("repair") == CompoundSplitter.ADDED_WORD_ZIPF
    assert tiny.zipf("cafe") == 4.0  # existing words keep their frequency


def test_split_result_is_a_copy(tiny: CompoundSplitter) -> None:
    parts = tiny.split("boekenclub")
    parts.append("mutated")
    assert tiny.split("boekenclub") == ["boek", "club"]


def test_load_lexicon_txt_and_gz(tmp_path: Path) -> None:
    text = "boek\t5.00\nclub\t4.50\n"
    (tmp_path / "w.txt").write_text(text, encoding="utf-8")
    with gzip.open(tmp_path / "w.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write(text)
    assert load_lexicon(tmp_path / "w.txt") == {"boek": 5.0, "club": 4.5}
    assert load_lexicon(tmp_path / "w.txt.gz") == {"boek": 5.0, "club": 4.5}


def test_pickle_default_splitter_is_a_reference() -> None:
    default = load_default_splitter()
    data = pickle.dumps(default)
    assert len(data) < 500  # the lexicon is not pickled
    assert pickle.loads(data) is default


def test_pickle_custom_splitter(tiny: CompoundSplitter) -> None:
    tiny.add_words(["repair"])
    clone = pickle.loads(pickle.dumps(tiny))
    assert clone.split("repaircafe") == ["repair", "cafe"]
    assert clone is not tiny
