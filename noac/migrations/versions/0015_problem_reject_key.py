"""a reject read from a production log is known by its values, not its row

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 09:30:00
"""

import re
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from noac.services.events import reject_key

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A problem imported from a production log was known by its ref, ORDER/rROW, the row of the
# log it came from: the same log exported again with its rows moved created every reject
# again under new refs, and the parts were counted twice. A reject is now known by its
# values (noac.services.events.reject_key): what was rejected where in which order, its
# part and the day found. The problems imported so far get their key from what they keep:
# the description their "reported" step holds ("2 rejected at Final Q.C. (Quality Check 1),
# order A, log row 4; ..."), their part and found day; rejects alike in all these are
# numbered in the order they were stored.

BATCH = 5000

problem = sa.table(
    "quality_problem",
    sa.column("id", sa.Integer()),
    sa.column("plant_id", sa.Integer()),
    sa.column("ref", sa.String()),
    sa.column("found_on", sa.Date()),
    sa.column("part_id", sa.Integer()),
    sa.column("routing_version_id", sa.Integer()),
    sa.column("reject_key", sa.String()),
)
event = sa.table(
    "problem_event",
    sa.column("id", sa.Integer()),
    sa.column("problem_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("note", sa.String()),
)
part = sa.table("part", sa.column("id", sa.Integer()), sa.column("code", sa.String()))
version = sa.table(
    "routing_version", sa.column("id", sa.Integer()), sa.column("source", sa.String())
)
ROW = re.compile(r".*/r(\d+)")


def _what(ref: str, note: str) -> str | None:
    """The head of an imported reject's description: what its row said before its number."""
    row = ROW.fullmatch(ref)
    if row is None:
        return None
    described = re.fullmatch(
        rf"(.*), log row {row[1]}(; \S+ to review)?(; rework row)?", note, re.DOTALL
    )
    return described[1] if described else None


def upgrade() -> None:
    op.add_column("quality_problem", sa.Column("reject_key", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_quality_problem_reject", "quality_problem", ["plant_id", "reject_key"], unique=True
    )
    connection = op.get_bind()
    read = (
        sa.select(
            problem.c.id,
            problem.c.plant_id,
            problem.c.ref,
            problem.c.found_on,
            part.c.code,
            event.c.note,
        )
        .join(part, part.c.id == problem.c.part_id)
        .join(version, version.c.id == problem.c.routing_version_id)
        .join(event, (event.c.problem_id == problem.c.id) & (event.c.action == "reported"))
        .where(version.c.source == "observed")
        .order_by(problem.c.id, event.c.id)
        .limit(BATCH)
    )
    write = (
        problem.update()
        .where(problem.c.id == sa.bindparam("problem"))
        .values(reject_key=sa.bindparam("key"))
    )
    alike: Counter = Counter()
    last_id = 0
    while rows := connection.execute(read.where(problem.c.id > last_id)).all():
        keys = []
        for row in rows:
            if row.id == last_id:
                continue  # a second "reported" step: the first tells what was imported
            last_id = row.id
            what = _what(row.ref, row.note)
            if what is None:
                continue
            alike[(row.plant_id, what, row.code, row.found_on)] += 1
            occurrence = alike[(row.plant_id, what, row.code, row.found_on)]
            keys.append(
                {"problem": row.id, "key": reject_key(what, row.code, row.found_on, occurrence)}
            )
        if keys:
            connection.execute(write, keys)


def downgrade() -> None:
    op.drop_index("ix_quality_problem_reject", table_name="quality_problem")
    # in place: SQLite cannot copy a table that other tables' foreign keys name
    op.drop_column("quality_problem", "reject_key")
