"""vessels: calls at the hubs (ports called, waits at anchor, crew changes) and diver inspections

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mainport.database.core

revision: str = "0020"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vessel_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vessel_imo", sa.String(length=7), nullable=False),
        sa.Column("vessel_name", sa.String(length=100), nullable=True),
        sa.Column("voyage_number", sa.String(length=50), nullable=False),
        sa.Column("hub", sa.String(length=32), nullable=False),
        sa.Column("unlocode", sa.String(length=5), nullable=False),
        sa.Column("arrived_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("port_calls", sa.JSON(), nullable=False),
        sa.Column("crew_changes", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("received_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vessel_call")),
        sa.UniqueConstraint("vessel_imo", "voyage_number", "hub", name=op.f("uq_vessel_call_vessel_imo")),
    )
    with op.batch_alter_table("vessel_call", schema=None) as batch_op:
        batch_op.create_index("ix_vessel_call_hub_arrived", ["hub", "arrived_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_vessel_call_vessel_imo"), ["vessel_imo"], unique=False)
    op.create_table(
        "vessel_dive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("hub", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("propensity", sa.Float(), nullable=False),
        sa.Column("selected_by", sa.String(length=64), nullable=False),
        sa.Column("selected_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("kg_found", sa.Float(), nullable=False),
        sa.Column("dived_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["vessel_call.id"], name=op.f("fk_vessel_dive_call_id_vessel_call")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vessel_dive")),
        sa.UniqueConstraint("call_id", name=op.f("uq_vessel_dive_call_id")),
    )
    with op.batch_alter_table("vessel_dive", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vessel_dive_hub"), ["hub"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vessel_dive", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vessel_dive_hub"))
    op.drop_table("vessel_dive")
    with op.batch_alter_table("vessel_call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vessel_call_vessel_imo"))
        batch_op.drop_index("ix_vessel_call_hub_arrived")
    op.drop_table("vessel_call")
