"""origin: the origin-scan queue and hold / inspect-at-origin requests

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 18:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mainport.database.core

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "origin_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("container_number", sa.String(length=11), nullable=False),
        sa.Column("origin_unlocode", sa.String(length=5), nullable=False),
        sa.Column("scanned_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("load_by", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("single_score", sa.Float(), nullable=True),
        sa.Column("single_reasons", sa.JSON(), nullable=False),
        sa.Column("target_score", sa.Float(), nullable=True),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("verdict_note", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], name=op.f("fk_origin_review_alert_id_alert")),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["declaration.id"], name=op.f("fk_origin_review_declaration_id_declaration")
        ),
        sa.ForeignKeyConstraint(["scan_id"], ["scan.id"], name=op.f("fk_origin_review_scan_id_scan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_origin_review")),
        sa.UniqueConstraint("scan_id", name=op.f("uq_origin_review_scan_id")),
    )
    with op.batch_alter_table("origin_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_origin_review_container_number"), ["container_number"], unique=False
        )
        batch_op.create_index("ix_origin_review_status_priority", ["status", "priority"], unique=False)

    op.create_table(
        "origin_hold_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("declaration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("container_number", sa.String(length=11), nullable=False),
        sa.Column("origin_unlocode", sa.String(length=5), nullable=False),
        sa.Column("control_unit", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("hub", sa.String(length=32), nullable=True),
        sa.Column("load_by", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_org", sa.String(length=32), nullable=False),
        sa.Column("requested_at", mainport.database.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answer_kg", sa.Float(), nullable=False),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("answered_at", mainport.database.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_origin_hold_request_alert_id_alert")
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
            name=op.f("fk_origin_hold_request_declaration_id_declaration"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspection.id"], name=op.f("fk_origin_hold_request_inspection_id_inspection")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["origin_review.id"], name=op.f("fk_origin_hold_request_review_id_origin_review")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_origin_hold_request")),
        sa.UniqueConstraint("reference", name=op.f("uq_origin_hold_request_reference")),
    )
    with op.batch_alter_table("origin_hold_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_origin_hold_request_container_number"), ["container_number"], unique=False
        )
        batch_op.create_index("ix_origin_hold_request_status_load_by", ["status", "load_by"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("origin_hold_request", schema=None) as batch_op:
        batch_op.drop_index("ix_origin_hold_request_status_load_by")
        batch_op.drop_index(batch_op.f("ix_origin_hold_request_container_number"))

    op.drop_table("origin_hold_request")
    with op.batch_alter_table("origin_review", schema=None) as batch_op:
        batch_op.drop_index("ix_origin_review_status_priority")
        batch_op.drop_index(batch_op.f("ix_origin_review_container_number"))

    op.drop_table("origin_review")
