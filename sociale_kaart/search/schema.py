"""The Whoosh schema: which fields exist and how each is analysed.

Text fields use our Dutch analyzer (folding, stop words, compounds, stemming). ``spell`` holds
the unstemmed, folded words of the listing: the vocabulary for typo correction, so "bedoelde u"
suggests real words, not stems.
"""

from __future__ import annotations

from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.fields import ID, STORED, TEXT, Schema

from .analysis import FoldFilter, build_analyzer

#: Bump when the schema or the analysis changes in a way that needs a rebuild.
SCHEMA_VERSION = 2

TEXT_FIELDS = ("name", "categories_text", "organization", "description", "details")


def make_schema() -> Schema:
    dutch = build_analyzer()
    plain = RegexTokenizer(r"\w+") | LowercaseFilter() | FoldFilter()
    return Schema(
        id=ID(stored=True, unique=True),
        name=TEXT(analyzer=dutch, stored=True, phrase=True),
        categories_text=TEXT(analyzer=dutch, phrase=False),
        organization=TEXT(analyzer=dutch, stored=True, phrase=True),
        description=TEXT(analyzer=dutch, phrase=True),
        details=TEXT(analyzer=dutch, phrase=False),
        places_text=TEXT(analyzer=plain, phrase=False),
        spell=TEXT(analyzer=plain, phrase=False),
        organization_id=ID(stored=True),
        summary=STORED(),
        meta=STORED(),
    )
