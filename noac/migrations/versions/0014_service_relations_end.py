"""a service relation can end

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A service relation could change its weight but never end: weight 0 was refused, so a
# relation listed by mistake kept letting the customer score the department. An entry of
# weight 0 now ends the relation from its date, kept beside the earlier ones so that a month
# closed before counts what it counted.


def _weight_check(condition: str) -> None:
    with op.batch_alter_table("service_relation") as batch:
        batch.drop_constraint("service_relation_weight", type_="check")
        batch.create_check_constraint("service_relation_weight", condition)


def upgrade() -> None:
    _weight_check("weight >= 0")


def downgrade() -> None:
    # The schema before cannot hold an end: the ended relations are served again from then on.
    op.execute("DELETE FROM service_relation WHERE weight = 0")
    _weight_check("weight > 0")
