"""Tests for the thesaurus loader (sociale_kaart.search.thesaurus) and the shipped word lists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sociale_kaart.search.thesaurus import (
    DEFAULT_THESAURUS_DIR,
    RELATED_WEIGHT,
    SYNONYM_WEIGHT,
    Expansion,
    Thesaurus,
    ThesaurusError,
    default_key,
    load_section_codes,
    load_thesaurus,
)

LEVENSGEBIEDEN = {
    "ontmoeting", "mantelzorg", "vrijwilligerswerk", "geld", "wonen", "vervoer", "opgroeien",
    "jongeren", "taal", "gezondheid", "psychisch", "dementie", "beperking", "informatie",
    "veiligheid", "werk", "inclusie",
}

SAMPLE = """\
# a small thesaurus for the tests
[geld]
schulden, schuld, geldzorgen   # synonyms
aanmaning, deurwaarder => schulden, schuldhulpverlening
[algemeen]
gratis, kosteloos
[ontmoeting]
repair café, repaircafé
samen eten, eetpunt
alleen wonen => eenzaamheid, samen eten
[wonen]
repair café => klussendienst
[psychisch]
poh-ggz, praktijkondersteuner ggz
"""


def write(tmp_path: Path, text: str, name: str = "nl.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def sample(tmp_path: Path) -> Thesaurus:
    return load_thesaurus(write(tmp_path, SAMPLE))


def phrases(thesaurus: Thesaurus, phrase: str) -> dict[str, float]:
    return {e.phrase: e.weight for e in thesaurus.expansions(phrase)}


# -- expansion ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # synonym groups expand every member to every other member
        ("schulden", {"schuld": SYNONYM_WEIGHT, "geldzorgen": SYNONYM_WEIGHT}),
        ("geldzorgen", {"schulden": SYNONYM_WEIGHT, "schuld": SYNONYM_WEIGHT}),
        ("kosteloos", {"gratis": SYNONYM_WEIGHT}),
        # related lines expand left -> right only
        ("aanmaning", {"schulden": RELATED_WEIGHT, "schuldhulpverlening": RELATED_WEIGHT}),
        ("deurwaarder", {"schulden": RELATED_WEIGHT, "schuldhulpverlening": RELATED_WEIGHT}),
        ("schuldhulpverlening", {}),
        # multi-word phrases on both sides
        ("alleen wonen", {"eenzaamheid": RELATED_WEIGHT, "samen eten": RELATED_WEIGHT}),
        ("samen eten", {"eetpunt": SYNONYM_WEIGHT}),
        # union over lines and sections
        ("repair café", {"repaircafé": SYNONYM_WEIGHT, "klussendienst": RELATED_WEIGHT}),
        ("onbekend woord", {}),
    ],
)
def test_expansions(sample: Thesaurus, query: str, expected: dict[str, float]) -> None:
    assert phrases(sample, query) == expected


def test_related_is_one_way_but_target_keeps_own_synonyms(sample: Thesaurus) -> None:
    # "schulden" is a target of "aanmaning" but must not expand back to it
    assert "aanmaning" not in phrases(sample, "schulden")
    assert "aanmaning" in sample and "schuldhulpverlening" not in sample


def test_expansion_never_contains_the_phrase_itself(sample: Thesaurus) -> None:
    for query in ("schulden", "repair café", "Repair-Cafe"):
        assert default_key(query) not in {default_key(e.phrase) for e in sample.expansions(query)}


def test_duplicates_merged_keeping_highest_weight(tmp_path: Path) -> None:
    thesaurus = load_thesaurus(write(tmp_path, "[geld]\na, b\na => b, c\nc, a\n"))
    assert thesaurus.expansions("a") == [
        Expansion("b", SYNONYM_WEIGHT, "geld"),
        Expansion("c", SYNONYM_WEIGHT, "geld"),
    ]


def test_expansions_sorted_strongest_first(sample: Thesaurus) -> None:
    weights = [e.weight for e in sample.expansions("repair cafe")]
    assert weights == sorted(weights, reverse=True)


@pytest.mark.parametrize(
    ("query", "category"),
    [("schuld", "geld"), ("aanmaning", "geld"), ("eetpunt", "ontmoeting"), ("gratis", None)],
)
def test_expansion_category_is_section(sample: Thesaurus, query: str, category: str | None) -> None:
    assert {e.category for e in sample.expansions(query)} == {category}


# -- categories --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("schulden", {"geld"}),
        ("aanmaning", {"geld"}),  # left side of a related line
        ("repaircafe", {"ontmoeting"}),
        ("repair café", {"ontmoeting", "wonen"}),  # member in one section, left side in another
        ("gratis", set()),  # algemeen is not a levensgebied
        ("schuldhulpverlening", set()),  # only a right-hand target
        ("iets anders", set()),
    ],
)
def test_categories(sample: Thesaurus, query: str, expected: set[str]) -> None:
    assert sample.categories(query) == expected


# -- keys --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Café", "cafe"),
        ("cliënt", "client"),
        ("  Repair   CAFÉ ", "repair cafe"),
        ("poh-ggz", "poh ggz"),
        ("POH – GGZ", "poh ggz"),
        ("Oekraïners", "oekrainers"),
    ],
)
def test_default_key(raw: str, key: str) -> None:
    assert default_key(raw) == key


@pytest.mark.parametrize(
    "query", ["Repair Café", "REPAIR CAFE", "repair cafe", "repair-café", "Repaircafe"]
)
def test_lookup_is_case_diacritic_and_hyphen_insensitive(sample: Thesaurus, query: str) -> None:
    assert query in sample
    assert sample.expansions(query)


@pytest.mark.parametrize("query", ["POH GGZ", "poh-ggz", "Poh Ggz"])
def test_abbreviation_with_hyphen(sample: Thesaurus, query: str) -> None:
    assert phrases(sample, query) == {"praktijkondersteuner ggz": SYNONYM_WEIGHT}


def crude_stem(phrase: str) -> str:
    """A stand-in for the engine's stemming key: strip a plural -en/-s per word."""
    words = default_key(phrase).split()
    return " ".join(w[:-2] if w.endswith("en") else w.rstrip("s") for w in words)


