"""The PostgreSQL search tables: derived data, created and replaced by the search backend.

Why our own DDL and not an Alembic migration: the search tables hold nothing that is not in the
HSDS tables; a rebuild fills a fresh schema ``search_build`` and swaps it in for ``search`` in
one transaction (``ALTER SCHEMA ... RENAME``), the PostgreSQL twin of the Whoosh index's atomic
folder swap. Searches keep reading the old tables until the rebuild commits.

Tables (all in schema ``search``):

* ``document``: one row per listing: stored fields for results, filter and facet columns, a
  PostGIS ``geography`` of its locations, the analysed tokens (``tokens``, a ``tsvector`` whose
  lexemes are ``<field>:<stem>`` with one position per occurrence, built by OUR analysis so
  rankings match Whoosh) and ``dutch`` (PostgreSQL's own ``dutch`` stemmer with ``unaccent``).
* ``match``: the narrow twin of ``document`` that every counting and filtering statement reads:
  the filter, facet and place columns and ``words`` (``tokens`` without positions, which
  answers the same ``@@`` test for our queries of ORs and ANDs, plus the listing's type and
  categories as lexemes: ``FILTER_LEXEMES``). Why: at a million listings a
  count or a facet sample reads thousands of rows, and a ``document`` row is about 3.7 kB
  with its token vector often compressed or out of line; a ``match`` row is a third of that
  and never needs decompressing, so each row tested costs a fraction. Filled from
  ``document`` by SQL (``match_fill``) in the same transaction as every change.
* ``term``: document frequency per lexeme (BM25 statistics, "does the index know this word",
  local municipalities ``m:<name>``, and the typo vocabulary ``s:<word>`` with a trigram index).
* ``stats``: number of documents and total field lengths (BM25's average length), a
  generation counter bumped by every change, the schema version.
* ``vocabulary``: the listing words for the compound splitter (the Whoosh index keeps them in
  ``vocabulary.txt``).
"""

from __future__ import annotations

#: Bump when the tables or the analysis change in a way that needs a rebuild.
#: 2: indexes for the filters (municipality, kern, near, type, cost); 3: the ``match`` table;
#: 4: no index on ``cost`` (the one value filtered on, "gratis", holds for most listings:
#: building its bitmap cost more than testing the rows); 5: type and categories as lexemes in
#: ``match.words`` (``FILTER_LEXEMES``).
PG_SCHEMA_VERSION = 5
LIVE = "search"
#: Filters whose values are also lexemes in ``match.words``: filter -> lexeme prefix (the
#: ``type`` column and each of the ``categories``).
#: Why: a text search with a common type ("voorziening", a third of the listings) or category
#: then asks the GIN index for ``words @@ (alternative & '#t:voorziening')``, and the index
#: skips through the type's long posting list to the few listings with the words (GIN "fast
#: scan"), where the type's btree built a bitmap of every listing of the type in each of a
#: search's statements (about 30 ms each at a million listings). The prefixes start with
#: ``#``, which no field code (``FIELD_CODES``) does, so no word can be taken for a filter.
FILTER_LEXEMES = {"type": "#t:", "category": "#c:"}
#: SQL: the ``FILTER_LEXEMES`` of a ``match`` or ``document`` row, as a ``tsvector``.
FILTER_WORDS = (f"array_to_tsvector(array_remove(ARRAY['{FILTER_LEXEMES['type']}' || type], "
                f"NULL) || ARRAY(SELECT '{FILTER_LEXEMES['category']}' || c "
                "FROM unnest(categories) c WHERE c IS NOT NULL))")
BUILD = "search_build"
#: Short field codes used as lexeme prefixes in ``tokens``.
FIELD_CODES = {
    "name": "n",
    "categories_text": "c",
    "organization": "o",
    "description": "d",
    "details": "x",
}
TEXT_FIELDS = tuple(FIELD_CODES)
EXTENSIONS = ("unaccent", "pg_trgm")
#: Our text search configuration: PostgreSQL's Dutch stemmer after unaccent.
DUTCH_CONFIG = "public.sociale_kaart_dutch"

