"""tnt: DCSA T&T push subscriptions; federation: keys, partners, agreements, signed messages

Revision ID: 0016
Revises: 0009
Create Date: 2026-12-04 19:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mainport.database.core

revision: str = "0016"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tnt_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("publisher", sa.String(length=64), nullable=False),
        sa.Column("publisher_url", sa.String(length=500), nullable=True),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered", sa.String(length=16), nullable=False),
        sa.Column("register_error", sa.String(length=300), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_received_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_tnt_subscription_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tnt_subscription")),
        sa.UniqueConstraint("subscription_id", name=op.f("uq_tnt_subscription_subscription_id")),
    )

    op.create_table(
        "federation_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_key_enc", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_key")),
        sa.UniqueConstraint("kid", name=op.f("uq_federation_key_kid")),
    )
    op.create_table(
        "federation_partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("ports", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_partner")),
        sa.UniqueConstraint("code", name=op.f("uq_federation_partner_code")),
    )
    op.create_table(
        "federation_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("valid_from", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_to", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["federation_partner.id"],
            name=op.f("fk_federation_agreement_partner_id_federation_partner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_agreement")),
    )
    with op.batch_alter_table("federation_agreement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_federation_agreement_partner_category", ["partner_id", "category"], unique=False
        )

    op.create_table(
        "federation_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=True),
        sa.Column("issued_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["federation_partner.id"],
            name=op.f("fk_federation_message_partner_id_federation_partner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_message")),
        sa.UniqueConstraint(
            "direction", "partner_id", "message_id", name=op.f("uq_federation_message_direction")
        ),
    )
    with op.batch_alter_table("federation_message", schema=None) as batch_op:
        batch_op.create_index("ix_federation_message_direction_status", ["direction", "status"], unique=False)

    op.create_table(
        "federation_partner_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("added_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["federation_partner.id"],
            name=op.f("fk_federation_partner_key_partner_id_federation_partner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_partner_key")),
        sa.UniqueConstraint("partner_id", "kid", name=op.f("uq_federation_partner_key_partner_id")),
    )


def downgrade() -> None:
    op.drop_table("tnt_subscription")
    op.drop_table("federation_partner_key")
    with op.batch_alter_table("federation_message", schema=None) as batch_op:
        batch_op.drop_index("ix_federation_message_direction_status")

    op.drop_table("federation_message")
    with op.batch_alter_table("federation_agreement", schema=None) as batch_op:
        batch_op.drop_index("ix_federation_agreement_partner_category")

    op.drop_table("federation_agreement")
    op.drop_table("federation_partner")
    op.drop_table("federation_key")
