"""a closed month's decompositions compressed with lz4 on PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 23:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A group's close stores some 5 MB of decompositions; PostgreSQL compresses them as it stores
# them, with pglz by default, lz4 about twice as fast. Only where the server has lz4 (its
# setting default_toast_compression then offers it); SQLite does not compress.
HAS_LZ4 = (
    "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


def _set_compression(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(sa.text(HAS_LZ4)).first():
        op.execute(f"ALTER TABLE month_result ALTER COLUMN decomposition SET COMPRESSION {method}")


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("DEFAULT")
