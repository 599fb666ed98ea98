"""every audit record is chained to the one before it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from noac.services.audit import chain_of

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The audit trail was append-only by convention: anyone with access to the database could
# change or delete a record unnoticed. Each record now carries the SHA-256 of the record
# before it and its own content (noac.services.audit.chain_of, the function the trail is
# written and verified with), so `noac audit verify` finds a record changed or taken out.
# The records written so far are chained at this upgrade in id order, a batch at a time:
# the trail is vouched for from here on, as it stands now.

BATCH = 5000

audit_record = sa.table(
    "audit_record",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("before", sa.String()),
    sa.column("after", sa.String()),
    sa.column("reason", sa.String()),
    sa.column("chain", sa.String()),
)


def upgrade() -> None:
    op.add_column("audit_record", sa.Column("chain", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    content = audit_record.c.id, *(c for c in audit_record.c if c.name not in ("id", "chain"))
    read = sa.select(*content).order_by(audit_record.c.id).limit(BATCH)
    write = (
        audit_record.update()
        .where(audit_record.c.id == sa.bindparam("record"))
        .values(chain=sa.bindparam("new_chain"))
    )
    previous, last_id = "", 0
    while records := connection.execute(read.where(audit_record.c.id > last_id)).all():
        chains = []
        for record in records:
            previous = chain_of(previous, record)
            chains.append({"record": record.id, "new_chain": previous})
        connection.execute(write, chains)
        last_id = records[-1].id
    with op.batch_alter_table("audit_record") as batch:
        batch.alter_column("chain", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_record") as batch:
        batch.drop_column("chain")
