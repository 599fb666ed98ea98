"""Database tables.

Every rule that the database can hold (unique keys, foreign keys, checks) is
declared here, not only enforced in Python. The schema itself is created and
changed by the Alembic migrations in ``noac/migrations``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

UNIT_KINDS = ("workshop", "inspection", "store", "department")
ROUTING_SOURCES = ("declared", "observed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Plant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)


class Unit(SQLModel, table=True):
    """A workshop, inspection station, store or functional department."""

    __table_args__ = (
        UniqueConstraint("plant_id", "code"),
        CheckConstraint(_in("kind", UNIT_KINDS), name="unit_kind"),
        CheckConstraint("target IS NULL OR (target >= 0 AND target <= 100)", name="unit_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plant_id: int = Field(foreign_key="plant.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    categories: str = Field(default="", max_length=1000)
    target: float | None = None
    parent_id: int | None = Field(default=None, foreign_key="unit.id")

    @property
    def category_list(self) -> list[str]:
        return [c for c in self.categories.split(";") if c]


class DefectCode(SQLModel, table=True):
    """A catalogue entry: which process categories (or ``handling``) can cause a defect."""

    __tablename__ = "defect_code"
    __table_args__ = (UniqueConstraint("plant_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plant_id: int = Field(foreign_key="plant.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    origins: str = Field(default="", max_length=1000)

    @property
    def origin_list(self) -> list[str]:
        return [c for c in self.origins.split(";") if c]


class Part(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plant_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plant_id: int = Field(foreign_key="plant.id", index=True)
    code: str = Field(max_length=80)


class RoutingVersion(SQLModel, table=True):
    """One version of a part's routing, in force from ``effective_from``.

    The first declared version has no date: it is in force from the beginning.
    """

    __tablename__ = "routing_version"
    __table_args__ = (
        UniqueConstraint("part_id", "source", "version"),
        CheckConstraint(_in("source", ROUTING_SOURCES), name="routing_version_source"),
        CheckConstraint("version >= 1", name="routing_version_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    part_id: int = Field(foreign_key="part.id", index=True)
    version: int
    source: str = Field(default="declared", max_length=20)
    effective_from: date | None = None
    content_hash: str = Field(max_length=64)
    created_at: datetime


class RoutingOperation(SQLModel, table=True):
    """An operation of a routing version, performed at a unit."""

    __tablename__ = "routing_operation"
    __table_args__ = (UniqueConstraint("routing_version_id", "op"),)

    id: int | None = Field(default=None, primary_key=True)
    routing_version_id: int = Field(foreign_key="routing_version.id", index=True)
    op: str = Field(max_length=40)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    category: str = Field(max_length=80)
    inspection: bool = False
    position: int


class OperationLink(SQLModel, table=True):
    """``from_operation`` feeds ``to_operation`` within one routing version."""

    __tablename__ = "operation_link"
    __table_args__ = (
        CheckConstraint("from_operation_id <> to_operation_id", name="operation_link_not_self"),
    )

    from_operation_id: int = Field(foreign_key="routing_operation.id", primary_key=True)
    to_operation_id: int = Field(foreign_key="routing_operation.id", primary_key=True, index=True)
