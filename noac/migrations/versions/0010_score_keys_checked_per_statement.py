"""score's plant and units checked once per statement on PostgreSQL

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A foreign key on PostgreSQL checks and locks the row it refers to once per inserted row:
# three keys on score held an import of a group's 1.4 million scores to 22,000-63,000 rows/s,
# under half what the table takes without them (docs/PERFORMANCE.md). The same guarantees,
# one statement at a time: the plants and units that a statement's scores name are locked as
# a foreign key locks them (FOR KEY SHARE, so none can be deleted before the scores are
# committed) and checked to exist, each once; a plant or unit that scores name cannot be
# deleted, nor its id changed. SQLite keeps its foreign keys, which cost it little.
KEYS = {  # the referenced table: score's columns that name its rows
    "plant": ("plant_id",),
    "unit": ("rater_unit_id", "ratee_unit_id"),
}
STATEMENTS = ("INSERT", "UPDATE")  # on score: the rows they write name existing keys
TAKING = ("DELETE", "UPDATE")  # on plant and unit: the rows they take are named by no score


def _named(columns: tuple[str, ...]) -> str:
    """The ids that the statement's scores name in ``columns``."""
    return f"({' UNION '.join(f'SELECT {column} FROM written' for column in columns)})"


def _keys_exist() -> str:
    checks = "\n".join(
        f"""
  PERFORM 1 FROM {table} WHERE id IN {_named(columns)} FOR KEY SHARE;
  SELECT named.id INTO missing FROM {_named(columns)} AS named (id)
   WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {table}.id = named.id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "score" names {table} % which does not exist',
      missing USING ERRCODE = 'foreign_key_violation';
  END IF;"""
        for table, columns in KEYS.items()
    )
    return f"""
CREATE FUNCTION score_keys_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing integer;
BEGIN{checks}
  RETURN NULL;
END $$"""


def _kept(table: str, columns: tuple[str, ...]) -> str:
    naming = " OR ".join(f"score.{column} = gone.id" for column in columns)
    return f"""
CREATE FUNCTION score_{table}_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  named integer;
BEGIN
  SELECT gone.id INTO named FROM taken AS gone
   WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {table}.id = gone.id)
     AND EXISTS (SELECT 1 FROM score WHERE {naming}) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'update or delete on table "{table}" takes away {table} % which scores name',
      named USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for columns in KEYS.values():
        for column in columns:
            op.drop_constraint(f"score_{column}_fkey", "score", type_="foreignkey")
    op.execute(_keys_exist())
    for statement in STATEMENTS:
        op.execute(
            f"CREATE TRIGGER score_keys_on_{statement.lower()} AFTER {statement} ON score"
            " REFERENCING NEW TABLE AS written"
            " FOR EACH STATEMENT EXECUTE FUNCTION score_keys_exist()"
        )
    for table, columns in KEYS.items():
        op.execute(_kept(table, columns))
        for statement in TAKING:
            op.execute(
                f"CREATE TRIGGER score_{table}_kept_on_{statement.lower()}"
                f" AFTER {statement} ON {table} REFERENCING OLD TABLE AS taken"
                f" FOR EACH STATEMENT EXECUTE FUNCTION score_{table}_kept()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in KEYS:
        for statement in TAKING:
            op.execute(f"DROP TRIGGER score_{table}_kept_on_{statement.lower()} ON {table}")
        op.execute(f"DROP FUNCTION score_{table}_kept()")
    for statement in STATEMENTS:
        op.execute(f"DROP TRIGGER score_keys_on_{statement.lower()} ON score")
    op.execute("DROP FUNCTION score_keys_exist()")
    for table, columns in KEYS.items():
        for column in columns:
            op.create_foreign_key(f"score_{column}_fkey", "score", table, [column], ["id"])