def test_custom_key_function(tmp_path: Path) -> None:
    path = write(tmp_path, "[mantelzorg]\nmantelzorgers, carers\nvrijwilligers => maatjes\n")
    thesaurus = load_thesaurus(path, key=crude_stem)
    assert phrases(thesaurus, "mantelzorger") == {"carers": SYNONYM_WEIGHT}
    assert phrases(thesaurus, "carer") == {"mantelzorgers": SYNONYM_WEIGHT}
    assert phrases(thesaurus, "vrijwilliger") == {"maatjes": RELATED_WEIGHT}
    assert thesaurus.categories("Mantelzorger") == {"mantelzorg"}
    assert thesaurus.key is crude_stem


def test_custom_key_merges_inflections_without_error(tmp_path: Path) -> None:
    # Under a stemming key, two members of one group may share a key: merged, not an error,
    # and never expanded to itself.
    thesaurus = load_thesaurus(write(tmp_path, "[geld]\nschuld, schulden, debt\n"),
                               key=lambda p: default_key(p).removesuffix("en"))
    assert phrases(thesaurus, "schulden") == {"debt": SYNONYM_WEIGHT}
    assert len(thesaurus) == 1


# -- other API ---------------------------------------------------------------------------------

def test_len_contains_and_max_words(sample: Thesaurus) -> None:
    assert len(sample) == 8
    assert "Schuld" in sample and "eetpunt" in sample
    assert "eenzaamheid" not in sample  # only a target
    assert 42 not in sample  # type: ignore[operator]
    assert sample.max_phrase_words == 2  # "repair cafe", "alleen wonen", "poh ggz", ...
    assert sample.section_counts == {
        "geld": 2, "algemeen": 1, "ontmoeting": 3, "wonen": 1, "psychisch": 1,
    }


def test_max_phrase_words_counts_words_of_keys(tmp_path: Path) -> None:
    thesaurus = load_thesaurus(write(tmp_path, "[taal]\nnt2, nederlands als tweede taal\n"))
    assert thesaurus.max_phrase_words == 4


