"""search rebuild journal: listings changed while the search index was rebuilt

``search_rebuild`` has a row per running rebuild; ``search_rebuild_change`` the ids of the
listings committed meanwhile, indexed again once the new index is live (see
``sociale_kaart.search.rebuild_journal``). Portable types only; ids with the ``C`` collation on
PostgreSQL like every other id column (0013).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "search_rebuild",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_rebuild")),
    )
    op.create_table(
        "search_rebuild_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rebuild_id", sa.Integer(), nullable=False),
        sa.Column("service_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["rebuild_id"], ["search_rebuild.id"], ondelete="CASCADE",
                                name=op.f("fk_search_rebuild_change_rebuild_id_search_rebuild")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_rebuild_change")),
    )
    op.create_index("ix_search_rebuild_change_rebuild_id", "search_rebuild_change",
                    ["rebuild_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_search_rebuild_change_rebuild_id", table_name="search_rebuild_change")
    op.drop_table("search_rebuild_change")
    op.drop_table("search_rebuild")
