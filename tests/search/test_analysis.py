"""Dutch analysis: folding, tokenizing, stop words, compounds, -er rule, stemming, Whoosh."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields, query
from whoosh.filedb.filestore import RamStorage

from sociale_kaart.search.analysis import (
    QueryToken,
    agentive_base,
    analyze_query,
    build_analyzer,
    build_chain_analyzer,
    fold,
    is_stopword,
    load_stopwords,
    stem,
    tokenize,
)
from sociale_kaart.search.compounds import CompoundSplitter


def terms(text: str, **kwargs: object) -> list[str]:
    return [t.text for t in build_analyzer(**kwargs)(text)]  # type: ignore[arg-type]


def terms_pos(text: str) -> list[tuple[str, int]]:
    return [(t.text, t.pos) for t in build_analyzer()(text, positions=True)]


# -- fold ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Café", "cafe"),
        ("cliënt", "client"),
        ("ÉÈÊË ïóöú ñç", "eeee ioou nc"),
        ("Straße", "strasse"),  # ß via casefold
        ("ﬁets", "fiets"),  # ligature via NFKD
        ("ĳsbaan", "ijsbaan"),  # Dutch ij ligature
        ("Groep 8 en 0-4 JAAR", "groep 8 en 0-4 jaar"),  # digits kept
        ("cafe\u0301", "cafe"),  # decomposed input
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


# -- tokenizer (raw, unfolded) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hulp bij de administratie.", ["Hulp", "bij", "de", "administratie"]),
        ("poh-ggz", ["poh", "pohggz", "ggz"]),  # segments + joined form
        ("'s avonds", ["avonds"]),  # clitic 's dropped
        ("s'avonds", ["avonds"]),
        ("café's en auto's", ["café", "en", "auto"]),  # plural/genitive 's dropped
        ("’t Huis", ["Huis"]),  # typographic apostrophe
        ("m'n zo'n", ["zo"]),
        ("'s-Hertogenbosch", ["Hertogenbosch"]),
        ("huis- en tuinhulp", ["huis", "en", "tuinhulp"]),  # dangling hyphen
        (
            "info@wijkteam.nl, tel. 06-1234",
            ["info", "wijkteam", "nl", "tel", "06", "061234", "1234"],
        ),
        ("a_b", ["a", "b"]),  # underscore is punctuation
        ("!!!", []),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert [tok[0] for tok in tokenize(text)] == expected


def test_tokenize_positions_and_chars() -> None:
    assert tokenize("e-mail mij") == [
        ("e", 0, 0, 1, False),
        ("email", 0, 0, 6, True),
        ("mail", 1, 2, 6, False),
        ("mij", 2, 7, 10, False),
    ]


# -- stop words ----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["de", "het", "een", "en", "van", "ik", "mijn", "je", "u", "ze",
                                  "wat", "hoe", "is", "zijn", "heeft", "kan", "wil", "naar",
                                  "bij", "met", "voor", "nog", "niet", "zoek", "nodig"])
def test_function_words_are_stopped(word: str) -> None:
    assert is_stopword(word)


@pytest.mark.parametrize("word", ["alleen", "thuis", "samen", "hulp", "geld", "werk", "school",
                                  "ouder", "ouders", "ouderen", "kind", "kinderen", "nacht", "dag",
                                  "gratis", "buiten", "eten", "wonen", "jong", "twee"])
def test_meaningful_words_are_kept(word: str) -> None:
    assert not is_stopword(word)


def test_stopwords_loaded_once_and_folded() -> None:
    assert load_stopwords() is load_stopwords()
    assert all(w == fold(w) for w in load_stopwords())


def test_single_letters_are_stop_words_digits_are_not() -> None:
    assert is_stopword("e") and not is_stopword("8")


# -- stemming ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("maatjes", "maat"),
        ("maatje", "maat"),
        ("lessen", "les"),
        ("huizen", "huis"),
        ("kinderen", "kinder"),
        ("cafes", "cafe"),
        ("gezin", "gezin"),  # Snowball 3 gives "zin": ge- is put back
        ("gezinnen", "gezin"),
        ("gezondheid", "gezon"),  # not "zon" (sun)
        ("gezond", "gezon"),
        ("begeleiding", "begeleid"),  # not "beleid" (policy)
        ("begeleiden", "begeleid"),
        ("beleid", "beleid"),
        ("gemeente", "gemeen"),
        ("gemeenten", "gemeen"),
        ("mantelzorgers", "mantelzorger"),  # Snowball keeps agentive -er ...
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


# -- agentive -er rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("mantelzorgers", "mantelzorg"),
        ("mantelzorger", "mantelzorg"),
        ("jongerenwerker", "jongerenwerk"),
        ("belangrijker", "belangrijk"),  # comparative: also fine
        ("moeder", None),  # too short
        ("ouders", None),
        ("computer", None),
        ("computers", None),  # "comput" unknown
        ("vrijwilliger", "vrijwillig"),
        ("ondernemers", None),  # "ondernem" unknown
        ("september", None),
        ("kinderen", None),  # not -er(s)
    ],
)
def test_agentive_base(word: str, expected: str | None) -> None:
    assert agentive_base(word) == expected


# -- the index analyzer: one row per rule ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # folding + stemming
        ("Café's", ["cafe"]),
        ("Cliënten", ["client"]),
        # stop words removed, meaningful words kept
        ("Ik zoek hulp bij mijn administratie", ["hulp", "administreer"]),
        ("alleen thuis", ["alleen", "thuis"]),
        # compounds: whole word + parts
        ("huiswerkbegeleiding", ["huiswerkbegeleid", "huiswerk", "begeleid"]),
        ("rolstoelvervoer", ["rolstoelvervoer", "rolstoel", "vervoer"]),
        ("schuldhulpmaatje", ["schuldhulpmaa", "schuldhulp", "schuld", "hulp", "maat"]),
        ("cliëntondersteuning", ["clientondersteun", "client", "ondersteun"]),
        ("gemeente", ["gemeen"]),
        # agentive -er
        ("mantelzorgers", ["mantelzorger", "mantelzorg"]),
        ("moeders computers", ["moeder", "computer"]),
        # hyphens
        ("poh-ggz", ["poh", "pohggz", "ggz"]),
        ("e-mail", ["email", "mail"]),
        ("mantelzorg-training", ["mantelzorg", "mantel", "zorg", "mantelzorgtrain", "train"]),
        # apostrophes
        ("'s avonds", ["avond"]),
        ("s'avonds", ["avond"]),
        # digits
        ("groep 8, 0-4 jaar", ["groep", "8", "0", "04", "4", "jaar"]),
        ("", []),
    ],
)
def test_analyzer(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_compound_parts_share_the_position() -> None:
    assert terms_pos("cafe voor mantelzorgers en huiswerkbegeleiding") == [
        ("cafe", 0),
        ("mantelzorger", 1),  # stop word gap closed (renumbered)
        ("mantelzorg", 1),
        ("huiswerkbegeleid", 2),
        ("huiswerk", 2),
        ("begeleid", 2),
    ]


def test_hyphen_positions() -> None:
    assert terms_pos("de poh-ggz praktijk") == [
        ("poh", 0),
        ("pohggz", 0),
        ("ggz", 1),
        ("praktijk", 2),
    ]


def test_analyzer_options() -> None:
    assert terms("de mantelzorgers", stem=False) == ["mantelzorgers", "mantelzorg"]
    assert terms("de mantelzorgers", stopwords=False) == ["de", "mantelzorger", "mantelzorg"]
    assert terms("de mantelzorgers", splitter=None) == ["mantelzorger"]
    custom = CompoundSplitter({"repair": 3.0, "cafe": 4.0})
    assert terms("repaircafe", splitter=custom) == ["repaircafe", "repair", "cafe"]


def test_removestops_false_marks_stop_words() -> None:
    toks = [(t.text, t.stopped) for t in build_analyzer()("de wijk", removestops=False)]
    assert toks == [("de", True), ("wijk", False)]


def test_query_mode_does_not_decompose() -> None:
    # Whoosh's QueryParser would AND same-position tokens; it gets the word only.
    toks = [t.text for t in build_analyzer()("huiswerkbegeleiding mantelzorgers", mode="query")]
    assert toks == ["huiswerkbegeleid", "mantelzorger"]


def test_add_words_changes_analysis() -> None:
    custom = CompoundSplitter({"cafe": 4.0})
    analyzer = build_analyzer(splitter=custom)
    assert [t.text for t in analyzer("repaircafe")] == ["repaircafe"]
    custom.add_words(["repair"])
    assert [t.text for t in analyzer("repaircafe")] == ["repaircafe", "repair", "cafe"]


SAMPLES = [
    "Huiswerkbegeleiding voor kinderen van 8-12 jaar in 's-Hertogenbosch",
    "Het Repair Café: samen repareren! Elke 2e zaterdag, ook voor mantelzorgers.",
    "POH-GGZ, wijkverpleegkundige & cliëntondersteuning (Wmo-loket) — bel 06-12345678",
    "Ik zoek hulp bij mijn administratie, s'avonds of in het weekend; m'n buurvrouw's auto's",
    "Vrijwilligerssteunpunt doe-het-zelf e-mail info@voorbeeld.nl",
]


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("removestops", [True, False])
def test_fused_filter_equals_chain(text: str, removestops: bool) -> None:
    def run(analyzer: object) -> list[tuple[str, int, int, int, bool]]:
        return [
            (t.text, t.pos, t.startchar, t.endchar, t.stopped)
            for t in analyzer(text, positions=True, chars=True, removestops=removestops)  # type: ignore[operator]
        ]

    assert run(build_analyzer()) == run(build_chain_analyzer())


# -- pickling and Whoosh integration -------------------------------------------------------------


def test_analyzer_pickles_small_and_equal() -> None:
    analyzer = build_analyzer()
    data = pickle.dumps(analyzer)
    assert len(data) < 2000  # no lexicon, no stop list, no memo in the index TOC
    clone = pickle.loads(data)
    assert clone == analyzer
    assert [t.text for t in clone("huiswerkbegeleiding")] == terms("huiswerkbegeleiding")
    assert pickle.loads(pickle.dumps(build_chain_analyzer())) == build_chain_analyzer()


def test_whoosh_index_roundtrip() -> None:
    schema = fields.Schema(id=fields.ID(stored=True), body=fields.TEXT(analyzer=build_analyzer()))
    ix = RamStorage().create_index(schema)
    with ix.writer() as w:
        w.add_document(id="1", body="Huiswerkbegeleiding en een café voor mantelzorgers")
        w.add_document(id="2", body="Vervoer per rolstoel; POH-GGZ spreekuur")
    with ix.searcher() as s:

        def ids(q: query.Query) -> list[str]:
            return sorted(hit["id"] for hit in s.search(q))

        assert ids(query.Term("body", "huiswerk")) == ["1"]  # compound part
        assert ids(query.Term("body", "mantelzorg")) == ["1"]  # agentive base
        assert ids(query.Phrase("body", ["cafe", "mantelzorger"])) == ["1"]  # stop gap closed
        assert ids(query.Term("body", "pohggz")) == ["2"]
        assert ids(query.Phrase("body", ["poh", "ggz"])) == ["2"]
        assert ids(query.And([query.Term("body", "rolstoel"), query.Term("body", "vervoer")])) == [
            "2"
        ]


# -- query side ----------------------------------------------------------------------------------


def test_analyze_query_compound_and_stop_words() -> None:
    assert analyze_query("Cafe voor mantelzorgers") == [
        QueryToken("cafe", "cafe", (), 0, False),
        QueryToken("voor", "voor", (), 1, True),
        QueryToken("mantelzorgers", "mantelzorger", (), 1, False, ("mantelzorg",)),
    ]


@pytest.mark.parametrize(
    ("text", "surface", "stem_", "parts"),
    [
        ("huiswerkbegeleiding", "huiswerkbegeleiding", "huiswerkbegeleid",
         ("huiswerk", "begeleid")),
        ("seniorencomputerles", "seniorencomputerles", "seniorencomputerl",
         ("senior", "computerl", "computer", "les")),
        ("rolstoelvervoer", "rolstoelvervoer", "rolstoelvervoer", ("rolstoel", "vervoer")),
        ("clientondersteuning", "clientondersteuning", "clientondersteun",
         ("client", "ondersteun")),
        ("Cliëntondersteuning", "clientondersteuning", "clientondersteun",
         ("client", "ondersteun")),
        ("POH-GGZ", "pohggz", "pohggz", ("poh", "ggz")),  # one token for a hyphenated word
        ("café's", "cafe", "cafe", ()),
        ("gemeente", "gemeente", "gemeen", ()),
    ],
)
def test_analyze_query_tokens(text: str, surface: str, stem_: str, parts: tuple[str, ...]) -> None:
    [token] = analyze_query(text)
    assert (token.surface, token.stem, token.parts, token.is_stop) == (surface, stem_, parts, False)


def test_analyze_query_positions_match_index() -> None:
    text = "ik zoek een poh-ggz praktijk voor mantelzorgers"
    index_pos = {t.text: t.pos for t in build_analyzer()(text, positions=True)}
    for token in analyze_query(text):
        if not token.is_stop and token.surface != "pohggz":
            assert index_pos[token.stem] == token.position
    assert [(t.surface, t.position) for t in analyze_query(text) if not t.is_stop] == [
        ("pohggz", 0),
        ("praktijk", 2),  # poh-ggz occupies two positions, as in the index
        ("mantelzorgers", 3),
    ]


def test_analyze_query_terms_exist_in_index() -> None:
    text = "schuldhulpmaatje voor vrijwilligers en mantelzorgers"
    indexed = set(terms(text))
    for token in analyze_query(text):
        if not token.is_stop:
            assert {token.stem, *token.parts, *token.variants} <= indexed


def test_analyze_query_without_splitter() -> None:
    [token] = analyze_query("mantelzorgers", splitter=None)
    assert token.parts == () and token.variants == ()


# -- robustness ----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_analyzer_never_raises_and_yields_str(text: str) -> None:
    for t in build_analyzer()(text, positions=True, chars=True):
        assert isinstance(t.text, str) and t.text
        assert isinstance(t.pos, int)
    for token in analyze_query(text):
        assert isinstance(token.stem, str)
        assert all(isinstance(p, str) for p in token.parts)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcdeëéfghijklmnoprstuvwz-' 0123"), max_size=80))
def test_fused_equals_chain_property(text: str) -> None:
    def run(analyzer: object) -> list[tuple[str, int]]:
        return [(t.text, t.pos) for t in analyzer(text, positions=True)]  # type: ignore[operator]

    assert run(build_analyzer()) == run(build_chain_analyzer())
