"""targeting intelligence: watch-list entries and tips

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 04:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mainport.database.core

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, mainport.database.core.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "targeting_watch_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("hub", sa.String(length=32), nullable=True),
        _utc("valid_from"),
        _utc("valid_to", nullable=True),
        sa.Column("org_code", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _utc("created_at"),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        _utc("revoked_at", nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targeting_watch_entry")),
    )
    with op.batch_alter_table("targeting_watch_entry", schema=None) as batch_op:
        batch_op.create_index("ix_targeting_watch_entry_kind_value", ["kind", "value"], unique=False)
    op.create_table(
        "targeting_tip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("hub", sa.String(length=32), nullable=True),
        sa.Column("container_number", sa.String(length=11), nullable=True),
        sa.Column("vessel_imo", sa.String(length=7), nullable=True),
        sa.Column("party_eori", sa.String(length=17), nullable=True),
        sa.Column("place_of_loading", sa.String(length=5), nullable=True),
        sa.Column("hs_prefix", sa.String(length=10), nullable=True),
        _utc("window_from"),
        _utc("window_to"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("org_code", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _utc("created_at"),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        _utc("closed_at", nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targeting_tip")),
    )


def downgrade() -> None:
    op.drop_table("targeting_tip")
    with op.batch_alter_table("targeting_watch_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_targeting_watch_entry_kind_value")
    op.drop_table("targeting_watch_entry")
