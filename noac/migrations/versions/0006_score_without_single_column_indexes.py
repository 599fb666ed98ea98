"""no single-column indexes on score: every read goes through the unique index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_score_month": "month",
    "ix_score_rater_unit_id": "rater_unit_id",
    "ix_score_ratee_unit_id": "ratee_unit_id",
}


def upgrade() -> None:
    # every query of scores names the plant and the months, which the unique index on
    # (plant_id, month, rater, ratee, criterion) serves; the three indexes on single columns
    # were read by nothing and took a third of every score insert
    with op.batch_alter_table("score", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)


def downgrade() -> None:
    with op.batch_alter_table("score", schema=None) as batch_op:
        for name, column in INDEXES.items():
            batch_op.create_index(name, [column], unique=False)
