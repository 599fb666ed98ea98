"""a closed month's decompositions without a length limit

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# a decomposition lists every problem behind a unit's penalties: at 100,000 characters,
# PostgreSQL refused the close of a month where one unit had some 1,400 overdue problems
# (SQLite does not enforce the length)


def upgrade() -> None:
    with op.batch_alter_table("month_result", schema=None) as batch_op:
        batch_op.alter_column(
            "decomposition",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=100000),
            type_=sa.Text(),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("month_result", schema=None) as batch_op:
        batch_op.alter_column(
            "decomposition",
            existing_type=sa.Text(),
            type_=sqlmodel.sql.sqltypes.AutoString(length=100000),
            existing_nullable=False,
        )