DOCUMENT_COLUMNS = (
    "service_id", "name", "organization", "organization_id", "summary", "meta", "folded_name",
    "active", "course_start", "course_end", "categories", "themes", "audiences", "type",
    "access", "cost", "age_min", "age_max", "municipalities", "areas", "serves", "kernen",
    "kern_keys", "languages", "has_point", "geog", "len_name", "len_categories_text",
    "len_organization", "len_description", "len_details", "tokens", "spell", "dutch_text",
)


#: ``match`` columns and how each comes from ``document``.
MATCH_COLUMNS = {
    "service_id": "service_id", "folded_name": "folded_name", "active": "active",
    "course_start": "course_start", "course_end": "course_end", "categories": "categories",
    "themes": "themes", "audiences": "audiences", "type": "type", "access": "access",
    "cost": "cost", "age_min": "age_min", "age_max": "age_max",
    "municipalities": "municipalities", "areas": "areas", "serves": "serves",
    "kernen": "kernen", "kern_keys": "kern_keys", "languages": "languages",
    "has_point": "has_point", "geog": "geog", "slots": "meta->'slots'",
    "words": f"strip(tokens) || {FILTER_WORDS}",
}


def match_fill(schema: str, where: str = "true") -> str:
    """``match`` rows for the ``document`` rows that pass ``where`` (in table order)."""
    return (f"INSERT INTO {schema}.match ({', '.join(MATCH_COLUMNS)}) "
            f"SELECT {', '.join(MATCH_COLUMNS.values())} FROM {schema}.document WHERE {where}")


#: The filter, facet and place columns: in ``document`` and, for the counts, filters and
#: candidates of a search, in the narrow ``match`` (the same definitions in both).
FILTER_COLUMNS = """folded_name text COLLATE "C" NOT NULL,
            active boolean NOT NULL,
            course_start date,
            course_end date,
            categories text[] NOT NULL,
            themes text[] NOT NULL,
            audiences text[] NOT NULL,
            type text,
            access text,
            cost text,
            age_min real,
            age_max real,
            municipalities text[] NOT NULL,
            areas text[] NOT NULL,
            serves text[] NOT NULL,
            kernen text[] NOT NULL,
            kern_keys text[] NOT NULL,
            languages text[] NOT NULL,
            has_point boolean NOT NULL,
            geog {geog},"""


def table_ddl(schema: str, postgis: bool) -> list[str]:
    geog = "geography(MultiPoint, 4326)" if postgis else "float8[]"
    filter_columns = FILTER_COLUMNS.format(geog=geog)
    return [
        f"CREATE SCHEMA IF NOT EXISTS {schema}",
        f"""CREATE TABLE IF NOT EXISTS {schema}.document (
            service_id text PRIMARY KEY,
            name text NOT NULL,
            organization text NOT NULL,
            organization_id text,
            summary text NOT NULL,
            meta jsonb NOT NULL,
            {filter_columns}
            len_name real NOT NULL,
            len_categories_text real NOT NULL,
            len_organization real NOT NULL,
            len_description real NOT NULL,
            len_details real NOT NULL,
            tokens tsvector NOT NULL,
            spell text[] NOT NULL,
            dutch_text text NOT NULL,
            dutch tsvector GENERATED ALWAYS AS (to_tsvector('{DUTCH_CONFIG}', dutch_text))
                STORED
        )""",
        f"""CREATE TABLE IF NOT EXISTS {schema}.match (
            service_id text PRIMARY KEY,
            {filter_columns}
            slots jsonb,
            words tsvector NOT NULL
        )""",
        # Rows of about 1 kB: stored as they are, never compressed or moved out of line.
        f"ALTER TABLE {schema}.match ALTER COLUMN words SET STORAGE MAIN",
        f"""CREATE TABLE IF NOT EXISTS {schema}.term (
            term text COLLATE "C" PRIMARY KEY,
            df integer NOT NULL
        )""",
        f"""CREATE TABLE IF NOT EXISTS {schema}.stats (
            id integer PRIMARY KEY CHECK (id = 1),
            version integer NOT NULL,
            generation bigint NOT NULL,
            docs bigint NOT NULL,
            len_name double precision NOT NULL,
            len_categories_text double precision NOT NULL,
            len_organization double precision NOT NULL,
            len_description double precision NOT NULL,
            len_details double precision NOT NULL
        )""",
        f"""CREATE TABLE IF NOT EXISTS {schema}.vocabulary (word text PRIMARY KEY)""",
    ]


