"""service relations in force from a date

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A changed weight used to replace the pair's only row, so a closed month closed again counted
# today's weight. Each pair now keeps one entry per date it changed; the relations stored so
# far are in force from the beginning. The table is small (a plant's departments times the
# units they serve): it is read, made anew and written back, the same way on both databases.


def _checks_and_keys() -> tuple[sa.Constraint, ...]:
    return (
        sa.CheckConstraint(
            "provider_unit_id <> customer_unit_id", name="service_relation_not_self"
        ),
        sa.CheckConstraint("weight > 0", name="service_relation_weight"),
        sa.ForeignKeyConstraint(["customer_unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["provider_unit_id"], ["unit.id"]),
    )


def _rows(columns: str) -> list[dict]:
    rows = op.get_bind().execute(sa.text(f"SELECT {columns} FROM service_relation"))
    return [dict(row._mapping) for row in rows]


def _remake(*columns: sa.Column, key: sa.PrimaryKeyConstraint, unique: tuple = ()) -> sa.Table:
    op.drop_index(op.f("ix_service_relation_customer_unit_id"), table_name="service_relation")
    op.drop_table("service_relation")
    table = op.create_table("service_relation", *columns, *_checks_and_keys(), key, *unique)
    op.create_index(
        op.f("ix_service_relation_customer_unit_id"),
        "service_relation",
        ["customer_unit_id"],
        unique=False,
    )
    return table


def upgrade() -> None:
    rows = _rows("provider_unit_id, customer_unit_id, weight")
    table = _remake(
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_unit_id", sa.Integer(), nullable=False),
        sa.Column("customer_unit_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        key=sa.PrimaryKeyConstraint("id"),
        unique=(sa.UniqueConstraint("provider_unit_id", "customer_unit_id", "effective_from"),),
    )
    op.bulk_insert(table, [row | {"effective_from": None} for row in rows])


def downgrade() -> None:
    rows = _rows("provider_unit_id, customer_unit_id, weight, effective_from")
    in_force: dict[tuple[int, int], dict] = {}  # each pair's newest entry
    for row in sorted(rows, key=lambda r: (r["effective_from"] is not None, r["effective_from"])):
        in_force[(row["provider_unit_id"], row["customer_unit_id"])] = row
    table = _remake(
        sa.Column("provider_unit_id", sa.Integer(), nullable=False),
        sa.Column("customer_unit_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        key=sa.PrimaryKeyConstraint("provider_unit_id", "customer_unit_id"),
    )
    kept = ("provider_unit_id", "customer_unit_id", "weight")
    op.bulk_insert(table, [{k: row[k] for k in kept} for row in in_force.values()])
