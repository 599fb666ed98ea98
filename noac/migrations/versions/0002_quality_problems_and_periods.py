"""quality problems and periods

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:18:33.078348
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plant_id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.CheckConstraint("month LIKE '____-__'", name="period_month"),
        sa.ForeignKeyConstraint(
            ["plant_id"],
            ["plant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "month"),
    )
    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_period_plant_id"), ["plant_id"], unique=False)

    op.create_table(
        "quality_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plant_id", sa.Integer(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("found_at_unit_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("routing_version_id", sa.Integer(), nullable=False),
        sa.Column("op", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("lot", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("defect_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("disposition", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("proposed_unit_id", sa.Integer(), nullable=True),
        sa.Column(
            "responsibility_source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
        ),
        sa.Column("responsibility_set_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("counted_month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("milestones", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reported_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("reported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "counted_month IS NULL OR counted_month LIKE '____-__'", name="problem_month"
        ),
        sa.CheckConstraint(
            "disposition IS NULL OR disposition IN ('rework', 'scrap', 'concession', 'use-as-is')",
            name="problem_disposition",
        ),
        sa.CheckConstraint(
            "responsibility_source IS NULL OR responsibility_source IN ('accepted', 'ruled', 'imported')",
            name="problem_responsibility_source",
        ),
        sa.CheckConstraint("severity IN ('minor', 'major', 'critical')", name="problem_severity"),
        sa.CheckConstraint(
            "status IN ('proposed', 'accepted', 'disputed', 'ruled', 'action', 'verification', 'closed')",
            name="problem_status",
        ),
        sa.CheckConstraint("cost IS NULL OR cost >= 0", name="problem_cost"),
        sa.CheckConstraint("quantity > 0", name="problem_quantity"),
        sa.ForeignKeyConstraint(
            ["found_at_unit_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["part.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plant_id"],
            ["plant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["proposed_unit_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["routing_version_id"],
            ["routing_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "ref"),
    )
    with op.batch_alter_table("quality_problem", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_problem_counted_month"), ["counted_month"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quality_problem_found_at_unit_id"), ["found_at_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quality_problem_found_on"), ["found_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_problem_part_id"), ["part_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_problem_plant_id"), ["plant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_problem_status"), ["status"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["quality_problem.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_problem_id"), ["problem_id"], unique=False)

    op.create_table(
        "corrective_action",
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("root_cause", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("actions", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("planned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("verified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("verified_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column(
            "verification_note", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["quality_problem.id"],
        ),
        sa.PrimaryKeyConstraint("problem_id"),
    )
    with op.batch_alter_table("corrective_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_corrective_action_owner_unit_id"), ["owner_unit_id"], unique=False
        )

    op.create_table(
        "problem_escape",
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("op", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["quality_problem.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("problem_id", "unit_id", "op"),
    )
    with op.batch_alter_table("problem_escape", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_escape_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "problem_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("details", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["quality_problem.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("problem_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_problem_event_problem_id"), ["problem_id"], unique=False
        )

    op.create_table(
        "problem_responsibility",
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.CheckConstraint("share > 0 AND share <= 1", name="responsibility_share"),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["quality_problem.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("problem_id", "unit_id"),
    )
    with op.batch_alter_table("problem_responsibility", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_problem_responsibility_unit_id"), ["unit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("problem_responsibility", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_responsibility_unit_id"))

    op.drop_table("problem_responsibility")
    with op.batch_alter_table("problem_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_event_problem_id"))

    op.drop_table("problem_event")
    with op.batch_alter_table("problem_escape", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_escape_unit_id"))

    op.drop_table("problem_escape")
    with op.batch_alter_table("corrective_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrective_action_owner_unit_id"))

    op.drop_table("corrective_action")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_problem_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("quality_problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_problem_status"))
        batch_op.drop_index(batch_op.f("ix_quality_problem_plant_id"))
        batch_op.drop_index(batch_op.f("ix_quality_problem_part_id"))
        batch_op.drop_index(batch_op.f("ix_quality_problem_found_on"))
        batch_op.drop_index(batch_op.f("ix_quality_problem_found_at_unit_id"))
        batch_op.drop_index(batch_op.f("ix_quality_problem_counted_month"))

    op.drop_table("quality_problem")
    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_period_plant_id"))

    op.drop_table("period")
