"""hub codes fit every hub (VARCHAR 32)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 03:15:22.438321
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=True
        )

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=True
        )

    with op.batch_alter_table("container_event", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=True
        )

    with op.batch_alter_table("custody_plan", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=True
        )

    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=True
        )

    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=True
        )

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.alter_column(
            "node_code",
            existing_type=sa.VARCHAR(length=16),
            type_=sa.String(length=32),
            existing_nullable=True,
        )

    with op.batch_alter_table("seizure", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=False
        )

    with op.batch_alter_table("staff_lookup", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=False
        )

    with op.batch_alter_table("targeting_risk_score", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=True
        )

    with op.batch_alter_table("targeting_selection", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.VARCHAR(length=16), type_=sa.String(length=32), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("targeting_selection", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=False
        )

    with op.batch_alter_table("targeting_risk_score", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=True
        )

    with op.batch_alter_table("staff_lookup", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=False
        )

    with op.batch_alter_table("seizure", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=False
        )

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.alter_column(
            "node_code",
            existing_type=sa.String(length=32),
            type_=sa.VARCHAR(length=16),
            existing_nullable=True,
        )

    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=True
        )

    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=True
        )

    with op.batch_alter_table("custody_plan", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=True
        )

    with op.batch_alter_table("container_event", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=True
        )

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=True
        )

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.alter_column(
            "hub", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=16), existing_nullable=True
        )
