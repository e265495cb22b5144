"""Keep a PE result's points on the attempt when the candidate confirms it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("frozen_value", sa.String(length=32)),
    ("frozen_table_points", sa.Integer()),
    ("frozen_bonus", sa.Integer()),
    ("frozen_band", sa.String(length=32)),
    ("frozen_exam_points", sa.Float()),
    ("frozen_max_exam_points", sa.Float()),
    ("frozen_provisional", sa.Boolean()),
    ("frozen_points_note", sa.Text()),
    ("standards_version", sa.String(length=100)),
)


def upgrade() -> None:
    # batch mode lets SQLite, which cannot alter tables in place, follow along
    with op.batch_alter_table("pe_attempts") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pe_attempts") as batch:
        for name, _kind in reversed(_COLUMNS):
            batch.drop_column(name)
