"""scoring and month close

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:28:09.313834
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheme_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plant_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(length=100000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["plant_id"],
            ["plant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "content_hash"),
    )
    with op.batch_alter_table("scheme_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheme_version_plant_id"), ["plant_id"], unique=False)

    op.create_table(
        "handover",
        sa.Column("plant_id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("from_unit_id", sa.Integer(), nullable=False),
        sa.Column("to_unit_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.CheckConstraint("month LIKE '____-__'", name="handover_month"),
        sa.CheckConstraint("from_unit_id <> to_unit_id", name="handover_not_self"),
        sa.CheckConstraint("quantity > 0", name="handover_quantity"),
        sa.ForeignKeyConstraint(
            ["from_unit_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plant_id"],
            ["plant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["to_unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("plant_id", "month", "from_unit_id", "to_unit_id"),
    )
    op.create_table(
        "month_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plant_id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.Float(), nullable=True),
        sa.Column("raters", sa.Integer(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("satisfaction_term", sa.Float(), nullable=False),
        sa.Column("defect_points", sa.Float(), nullable=False),
        sa.Column("overdue_points", sa.Float(), nullable=False),
        sa.Column("escape_points", sa.Float(), nullable=False),
        sa.Column("penalty_points", sa.Float(), nullable=False),
        sa.Column("coefficient", sa.Float(), nullable=False),
        sa.Column("flags", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("decomposition", sqlmodel.sql.sqltypes.AutoString(length=100000), nullable=False),
        sa.Column("scheme_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("computed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plant_id"],
            ["plant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "month", "run", "unit_id"),
    )
    with op.batch_alter_table("month_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_month_result_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_month_result_plant_id"), ["plant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_month_result_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "period_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["period.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("period_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_period_event_period_id"), ["period_id"], unique=False)

    op.create_table(
        "score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plant_id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("rater_unit_id", sa.Integer(), nullable=False),
        sa.Column("ratee_unit_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("month LIKE '____-__'", name="score_month"),
        sa.CheckConstraint("rater_unit_id <> ratee_unit_id", name="score_not_self"),
        sa.ForeignKeyConstraint(
            ["plant_id"],
            ["plant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ratee_unit_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rater_unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "month", "rater_unit_id", "ratee_unit_id", "criterion"),
    )
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_plant_id"), ["plant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_ratee_unit_id"), ["ratee_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_rater_unit_id"), ["rater_unit_id"], unique=False)

    op.create_table(
        "service_relation",
        sa.Column("provider_unit_id", sa.Integer(), nullable=False),
        sa.Column("customer_unit_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "provider_unit_id <> customer_unit_id", name="service_relation_not_self"
        ),
        sa.CheckConstraint("weight > 0", name="service_relation_weight"),
        sa.ForeignKeyConstraint(
            ["customer_unit_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["provider_unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("provider_unit_id", "customer_unit_id"),
    )
    with op.batch_alter_table("service_relation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_relation_customer_unit_id"), ["customer_unit_id"], unique=False
        )

    op.create_table(
        "score_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("replaced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["score_id"],
            ["score.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_history_score_id"), ["score_id"], unique=False)

    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runs", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.drop_column("runs")

    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_history_score_id"))

    op.drop_table("score_history")
    with op.batch_alter_table("service_relation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_relation_customer_unit_id"))

    op.drop_table("service_relation")
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_rater_unit_id"))
        batch_op.drop_index(batch_op.f("ix_score_ratee_unit_id"))
        batch_op.drop_index(batch_op.f("ix_score_plant_id"))
        batch_op.drop_index(batch_op.f("ix_score_month"))

    op.drop_table("score")
    with op.batch_alter_table("period_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_period_event_period_id"))

    op.drop_table("period_event")
    with op.batch_alter_table("month_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_month_result_unit_id"))
        batch_op.drop_index(batch_op.f("ix_month_result_plant_id"))
        batch_op.drop_index(batch_op.f("ix_month_result_month"))

    op.drop_table("month_result")
    op.drop_table("handover")
    with op.batch_alter_table("scheme_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheme_version_plant_id"))

    op.drop_table("scheme_version")