def test_empty_thesaurus() -> None:
    empty = Thesaurus()
    assert len(empty) == 0 and empty.max_phrase_words == 0
    assert empty.expansions("schulden") == [] and empty.categories("schulden") == set()


def test_folder_loads_all_txt_sorted_and_ignores_other_files(tmp_path: Path) -> None:
    write(tmp_path, "[geld]\nb, c\n", "b.txt")
    write(tmp_path, "[geld]\na, b\n", "a.txt")
    write(tmp_path, "this is not a thesaurus", "README.md")
    thesaurus = load_thesaurus(tmp_path)
    assert len(thesaurus) == 2
    assert [e.phrase for e in thesaurus.expansions("b")] == ["a", "c"]  # a.txt first


def test_several_paths_and_str_path(tmp_path: Path) -> None:
    first = write(tmp_path, "[geld]\na, b\n", "one.txt")
    second = write(tmp_path, "[geld]\na => c\n", "two.txt")
    assert len(load_thesaurus([first, second])) == 2
    assert len(load_thesaurus(str(first))) == 1  # type: ignore[arg-type]


def test_bom_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_text("\ufeff# comment\n\n[geld]  # header comment\n  a , b  # trailing\n",
                    encoding="utf-8")
    assert phrases(load_thesaurus(path), "a") == {"b": SYNONYM_WEIGHT}


def test_upper_case_terms_are_lowered(tmp_path: Path) -> None:
    thesaurus = load_thesaurus(write(tmp_path, "[taal]\nDigiD, Digi-D\n"))
    assert phrases(thesaurus, "digid") == {"digi-d": SYNONYM_WEIGHT}


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("a, b\n", 1, "before any [section]"),
        ("# c\n\n[geld]\na, b\n[schulden]\n", 5, "unknown section [schulden]"),
        ("[geld\na, b\n", 1, "malformed section header"),
        ("[]\n", 1, "invalid section code"),
        ("[Geld Zaken]\n", 1, "invalid section code"),
        ("[geld]\nschulden\n", 2, "single term"),
        ("[geld]\na, , b\n", 2, "empty term"),
        ("[geld]\na, b,\n", 2, "empty term"),
        ("[geld]\na => b => c\n", 2, "more than one '=>'"),
        ("[geld]\n=> b\n", 2, "nothing left of '=>'"),
        ("[geld]\na =>\n", 2, "nothing right of '=>'"),
        ("[geld]\na, => b\n", 2, "empty term"),
        ("[geld]\na -> b\n", 2, "invalid character '>'"),
        ("[geld]\na/b, c\n", 2, "invalid character '/'"),
        ("[geld]\na, b, A\n", 2, "duplicate term"),
        ("[geld]\ncafé, Cafe\n", 2, "duplicate term"),
        ("[geld]\na => b, a\n", 2, "both sides"),
        ("[geld]\n-, a\n", 2, "no letters or digits"),
        ("[geld]\na, b]\n", 2, "unexpected ']'"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ThesaurusError) as info:
        load_thesaurus(path, sections=LEVENSGEBIEDEN | {"algemeen"})
    error = info.value
    assert error.line == line
    assert error.path == path
    assert reason in error.reason
    assert str(error).startswith(f"nl.txt:{line}: ")
    assert isinstance(error, ValueError)


def test_any_section_accepted_without_sections(tmp_path: Path) -> None:
    thesaurus = load_thesaurus(write(tmp_path, "[eigen_thema]\na, b\n"))
    assert thesaurus.categories("a") == {"eigen_thema"}


def test_empty_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ThesaurusError, match=r"nl.txt:2: .*empty key"):
        load_thesaurus(write(tmp_path, "[geld]\na, b\n"), key=lambda p: "" if p == "b" else p)


@pytest.mark.parametrize("name", ["missing.txt", "missing-folder"])
def test_missing_path(tmp_path: Path, name: str) -> None:
    with pytest.raises(ThesaurusError, match="no such"):
        load_thesaurus(tmp_path / name)


