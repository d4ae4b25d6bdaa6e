"""custody: discharge-to-guarded-area instructions to terminals (outbox, acknowledgement)

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mainport.database.core

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custody_terminal_instruction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("container_number", sa.String(length=11), nullable=False),
        sa.Column("facility_code", sa.String(length=16), nullable=False),
        sa.Column("guarded_area", sa.String(length=64), nullable=False),
        sa.Column("vessel_imo", sa.String(length=7), nullable=True),
        sa.Column("voyage_number", sa.String(length=50), nullable=True),
        sa.Column("expected_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gateway", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("answer_note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["custody_plan.id"],
            name=op.f("fk_custody_terminal_instruction_plan_id_custody_plan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_terminal_instruction")),
        sa.UniqueConstraint("plan_id", "kind", name=op.f("uq_custody_terminal_instruction_plan_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_custody_terminal_instruction_reference")),
    )
    with op.batch_alter_table("custody_terminal_instruction", schema=None) as batch_op:
        batch_op.create_index("ix_custody_terminal_instruction_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("custody_terminal_instruction", schema=None) as batch_op:
        batch_op.drop_index("ix_custody_terminal_instruction_status")

    op.drop_table("custody_terminal_instruction")
