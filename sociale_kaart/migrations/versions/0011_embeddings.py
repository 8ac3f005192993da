"""embeddings: vectors cached by text hash, and which text each listing has

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embedding",
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("text_hash"),
    )
    op.create_table(
        "service_embedding",
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("service_id"),
    )
    op.create_index("ix_service_embedding_text_hash", "service_embedding", ["text_hash"])


def downgrade() -> None:
    op.drop_index("ix_service_embedding_text_hash", table_name="service_embedding")
    op.drop_table("service_embedding")
    op.drop_table("embedding")
