"""plants units defect codes routings

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:09:43.162187
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "defect_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plant_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("origins", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["plant_id"],
            ["plant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "code"),
    )
    with op.batch_alter_table("defect_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_defect_code_plant_id"), ["plant_id"], unique=False)

    op.create_table(
        "part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plant_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["plant_id"],
            ["plant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "code"),
    )
    with op.batch_alter_table("part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_part_plant_id"), ["plant_id"], unique=False)

    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plant_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("categories", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('workshop', 'inspection', 'store', 'department')", name="unit_kind"
        ),
        sa.CheckConstraint("target IS NULL OR (target >= 0 AND target <= 100)", name="unit_target"),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plant_id"],
            ["plant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "code"),
    )
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_plant_id"), ["plant_id"], unique=False)

    op.create_table(
        "routing_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("source IN ('declared', 'observed')", name="routing_version_source"),
        sa.CheckConstraint("version >= 1", name="routing_version_number"),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["part.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("part_id", "source", "version"),
    )
    with op.batch_alter_table("routing_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_version_part_id"), ["part_id"], unique=False)

    op.create_table(
        "routing_operation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("routing_version_id", sa.Integer(), nullable=False),
        sa.Column("op", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("inspection", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["routing_version_id"],
            ["routing_version.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("routing_version_id", "op"),
    )
    with op.batch_alter_table("routing_operation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routing_operation_routing_version_id"),
            ["routing_version_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_routing_operation_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "operation_link",
        sa.Column("from_operation_id", sa.Integer(), nullable=False),
        sa.Column("to_operation_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("from_operation_id <> to_operation_id", name="operation_link_not_self"),
        sa.ForeignKeyConstraint(
            ["from_operation_id"],
            ["routing_operation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["to_operation_id"],
            ["routing_operation.id"],
        ),
        sa.PrimaryKeyConstraint("from_operation_id", "to_operation_id"),
    )
    with op.batch_alter_table("operation_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operation_link_to_operation_id"), ["to_operation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("operation_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_link_to_operation_id"))

    op.drop_table("operation_link")
    with op.batch_alter_table("routing_operation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_operation_unit_id"))
        batch_op.drop_index(batch_op.f("ix_routing_operation_routing_version_id"))

    op.drop_table("routing_operation")
    with op.batch_alter_table("routing_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_version_part_id"))

    op.drop_table("routing_version")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_plant_id"))

    op.drop_table("unit")
    with op.batch_alter_table("part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_part_plant_id"))

    op.drop_table("part")
    with op.batch_alter_table("defect_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_defect_code_plant_id"))

    op.drop_table("defect_code")
    op.drop_table("plant")
