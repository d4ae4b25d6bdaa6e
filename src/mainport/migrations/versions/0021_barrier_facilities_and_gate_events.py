"""barriers: ISPS port-facility register, badge events and camera detections at the facilities' gates

Revision ID: 0021
Revises: 0010, 0013 (also the merge point of those two, both committed on 0020: one head again)
Create Date: 2026-12-04 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mainport.database.core

revision: str = "0021"
down_revision: str | tuple[str, ...] | None = ("0010", "0013")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "barrier_facility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hub", sa.String(length=32), nullable=False),
        sa.Column("unlocode", sa.String(length=5), nullable=False),
        sa.Column("operator_code", sa.String(length=16), nullable=True),
        sa.Column("security_level", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("compliance_until", sa.Date(), nullable=True),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_barrier_facility")),
        sa.UniqueConstraint("code", name=op.f("uq_barrier_facility_code")),
    )
    with op.batch_alter_table("barrier_facility", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_barrier_facility_hub"), ["hub"], unique=False)
    op.create_table(
        "barrier_badge_event",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("facility_code", sa.String(length=16), nullable=False),
        sa.Column("hub", sa.String(length=32), nullable=False),
        sa.Column("badge", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("gate", sa.String(length=64), nullable=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_barrier_badge_event")),
        sa.UniqueConstraint("key", name=op.f("uq_barrier_badge_event_key")),
    )
    with op.batch_alter_table("barrier_badge_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_barrier_badge_event_badge"), ["badge"], unique=False)
        batch_op.create_index("ix_barrier_badge_event_facility_at", ["facility_code", "at"], unique=False)
    op.create_table(
        "barrier_camera_detection",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("facility_code", sa.String(length=16), nullable=False),
        sa.Column("hub", sa.String(length=32), nullable=False),
        sa.Column("camera", sa.String(length=64), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("container_number", sa.String(length=11), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_barrier_camera_detection")),
        sa.UniqueConstraint("key", name=op.f("uq_barrier_camera_detection_key")),
    )
    with op.batch_alter_table("barrier_camera_detection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_barrier_camera_detection_container_number"), ["container_number"], unique=False
        )
        batch_op.create_index(
            "ix_barrier_camera_detection_facility_at", ["facility_code", "at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_barrier_camera_detection_plate"), ["plate"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("barrier_camera_detection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_barrier_camera_detection_plate"))
        batch_op.drop_index("ix_barrier_camera_detection_facility_at")
        batch_op.drop_index(batch_op.f("ix_barrier_camera_detection_container_number"))
    op.drop_table("barrier_camera_detection")
    with op.batch_alter_table("barrier_badge_event", schema=None) as batch_op:
        batch_op.drop_index("ix_barrier_badge_event_facility_at")
        batch_op.drop_index(batch_op.f("ix_barrier_badge_event_badge"))
    op.drop_table("barrier_badge_event")
    with op.batch_alter_table("barrier_facility", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_barrier_facility_hub"))
    op.drop_table("barrier_facility")
