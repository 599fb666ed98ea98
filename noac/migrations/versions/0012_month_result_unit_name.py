"""a closed month's results keep each unit's name

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A closed month's results showed each unit under its name of the day, so renaming a unit
# changed the ranking and the export of months closed before. A close now stores the names it
# read. The months closed so far get the names the units bear at this upgrade, the names
# their results were shown under until then.


def upgrade() -> None:
    op.add_column("month_result", sa.Column("unit_name", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE month_result SET unit_name ="
        " (SELECT unit.name FROM unit WHERE unit.id = month_result.unit_id)"
    )
    with op.batch_alter_table("month_result") as batch:
        batch.alter_column("unit_name", existing_type=sa.String(length=200), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("month_result") as batch:
        batch.drop_column("unit_name")
