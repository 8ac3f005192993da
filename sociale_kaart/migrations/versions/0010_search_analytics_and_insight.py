"""search analytics and insight

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: The Altena opgaven, mapped to our taxonomy; the beheerder edits them at /inzicht/opgaven.
DEFAULT_OPGAVEN = [
    ("Maatschappelijk werk", ["levensgebied:psychisch", "levensgebied:veiligheid"]),
    ("Onafhankelijke cliëntondersteuning", ["levensgebied:informatie"]),
    ("Praktische ondersteuning", ["levensgebied:wonen", "levensgebied:vervoer",
                                  "levensgebied:geld"]),
    ("Mantelzorgondersteuning", ["levensgebied:mantelzorg", "doelgroep:mantelzorgers"]),
    ("Vrijwilligersondersteuning", ["levensgebied:vrijwilligerswerk",
                                    "doelgroep:vrijwilligers"]),
    ("Ontmoetingsvoorzieningen", ["levensgebied:ontmoeting"]),
]


def upgrade() -> None:
    op.create_table(
        "search_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=True),
        sa.Column("query_dropped", sa.Boolean(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=True),
        sa.Column("categories", sa.String(length=400), nullable=False),
        sa.Column("place_used", sa.Boolean(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_event")),
        sa.UniqueConstraint("token", name=op.f("uq_search_event_token")),
    )
    op.create_index("ix_search_event_day_source", "search_event", ["day", "source"])
    op.create_index(op.f("ix_search_event_query"), "search_event", ["query"])
    op.create_table(
        "search_click",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["search_id"], ["search_event.id"],
                                name=op.f("fk_search_click_search_id_search_event"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_click")),
    )
    op.create_index(op.f("ix_search_click_search_id"), "search_click", ["search_id"])
    op.create_index(op.f("ix_search_click_day"), "search_click", ["day"])
    op.create_index(op.f("ix_search_click_service_id"), "search_click", ["service_id"])
    opgave = op.create_table(
        "opgave",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opgave")),
        sa.UniqueConstraint("name", name=op.f("uq_opgave_name")),
    )
    op.bulk_insert(opgave, [{"name": name, "position": number, "terms": terms}
                            for number, (name, terms) in enumerate(DEFAULT_OPGAVEN, start=1)])
    op.create_table(
        "course_participation",
        sa.Column("schedule_id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("schedule_id", name=op.f("pk_course_participation")),
    )
    op.create_index(op.f("ix_course_participation_service_id"), "course_participation",
                    ["service_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_course_participation_service_id"), table_name="course_participation")
    op.drop_table("course_participation")
    op.drop_table("opgave")
    op.drop_index(op.f("ix_search_click_service_id"), table_name="search_click")
    op.drop_index(op.f("ix_search_click_day"), table_name="search_click")
    op.drop_index(op.f("ix_search_click_search_id"), table_name="search_click")
    op.drop_table("search_click")
    op.drop_index(op.f("ix_search_event_query"), table_name="search_event")
    op.drop_index("ix_search_event_day_source", table_name="search_event")
    op.drop_table("search_event")
