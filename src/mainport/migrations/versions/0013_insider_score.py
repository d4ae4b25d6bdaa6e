"""insider: the ranked list of the insider-risk ranking (insider_score)

Revision ID: 0013
Revises: 0020
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mainport.database.core

revision: str = "0013"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insider_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("org_code", sa.String(length=32), nullable=False),
        sa.Column("hub", sa.String(length=32), nullable=False),
        sa.Column("lookups", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("window_from", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_to", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("computed_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insider_score")),
        sa.UniqueConstraint("username", name=op.f("uq_insider_score_username")),
    )
    with op.batch_alter_table("insider_score", schema=None) as batch_op:
        batch_op.create_index("ix_insider_score_flagged", ["flagged", "username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("insider_score", schema=None) as batch_op:
        batch_op.drop_index("ix_insider_score_flagged")
    op.drop_table("insider_score")
