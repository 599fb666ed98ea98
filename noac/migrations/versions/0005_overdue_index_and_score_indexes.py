"""an index for the problems open at a month's end; no separate index on score.plant_id

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quality_problem", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_problem_overdue", ["plant_id", "closed_on", "deadline"], unique=False
        )
    # the unique index on (plant_id, month, rater, ratee, criterion) serves plant lookups;
    # a second index on plant_id slowed every score insert by a fifth
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.drop_index("ix_score_plant_id")


def downgrade() -> None:
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.create_index("ix_score_plant_id", ["plant_id"], unique=False)
    with op.batch_alter_table("quality_problem", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_problem_overdue")