def test_folder_without_txt_files(tmp_path: Path) -> None:
    with pytest.raises(ThesaurusError, match=r"no \*\.txt"):
        load_thesaurus(tmp_path)


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("[geld]\ncafé, koffie\n".encode("latin-1"))
    with pytest.raises(ThesaurusError, match="latin1.txt: not valid UTF-8"):
        load_thesaurus(path)


# -- the shipped thesaurus ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped() -> Thesaurus:
    return load_thesaurus(DEFAULT_THESAURUS_DIR, sections=load_section_codes())


def test_section_codes_are_the_levensgebieden_plus_algemeen() -> None:
    assert load_section_codes() == LEVENSGEBIEDEN | {"algemeen"}


def test_shipped_size_and_coverage(shipped: Thesaurus) -> None:
    assert len(shipped) >= 300
    counts = shipped.section_counts
    for code in LEVENSGEBIEDEN:
        assert counts.get(code, 0) >= 10, code
    assert counts.get("algemeen", 0) >= 10


@pytest.mark.parametrize(
    ("term", "expected_target", "category"),
    [
        ("wmo", "wet maatschappelijke ondersteuning", "informatie"),
        ("ggz", "geestelijke gezondheidszorg", "psychisch"),
        ("nah", "niet-aangeboren hersenletsel", "beperking"),
        ("cjg", "centrum voor jeugd en gezin", "opgroeien"),
        ("amw", "algemeen maatschappelijk werk", "psychisch"),
        ("poh-ggz", "praktijkondersteuner ggz", "psychisch"),
        ("gli", "gecombineerde leefstijlinterventie", "gezondheid"),
        ("nt2", "nederlands als tweede taal", "taal"),
        ("jmz", "jonge mantelzorgers", "mantelzorg"),
        ("wlz", "wet langdurige zorg", "informatie"),
        ("carer", "mantelzorger", "mantelzorg"),
        ("caregiver", "mantelzorger", "mantelzorg"),
        ("debt", "schulden", "geld"),
        ("loneliness", "eenzaamheid", "ontmoeting"),
        ("dementia", "dementie", "dementie"),
        ("domestic violence", "huiselijk geweld", "veiligheid"),
        ("food bank", "voedselbank", "geld"),
        ("volunteer", "vrijwilliger", "vrijwilligerswerk"),
        ("wheelchair", "rolstoel", "beperking"),
        ("refugee", "vluchteling", "inclusie"),
        ("aanmaningen", "schulden", "geld"),
        ("papierwinkel", "thuisadministratie", "geld"),
        ("buddy", "maatje", "ontmoeting"),
        ("mantelzorgers", "mantelzorg", "mantelzorg"),
        ("vervangende zorg", "respijtzorg", "mantelzorg"),
        ("repair café", "repaircafé", "wonen"),
        ("burenruzie", "buurtbemiddeling", "wonen"),
        ("vergeetachtig", "dementie", "dementie"),
        ("spijbelen", "leerplicht", "jongeren"),
        ("puber", "tiener", "opgroeien"),
    ],
)
def test_shipped_contains(shipped: Thesaurus, term: str, expected_target: str,
                          category: str) -> None:
    assert term in shipped
    assert expected_target in {e.phrase for e in shipped.expansions(term)}
    assert category in shipped.categories(term)


def test_shipped_free_is_general(shipped: Thesaurus) -> None:
    assert "gratis" in {e.phrase for e in shipped.expansions("free")}
    assert shipped.categories("gratis") == set()


@pytest.mark.parametrize("too_general", ["hulp", "zorg", "advies", "steun", "ondersteuning"])
def test_shipped_has_no_overly_general_keys(shipped: Thesaurus, too_general: str) -> None:
    assert too_general not in shipped


def test_shipped_loads_with_a_stemming_key(shipped: Thesaurus) -> None:
    stem: Callable[[str], str] = crude_stem
    stemmed = load_thesaurus(DEFAULT_THESAURUS_DIR, key=stem, sections=load_section_codes())
    assert len(stemmed) == len(shipped)
    assert stemmed.expansions("schuld")
