"""volunteer platform: people, listings, responses, matches, contact log, approvals

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00

Issue 9. Tables only, no data: every table is new, so the upgrade is safe on a live instance.
Types are portable (``sa.JSON``, ``sa.Date``), so the same file runs on SQLite and PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "volunteer_org_approval",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_org_approval_approved_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_volunteer_org_approval_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_org_approval_requested_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_volunteer_org_approval")),
    )
    op.create_table(
        "volunteer_person",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("alias", sa.String(length=80), nullable=False),
        sa.Column("kern", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("dagdelen", sa.JSON(), nullable=False),
        sa.Column("travel_km", sa.Integer(), nullable=False),
        sa.Column("has_car", sa.Boolean(), nullable=False),
        sa.Column("has_licence", sa.Boolean(), nullable=False),
        sa.Column("suitable_for", sa.JSON(), nullable=False),
        sa.Column("vog_status", sa.String(length=20), nullable=False),
        sa.Column("vog_expires_on", sa.Date(), nullable=True),
        sa.Column("vog_reminder_sent_at", sa.DateTime(), nullable=True),
        sa.Column("ask_opt_in", sa.Boolean(), nullable=False),
        sa.Column("is_volunteer", sa.Boolean(), nullable=False),
        sa.Column("digest_opt_in", sa.Boolean(), nullable=False),
        sa.Column("digest_token_hash", sa.String(length=64), nullable=True),
        sa.Column("digest_last_sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("last_active_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_person_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_person")),
        sa.UniqueConstraint(
            "digest_token_hash", name=op.f("uq_volunteer_person_digest_token_hash")
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_volunteer_person_user_id")),
    )
    with op.batch_alter_table("volunteer_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_person_kern"), ["kern"], unique=False)

    op.create_table(
        "volunteer_digest_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("listing_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["volunteer_person.id"],
            name=op.f("fk_volunteer_digest_log_person_id_volunteer_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_digest_log")),
    )
    with op.batch_alter_table("volunteer_digest_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_volunteer_digest_log_person_sent", ["person_id", "sent_on"], unique=False
        )

    op.create_table(
        "volunteer_listing",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("owner_person_id", sa.Integer(), nullable=True),
        sa.Column("posted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("on_behalf_of_person_id", sa.Integer(), nullable=True),
        sa.Column("consent_text", sa.Text(), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("taxonomy_term_ids", sa.JSON(), nullable=False),
        sa.Column("kern", sa.String(length=100), nullable=True),
        sa.Column("wijk", sa.String(length=100), nullable=True),
        sa.Column("municipality", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("schedule_kind", sa.String(length=20), nullable=False),
        sa.Column("date_on", sa.Date(), nullable=True),
        sa.Column("dagdelen", sa.JSON(), nullable=False),
        sa.Column("hours_per_week", sa.Float(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("requires_vog", sa.Boolean(), nullable=False),
        sa.Column("requires_licence", sa.Boolean(), nullable=False),
        sa.Column("requires_car", sa.Boolean(), nullable=False),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("suitable_for", sa.JSON(), nullable=False),
        sa.Column("volunteers_needed", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("list_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("privacy_warnings", sa.JSON(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
        sa.Column("anonymised_at", sa.DateTime(), nullable=True),
        sa.Column("wants_help_searching", sa.Boolean(), nullable=False),
        sa.Column("brokering_since", sa.DateTime(), nullable=True),
        sa.Column("brokering_status", sa.String(length=20), nullable=True),
        sa.Column("brokering_user_id", sa.Integer(), nullable=True),
        sa.Column("not_for_volunteers", sa.Boolean(), nullable=False),
        sa.Column("routing_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brokering_user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_listing_brokering_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["on_behalf_of_person_id"],
            ["volunteer_person.id"],
            name=op.f("fk_volunteer_listing_on_behalf_of_person_id_volunteer_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_volunteer_listing_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_person_id"],
            ["volunteer_person.id"],
            name=op.f("fk_volunteer_listing_owner_person_id_volunteer_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["posted_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_listing_posted_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_listing_reviewed_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_listing")),
    )
    with op.batch_alter_table("volunteer_listing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_listing_kern"), ["kern"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_volunteer_listing_list_until"), ["list_until"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_listing_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_listing_owner_person_id"), ["owner_person_id"], unique=False
        )
        batch_op.create_index("ix_volunteer_listing_type_status", ["type", "status"], unique=False)

    op.create_table(
        "volunteer_contact_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("coordinator_user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Boolean(), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("follow_up_done_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coordinator_user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_contact_log_coordinator_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["volunteer_listing.id"],
            name=op.f("fk_volunteer_contact_log_listing_id_volunteer_listing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_contact_log")),
    )
    with op.batch_alter_table("volunteer_contact_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_contact_log_listing_id"), ["listing_id"], unique=False
        )

    op.create_table(
        "volunteer_invitation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_invitation_invited_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["volunteer_listing.id"],
            name=op.f("fk_volunteer_invitation_listing_id_volunteer_listing"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["volunteer_person.id"],
            name=op.f("fk_volunteer_invitation_person_id_volunteer_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_invitation")),
        sa.UniqueConstraint(
            "listing_id", "person_id", name=op.f("uq_volunteer_invitation_listing_id")
        ),
    )
    with op.batch_alter_table("volunteer_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_invitation_listing_id"), ["listing_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_invitation_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "volunteer_response",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("entered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("interested_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("matched_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("not_completed_at", sa.DateTime(), nullable=True),
        sa.Column("declined_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("followup_sent_at", sa.DateTime(), nullable=True),
        sa.Column("followup_answered_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_response_entered_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["volunteer_listing.id"],
            name=op.f("fk_volunteer_response_listing_id_volunteer_listing"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_volunteer_response_organization_id_organization"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["volunteer_person.id"],
            name=op.f("fk_volunteer_response_person_id_volunteer_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_response_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_response")),
    )
    with op.batch_alter_table("volunteer_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_response_listing_id"), ["listing_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_response_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_volunteer_response_state"), ["state"], unique=False)

    op.create_table(
        "volunteer_match",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_person_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("made", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("entered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("listing_type", sa.String(length=20), nullable=True),
        sa.Column("kern", sa.String(length=100), nullable=True),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("followup_sent_at", sa.DateTime(), nullable=True),
        sa.Column("followup_answered_at", sa.DateTime(), nullable=True),
        sa.Column("durable_check_sent_at", sa.DateTime(), nullable=True),
        sa.Column("durable_answered_at", sa.DateTime(), nullable=True),
        sa.Column("durable", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_match_entered_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["volunteer_listing.id"],
            name=op.f("fk_volunteer_match_listing_id_volunteer_listing"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["volunteer_response.id"],
            name=op.f("fk_volunteer_match_response_id_volunteer_response"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_person_id"],
            ["volunteer_person.id"],
            name=op.f("fk_volunteer_match_volunteer_person_id_volunteer_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_match")),
        sa.UniqueConstraint("response_id", name=op.f("uq_volunteer_match_response_id")),
    )
    with op.batch_alter_table("volunteer_match", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_match_listing_id"), ["listing_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_match_started_at"), ["started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("volunteer_match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_match_started_at"))
        batch_op.drop_index(batch_op.f("ix_volunteer_match_listing_id"))

    op.drop_table("volunteer_match")
    with op.batch_alter_table("volunteer_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_response_state"))
        batch_op.drop_index(batch_op.f("ix_volunteer_response_person_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_response_listing_id"))

    op.drop_table("volunteer_response")
    with op.batch_alter_table("volunteer_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_invitation_person_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_invitation_listing_id"))

    op.drop_table("volunteer_invitation")
    with op.batch_alter_table("volunteer_contact_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_contact_log_listing_id"))

    op.drop_table("volunteer_contact_log")
    with op.batch_alter_table("volunteer_listing", schema=None) as batch_op:
        batch_op.drop_index("ix_volunteer_listing_type_status")
        batch_op.drop_index(batch_op.f("ix_volunteer_listing_owner_person_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_listing_organization_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_listing_list_until"))
        batch_op.drop_index(batch_op.f("ix_volunteer_listing_kern"))

    op.drop_table("volunteer_listing")
    with op.batch_alter_table("volunteer_digest_log", schema=None) as batch_op:
        batch_op.drop_index("ix_volunteer_digest_log_person_sent")

    op.drop_table("volunteer_digest_log")
    with op.batch_alter_table("volunteer_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_person_kern"))

    op.drop_table("volunteer_person")
    op.drop_table("volunteer_org_approval")
