"""imaging: outcomes of compared pairs and self-calibrated alert thresholds per scanner pairing

Revision ID: 0009
Revises: 0015
Create Date: 2026-12-04 06:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mainport.database.core

revision: str = "0009"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str) -> sa.Column:
    return sa.Column(name, mainport.database.core.UTCDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("scan_comparison", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_threshold", sa.Float(), nullable=True))
    op.create_table(
        "scan_pair_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comparison_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _utc("recorded_at"),
        sa.ForeignKeyConstraint(
            ["comparison_id"],
            ["scan_comparison.id"],
            name=op.f("fk_scan_pair_outcome_comparison_id_scan_comparison"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspection.id"], name=op.f("fk_scan_pair_outcome_inspection_id_inspection")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_pair_outcome")),
        sa.UniqueConstraint("comparison_id", name=op.f("uq_scan_pair_outcome_comparison_id")),
    )
    op.create_table(
        "scan_pair_calibration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin_scanner", sa.String(length=64), nullable=False),
        sa.Column("arrival_scanner", sa.String(length=64), nullable=False),
        sa.Column("params_version", sa.String(length=16), nullable=False),
        sa.Column("target_fa", sa.Float(), nullable=False),
        sa.Column("prior_threshold", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("n_clean", sa.Integer(), nullable=False),
        sa.Column("clean_scores", sa.JSON(), nullable=False),
        _utc("updated_at"),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_pair_calibration")),
        sa.UniqueConstraint(
            "origin_scanner",
            "arrival_scanner",
            "params_version",
            name=op.f("uq_scan_pair_calibration_origin_scanner"),
        ),
    )


def downgrade() -> None:
    op.drop_table("scan_pair_calibration")
    op.drop_table("scan_pair_outcome")
    with op.batch_alter_table("scan_comparison", schema=None) as batch_op:
        batch_op.drop_column("alert_threshold")
