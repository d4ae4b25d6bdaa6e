"""tnt: DCSA Track & Trace push subscriptions (signed callbacks)

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


def downgrade() -> None:
    op.drop_table("tnt_subscription")
