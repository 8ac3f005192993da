"""Costs → kosten facet and amount; an amount only for one plain price."""

from __future__ import annotations

import pytest

from importers.normalize.costs import parse_cost


@pytest.mark.parametrize(("text", "category", "amount"), [
    ("gratis", "gratis", 0.0),
    ("Gratis", "gratis", 0.0),
    ("kosteloos", "gratis", 0.0),
    ("geen kosten", "gratis", 0.0),
    ("0", "gratis", 0.0),
    (0, "gratis", 0.0),
    ("€ 0,-", "gratis", 0.0),
    ("gratis (vrijwillige bijdrage)", "gratis", None),
    ("vrijwillige bijdrage", "gratis", None),
    ("€ 6,00 p.p.", "eigen_bijdrage", 6.0),
    ("6.00", "eigen_bijdrage", 6.0),
    ("€2,50", "eigen_bijdrage", 2.5),
    ("€ 2,50 p.p.", "eigen_bijdrage", 2.5),
    ("7,50 euro", "eigen_bijdrage", 7.5),
    ("€ 2,-", "eigen_bijdrage", 2.0),
    ("€ 2 per middag, inclusief koffie", "eigen_bijdrage", None),
    ("€ 20 voor 10 lessen", "eigen_bijdrage", None),
    ("€ 2,00 per rit; lidmaatschap € 15 per jaar", "eigen_bijdrage", None),
    ("€ 125,-", "betaald", 125.0),
    ("€ 95 per half jaar", "betaald", None),
    ("vergoed door de zorgverzekering", "vergoed", None),
])
def test_costs(text, category, amount):
    result = parse_cost(text)
    assert (result.category, result.amount, result.readable) == (category, amount, True)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_empty_says_nothing(text):
    assert parse_cost(text).category is None and parse_cost(text).readable


def test_text_without_price_is_unreadable():
    result = parse_cost("vraag de organisatie")
    assert result.category is None and not result.readable
