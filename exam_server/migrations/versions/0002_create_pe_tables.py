"""Create the PE exam tables: stations, attempts, trials, evidence, retests.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pe_stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("station_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_pe_stations_exam_id_exams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pe_stations")),
        sa.UniqueConstraint(
            "exam_id", "code", name=op.f("uq_pe_stations_exam_id_code")
        ),
        sa.UniqueConstraint(
            "station_key_sha256", name=op.f("uq_pe_stations_station_key_sha256")
        ),
    )
    op.create_table(
        "pe_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("trials_allowed", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_station_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_trial_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_pe_attempts_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_in_station_id"],
            ["pe_stations.id"],
            name=op.f("fk_pe_attempts_checked_in_station_id_pe_stations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pe_attempts")),
        sa.UniqueConstraint(
            "candidate_id",
            "item",
            "round",
            name=op.f("uq_pe_attempts_candidate_id_item_round"),
        ),
    )
    op.create_table(
        "pe_retests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["pe_attempts.id"],
            name=op.f("fk_pe_retests_attempt_id_pe_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_pe_retests_candidate_id_candidates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pe_retests")),
    )
    op.create_table(
        "pe_trials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("trial_number", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("judge_version", sa.String(length=100), nullable=False),
        sa.Column("repetitions", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["pe_attempts.id"],
            name=op.f("fk_pe_trials_attempt_id_pe_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["pe_stations.id"],
            name=op.f("fk_pe_trials_station_id_pe_stations"),
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["pe_trials.id"],
            name=op.f("fk_pe_trials_supersedes_id_pe_trials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pe_trials")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_pe_trials_supersedes_id")),
    )
    op.create_index(
        op.f("ix_pe_trials_attempt_id"), "pe_trials", ["attempt_id"], unique=False
    )

    op.create_table(
        "pe_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["pe_trials.id"],
            name=op.f("fk_pe_evidence_trial_id_pe_trials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pe_evidence")),
        sa.UniqueConstraint(
            "trial_id", "sha256", name=op.f("uq_pe_evidence_trial_id_sha256")
        ),
    )


def downgrade() -> None:
    op.drop_table("pe_evidence")
    op.drop_index(op.f("ix_pe_trials_attempt_id"), table_name="pe_trials")

    op.drop_table("pe_trials")
    op.drop_table("pe_retests")
    op.drop_table("pe_attempts")
    op.drop_table("pe_stations")
