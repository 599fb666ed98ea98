"""problems found in some days or counted in a month looked up within their plant; the
overdue index holds what the overdue penalties list, an index holds the shares

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# every query of problems by the day found or the month counted names the plant: with an
# index on the day or the month alone SQLite read all of a plant's problems through its
# plant index (19,700 for one month's 400 penalised problems), and a group's month through
# every plant's
INDEXES = {
    "ix_quality_problem_found_on": ("ix_quality_problem_found", "found_on"),
    "ix_quality_problem_counted_month": ("ix_quality_problem_counted", "counted_month"),
}


OVERDUE = ["plant_id", "closed_on", "deadline"]


def upgrade() -> None:
    with op.batch_alter_table("quality_problem", schema=None) as batch_op:
        for old, (new, column) in INDEXES.items():
            batch_op.drop_index(old)
            batch_op.create_index(new, ["plant_id", column], unique=False)
        # the month close lists every overdue problem's id and ref: read from the index, not
        # from the problems scattered over the table (PostgreSQL: 250 -> 120 ms for a
        # group's 46,000)
        batch_op.drop_index("ix_quality_problem_overdue")
        batch_op.create_index("ix_quality_problem_overdue", [*OVERDUE, "id", "ref"], unique=False)
    # a plant's shares: with the share in an index, PostgreSQL reads the few hundred a month
    # of one plant needs through it (1 ms) instead of hashing all 741,000 of a group (40 ms)
    with op.batch_alter_table("problem_responsibility", schema=None) as batch_op:
        batch_op.create_index(
            "ix_problem_responsibility_share", ["problem_id", "unit_id", "share"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("problem_responsibility", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_responsibility_share")
    with op.batch_alter_table("quality_problem", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_problem_overdue")
        batch_op.create_index("ix_quality_problem_overdue", OVERDUE, unique=False)
        for old, (new, column) in INDEXES.items():
            batch_op.drop_index(new)
            batch_op.create_index(old, [column], unique=False)
