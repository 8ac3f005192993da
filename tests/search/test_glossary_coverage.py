"""The multilingual glossary file itself: broad, complete per line, unambiguous, and its new
everyday words reach the Dutch terms the listings use (in inflected forms too)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from sociale_kaart.search.glossary import DEFAULT_GLOSSARY, LANGUAGES, load_glossary, parse

MIN_CONCEPTS = 400


def concept_lines() -> list[str]:
    text = DEFAULT_GLOSSARY.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.split("#", 1)[0].strip()]


def test_the_file_parses_into_at_least_400_concepts_in_all_five_languages():
    lines = concept_lines()
    assert len(lines) >= MIN_CONCEPTS
    assert len(load_glossary()) > 5 * MIN_CONCEPTS
    for line in lines:
        glossary = parse(line)
        missing = [lang for lang in LANGUAGES if not glossary.entries[lang]]
        assert not missing, f"{line[:60]!r} lacks {missing}"


def test_its_header_says_it_was_written_independently_of_the_benchmarks():
    header = DEFAULT_GLOSSARY.read_text(encoding="utf-8").split("\n\n", 1)[0]
    prose = " ".join(line.lstrip("# ") for line in header.splitlines())
    assert "not from any benchmark query" in prose


def test_no_foreign_term_is_repeated_on_unrelated_lines():
    """A foreign term on two lines must mean the same thing there: the lines share a Dutch
    term. Otherwise one word would silently pull in two unrelated needs."""
    lines_of: dict[tuple[str, tuple[str, ...]], list[tuple[int, set[str]]]] = defaultdict(list)
    for number, line in enumerate(concept_lines(), 1):
        glossary = parse(line)
        for lang, entries in glossary.entries.items():
            for words, dutch in entries:
                lines_of[(lang, words)].append((number, set(dutch)))
    clashes = [
        (lang, " ".join(words), a, b)
        for (lang, words), found in lines_of.items()
        for i, (a, dutch_a) in enumerate(found)
        for b, dutch_b in found[i + 1:]
        if a != b and not dutch_a & dutch_b
    ]
    assert clashes == []


@pytest.mark.parametrize(("query", "lang", "dutch"), [
    # English: plurals and phrases whose words may come in any order
    ("I got a payment reminder", "en", "aanmaning"),
    ("wage garnishment", "en", "loonbeslag"),
    ("my electricity was cut off", "en", "afsluiting"),
    ("I need a loan", "en", "kredietbank"),
    ("tips for a job interview", "en", "sollicitatiegesprek"),
    ("I was fired", "en", "ontslagen"),
    ("exhausted from caring for my dad", "en", "overbelasting"),
    ("support for a young carer", "en", "jonge mantelzorger"),
    ("I am a widow", "en", "weduwe"),
    ("old man living alone", "en", "alleen wonen"),
    ("dementia cafe", "en", "alzheimer café"),
    ("after a stroke", "en", "beroerte"),
    ("sign language", "en", "gebarentaal"),
    ("wheelchair taxi", "en", "rolstoelvervoer"),
    ("noisy neighbours", "en", "geluidsoverlast"),
    ("I got scammed", "en", "oplichting"),
    ("foster care", "en", "pleegzorg"),
    ("my son has tantrums", "en", "driftbuien"),
    ("support groups", "en", "lotgenotencontact"),
    ("power of attorney", "en", "volmacht"),
    ("free smoke detectors", "en", "rookmelder"),
    # Turkish: suffixes after the base form
    ("maaşıma haciz geldi", "tr", "loonbeslag"),
    ("elektriğim kesildi", "tr", "afsluiting"),
    ("kredi kartı", "tr", "kredietbank"),
    ("iş görüşmesi", "tr", "sollicitatiegesprek"),
    ("işsizlik maaşı", "tr", "werkloosheidsuitkering"),
    ("annemin bakımından tükendim", "tr", "overbelasting"),
    ("eşimi kaybettim", "tr", "weduwe"),
    ("yalnız yaşıyorum", "tr", "alleen wonen"),
    ("demans kafe", "tr", "alzheimer café"),
    ("babam inme geçirdi", "tr", "beroerte"),
    ("işaret dili", "tr", "gebarentaal"),
    ("gürültülü komşular", "tr", "geluidsoverlast"),
    ("dolandırıldım", "tr", "oplichting"),
    ("koruyucu aile olmak", "tr", "pleegzorg"),
    ("öfke nöbetleri", "tr", "driftbuien"),
    ("destek grubu", "tr", "lotgenotencontact"),
    ("vekaletname", "tr", "volmacht"),
    ("duman dedektörü", "tr", "rookmelder"),
    ("nafaka", "tr", "alimentatie"),
    ("diyetisyen", "tr", "diëtist"),
    # Arabic: article, clitics and endings around the core
    ("حجز الراتب", "ar", "loonbeslag"),
    ("قطع الكهرباء", "ar", "afsluiting"),
    ("أحتاج قرضا", "ar", "kredietbank"),
    ("مقابلة عمل", "ar", "sollicitatiegesprek"),
    ("إعانة البطالة", "ar", "werkloosheidsuitkering"),
    ("أنا منهكة", "ar", "overbelasting"),
    ("أرملة", "ar", "weduwe"),
    ("أعيش وحدي", "ar", "alleen wonen"),
    ("مقهى الزهايمر", "ar", "alzheimer café"),
    ("سكتة دماغية", "ar", "beroerte"),
    ("لغة الإشارة", "ar", "gebarentaal"),
    ("ضوضاء الجيران", "ar", "geluidsoverlast"),
    ("احتيال", "ar", "oplichting"),
    ("أسرة حاضنة", "ar", "pleegzorg"),
    ("نوبات غضب", "ar", "driftbuien"),
    ("مجموعة دعم", "ar", "lotgenotencontact"),
    ("توكيل", "ar", "volmacht"),
    ("كاشف الدخان", "ar", "rookmelder"),
    ("نفقة الأطفال", "ar", "alimentatie"),
    ("أخصائي تغذية", "ar", "diëtist"),
    ("تنمر إلكتروني", "ar", "cyberpesten"),
    # Polish: case endings after the base form
    ("upomnienie z banku", "pl", "aanmaning"),
    ("odcięcie prądu", "pl", "afsluiting"),
    ("potrzebuję pożyczki", "pl", "kredietbank"),
    ("rozmowa kwalifikacyjna", "pl", "sollicitatiegesprek"),
    ("zasiłek dla bezrobotnych", "pl", "werkloosheidsuitkering"),
    ("jestem wyczerpana", "pl", "overbelasting"),
    ("jestem wdową", "pl", "weduwe"),
    ("mieszkam sama", "pl", "alleen wonen"),
    ("kawiarnia alzheimerowska", "pl", "alzheimer café"),
    ("udar mózgu", "pl", "beroerte"),
    ("język migowy", "pl", "gebarentaal"),
    ("hałaśliwi sąsiedzi", "pl", "geluidsoverlast"),
    ("oszustwo", "pl", "oplichting"),
    ("rodzina zastępcza", "pl", "pleegzorg"),
    ("napady złości", "pl", "driftbuien"),
    ("grupa wsparcia", "pl", "lotgenotencontact"),
    ("pełnomocnictwo", "pl", "volmacht"),
    ("czujnik dymu", "pl", "rookmelder"),
    ("alimenty", "pl", "alimentatie"),
    ("dietetyk", "pl", "diëtist"),
    ("wagary", "pl", "spijbelen"),
    # Ukrainian: case endings after the base form
    ("нагадування про оплату", "uk", "aanmaning"),
    ("відключили світло", "uk", "afsluiting"),
    ("потрібен кредит", "uk", "kredietbank"),
    ("співбесіда", "uk", "sollicitatiegesprek"),
    ("допомога по безробіттю", "uk", "werkloosheidsuitkering"),
    ("я виснажена", "uk", "overbelasting"),
    ("вдова", "uk", "weduwe"),
    ("живу сама", "uk", "alleen wonen"),
    ("альцгеймер кафе", "uk", "alzheimer café"),
    ("інсульт", "uk", "beroerte"),
    ("мова жестів", "uk", "gebarentaal"),
    ("галасливі сусіди", "uk", "geluidsoverlast"),
    ("шахрайство", "uk", "oplichting"),
    ("прийомна сім'я", "uk", "pleegzorg"),
    ("істерики у дитини", "uk", "driftbuien"),
    ("група підтримки", "uk", "lotgenotencontact"),
    ("довіреність", "uk", "volmacht"),
    ("датчик диму", "uk", "rookmelder"),
    ("аліменти", "uk", "alimentatie"),
    ("дієтолог", "uk", "diëtist"),
    ("прогули уроків", "uk", "spijbelen"),
])
def test_everyday_words_reach_the_dutch_listing_terms(query, lang, dutch):
    assert dutch in load_glossary().dutch_terms(query, lang)


@pytest.mark.parametrize(("query", "lang", "unrelated"), [
    ("مستعمل", "ar", "werk"),                   # "used" (second hand) contains the core of "work"
    ("توحد", "ar", "eenzaamheid"),               # autism contains the core of "loneliness"
    ("نقطة معلومات", "ar", "huisdieren"),         # "point" contains "cat"
    ("مقابلة عمل", "ar", "verloskundige"),        # "interview" contains "midwife"
    ("متلازمة داون", "ar", "crisis"),             # "syndrome" contains "crisis"
    ("bilgisayar kursu", "tr", "informatie en advies"),  # "computer" starts with "information"
    ("doğalgaz faturası", "tr", "natuur"),       # "natural gas" starts with "nature"
    ("taniec", "pl", "goedkoop"),                # "dance" starts with "cheap"
    ("e-papieros", "pl", "formulieren"),         # "cigarette" starts with "papers"
    ("napady złości", "pl", "slachtofferhulp"),  # tantrums are no robbery
    ("прогулянки", "uk", "spijbelen"),           # "walks" start like "truancy"
    ("stair lift", "en", "vrijwillige chauffeur"),
    ("memory loss", "en", "rouw"),
])
def test_similar_looking_words_do_not_pull_in_unrelated_needs(query, lang, unrelated):
    assert unrelated not in load_glossary().dutch_terms(query, lang)