def words_index_ddl(schema: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS match_words ON {schema}.match USING gin (words)"


def index_ddl(schema: str, postgis: bool) -> list[str]:
    """Indexes, created after a bulk load (much faster than maintaining them row by row)."""
    statements = [
        f"CREATE INDEX IF NOT EXISTS document_dutch ON {schema}.document USING gin (dutch)",
        words_index_ddl(schema),
        f"CREATE INDEX IF NOT EXISTS match_categories ON {schema}.match "
        "USING gin (categories)",
        f"CREATE INDEX IF NOT EXISTS match_serves ON {schema}.match USING gin (serves)",
        # The municipality, kern and "near" filters are ORs over these columns (a location
        # in the municipality, or working in its area): with an index on each side
        # PostgreSQL combines them (BitmapOr) instead of testing every text match.
        f"CREATE INDEX IF NOT EXISTS match_municipalities ON {schema}.match "
        "USING gin (municipalities)",
        f"CREATE INDEX IF NOT EXISTS match_areas ON {schema}.match USING gin (areas)",
        f"CREATE INDEX IF NOT EXISTS match_kern_keys ON {schema}.match "
        "USING gin (kern_keys)",
        f"CREATE INDEX IF NOT EXISTS match_type ON {schema}.match (type)",
        f"CREATE INDEX IF NOT EXISTS match_name ON {schema}.match (folded_name)",
        f"CREATE INDEX IF NOT EXISTS match_course_end ON {schema}.match (course_end)",
        # The typo vocabulary: unstemmed words of the listings, found by trigram similarity.
        f"CREATE INDEX IF NOT EXISTS term_spell ON {schema}.term "
        "USING gin ((substr(term, 3)) gin_trgm_ops) WHERE left(term, 2) = 's:'",
    ]
    if postgis:
        statements.append(f"CREATE INDEX IF NOT EXISTS match_geog ON {schema}.match "
                          "USING gist (geog)")
    return statements


def setup_statements() -> list[str]:
    """Extensions and the text search configuration (run once per database)."""
    return [f"CREATE EXTENSION IF NOT EXISTS {name}" for name in EXTENSIONS]


def dutch_config_statements() -> list[str]:
    return [
        f"CREATE TEXT SEARCH CONFIGURATION {DUTCH_CONFIG} (COPY = pg_catalog.dutch)",
        f"ALTER TEXT SEARCH CONFIGURATION {DUTCH_CONFIG} ALTER MAPPING FOR "
        "asciiword, asciihword, hword_asciipart, word, hword, hword_part "
        "WITH unaccent, dutch_stem",
    ]


def _match_indexes(schema: str) -> list[str]:
    return [s for s in index_ddl(schema, True) if f" ON {schema}.match " in s]


#: Older versions brought up to date in place, without a rebuild (which analyses every
#: listing again: half an hour at a million): version -> the statements that bring it to the
#: next version (``PostgresEngine.needs_rebuild`` runs them in turn, in one transaction).
IN_PLACE_UPGRADES = {
    3: [f"DROP INDEX IF EXISTS {LIVE}.match_cost"],
    # ``match`` filled again from ``document``, as a rebuild fills it, and its indexes built
    # once afterwards: an UPDATE of every row would leave the table twice its size and keep
    # every index up to date row by row.
    4: [*(f"DROP INDEX IF EXISTS {LIVE}.{ddl.split(' EXISTS ')[1].split()[0]}"
          for ddl in _match_indexes(LIVE)),
        f"TRUNCATE {LIVE}.match",
        match_fill(LIVE),
        *_match_indexes(LIVE),
        f"ANALYZE {LIVE}.match"],
}
