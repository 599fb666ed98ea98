"""disabling an account ends its sessions for good

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A session signed in before its account was disabled ended only if it was used while the
# account stayed disabled: enabled again within the idle limit, the account found its old
# sessions working again (and so did one moved to another unit and back). Each account now
# has a session generation, raised when it is disabled or given another role or unit; a
# session holds the one it signed in with and ends once it is not the account's any more.
# The accounts so far start at 0, the sessions open now with them.


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
