"""Database tables.

Every rule that the database can hold (unique keys, foreign keys, checks) is
declared here, not only enforced in Python. The schema itself is created and
changed by the Alembic migrations in ``noac/migrations``.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

UNIT_KINDS = ("workshop", "inspection", "store", "department")
ROUTING_SOURCES = ("declared", "observed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def stored_utc(moment: datetime | None) -> datetime | None:
    """A moment read back from a table, in UTC, as every one is stored: SQLite gives it
    back without its zone."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def local_time(moment: datetime) -> datetime:
    """A stored moment as people at the plant read it: on the server's clock, in the time
    zone whose calendar ``date.today()`` reads (``TZ``, else the system's), with its offset:
    23:30 UTC on 1 March is 07:30 on 2 March in Shanghai."""
    return stored_utc(moment).astimezone()


def local_zone() -> str:
    """The name of the server's time zone, as a table of moments on its clock names it:
    ``CST``; ``CET/CEST`` for a zone that changes in summer."""
    return "/".join(dict.fromkeys(time.tzname))


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

    A first declared version imported while no month was closed has no date: it is in force
    from the beginning.
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


SEVERITIES = ("minor", "major", "critical")
DISPOSITIONS = ("rework", "scrap", "concession", "use-as-is")
PROBLEM_STATUSES = (
    "proposed",
    "accepted",
    "disputed",
    "ruled",
    "action",
    "verification",
    "closed",
)
RESPONSIBILITY_SOURCES = ("accepted", "ruled", "imported")


class Period(SQLModel, table=True):
    """A plant's month (``YYYY-MM``); a closed month can no longer change."""

    __table_args__ = (
        UniqueConstraint("plant_id", "month"),
        CheckConstraint("month LIKE '____-__'", name="period_month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plant_id: int = Field(foreign_key="plant.id", index=True)
    month: str = Field(max_length=7)
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, max_length=80)
    runs: int = 0


class QualityProblem(SQLModel, table=True):
    """The quality problem handling form (质量问题处理单) and where its workflow stands."""

    __tablename__ = "quality_problem"
    __table_args__ = (
        UniqueConstraint("plant_id", "ref"),
        # the problems still open at a month's end: closed_on null or after it; with the id and
        # the ref the overdue penalties list, read from the index alone
        Index("ix_quality_problem_overdue", "plant_id", "closed_on", "deadline", "id", "ref"),
        # a plant's problems found in some days, or counted in a month (penalties, blame)
        Index("ix_quality_problem_found", "plant_id", "found_on"),
        Index("ix_quality_problem_counted", "plant_id", "counted_month"),
        # the problems proposed to a unit ("My problems"; a unit names its plant)
        Index("ix_quality_problem_proposed", "proposed_unit_id"),
        # a reject read from a production log, whatever its row: a log exported again stores
        # none of its rejects twice (noac.services.events.reject_key)
        Index("ix_quality_problem_reject", "plant_id", "reject_key", unique=True),
        CheckConstraint(_in("severity", SEVERITIES), name="problem_severity"),
        CheckConstraint(
            f"disposition IS NULL OR {_in('disposition', DISPOSITIONS)}", name="problem_disposition"
        ),
        CheckConstraint(_in("status", PROBLEM_STATUSES), name="problem_status"),
        CheckConstraint(
            f"responsibility_source IS NULL OR "
            f"{_in('responsibility_source', RESPONSIBILITY_SOURCES)}",
            name="problem_responsibility_source",
        ),
        CheckConstraint("quantity > 0", name="problem_quantity"),
        CheckConstraint("cost IS NULL OR cost >= 0", name="problem_cost"),
        CheckConstraint(
            "counted_month IS NULL OR counted_month LIKE '____-__'", name="problem_month"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    plant_id: int = Field(foreign_key="plant.id", index=True)
    ref: str = Field(max_length=40)
    found_on: date
    found_at_unit_id: int = Field(foreign_key="unit.id", index=True)
    part_id: int = Field(foreign_key="part.id", index=True)
    routing_version_id: int = Field(foreign_key="routing_version.id")
    op: str | None = Field(default=None, max_length=40)
    lot: str | None = Field(default=None, max_length=80)
    defect_code: str | None = Field(default=None, max_length=40)
    severity: str = Field(max_length=10)
    quantity: int
    description: str = Field(default="", max_length=4000)
    disposition: str | None = Field(default=None, max_length=20)
    cost: float | None = None
    status: str = Field(default="proposed", max_length=20, index=True)
    proposed_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    responsibility_source: str | None = Field(default=None, max_length=20)
    responsibility_set_at: datetime | None = None
    counted_month: str | None = Field(default=None, max_length=7)
    deadline: date | None = None
    milestones: str = Field(default="[]", max_length=20000)
    closed_on: date | None = None
    version: int = 1
    reported_by: str = Field(max_length=80)
    reported_at: datetime
    reject_key: str | None = Field(default=None, max_length=64)


class ProblemResponsibility(SQLModel, table=True):
    """A responsible unit of a problem and its share (shares of a problem sum to 1)."""

    __tablename__ = "problem_responsibility"
    __table_args__ = (
        CheckConstraint("share > 0 AND share <= 1", name="responsibility_share"),
        # the shares of some problems read from the index alone: PostgreSQL then looks a
        # plant's few hundred up one by one instead of reading every plant's shares
        Index("ix_problem_responsibility_share", "problem_id", "unit_id", "share"),
    )

    problem_id: int = Field(foreign_key="quality_problem.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)
    share: float


class ProblemEscape(SQLModel, table=True):
    """An inspection unit that let the problem through, for its settled responsibility."""

    __tablename__ = "problem_escape"

    problem_id: int = Field(foreign_key="quality_problem.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)
    op: str = Field(primary_key=True, max_length=40)


class ProblemEvent(SQLModel, table=True):
    """One step of a problem's history: who did what, when, and why."""

    __tablename__ = "problem_event"

    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="quality_problem.id", index=True)
    at: datetime
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40)
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=4000)
    details: str = Field(default="{}", max_length=20000)


class CorrectiveAction(SQLModel, table=True):
    """The responsible side's answer: root cause, actions, milestones, verification."""

    __tablename__ = "corrective_action"

    problem_id: int = Field(foreign_key="quality_problem.id", primary_key=True)
    owner_unit_id: int = Field(foreign_key="unit.id", index=True)
    root_cause: str = Field(max_length=4000)
    actions: str = Field(max_length=4000)
    planned_at: datetime
    verified_at: datetime | None = None
    verified_by: str | None = Field(default=None, max_length=80)
    verification_note: str = Field(default="", max_length=4000)


class Attachment(SQLModel, table=True):
    """Evidence for a problem (a photo, a measurement report), stored in the database."""

    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="quality_problem.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes
    uploaded_at: datetime
    uploaded_by: str = Field(max_length=80)


class SchemeVersion(SQLModel, table=True):
    """A scoring scheme a plant used; the newest is in force."""

    __tablename__ = "scheme_version"
    __table_args__ = (UniqueConstraint("plant_id", "content_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    plant_id: int = Field(foreign_key="plant.id", index=True)
    content_hash: str = Field(max_length=64)
    content: str = Field(max_length=100000)
    created_at: datetime
    created_by: str = Field(max_length=80)


class ServiceRelation(SQLModel, table=True):
    """A functional department serves a unit, which may therefore score it, with ``weight``
    from ``effective_from`` until the pair's next entry; weight 0: the relation ended then.

    A pair's first entry listed while no month was closed has no date: it is in force from the
    beginning. A month counts the entries in force on its last day.
    """

    __tablename__ = "service_relation"
    __table_args__ = (
        UniqueConstraint("provider_unit_id", "customer_unit_id", "effective_from"),
        CheckConstraint("weight >= 0", name="service_relation_weight"),
        CheckConstraint("provider_unit_id <> customer_unit_id", name="service_relation_not_self"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_unit_id: int = Field(foreign_key="unit.id")
    customer_unit_id: int = Field(foreign_key="unit.id", index=True)
    effective_from: date | None = None
    weight: float = 1.0


class Handover(SQLModel, table=True):
    """Quantity one unit handed over to another in a month (from production records)."""

    __table_args__ = (
        CheckConstraint("quantity > 0", name="handover_quantity"),
        CheckConstraint("from_unit_id <> to_unit_id", name="handover_not_self"),
        CheckConstraint("month LIKE '____-__'", name="handover_month"),
    )

    plant_id: int = Field(foreign_key="plant.id", primary_key=True)
    month: str = Field(max_length=7, primary_key=True)
    from_unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    to_unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    quantity: float


class Score(SQLModel, table=True):
    """One value a rater unit gave a supplying unit on one criterion in one month."""

    __table_args__ = (
        UniqueConstraint("plant_id", "month", "rater_unit_id", "ratee_unit_id", "criterion"),
        CheckConstraint("rater_unit_id <> ratee_unit_id", name="score_not_self"),
        CheckConstraint("month LIKE '____-__'", name="score_month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # every read names the plant and the months: the unique index serves them all. On
    # PostgreSQL triggers check the three keys once per statement (migration 0010)
    plant_id: int = Field(foreign_key="plant.id")
    month: str = Field(max_length=7)
    rater_unit_id: int = Field(foreign_key="unit.id")
    ratee_unit_id: int = Field(foreign_key="unit.id")
    criterion: str = Field(max_length=40)
    value: int
    comment: str = Field(default="", max_length=2000)
    version: int = 1
    submitted_by: str = Field(max_length=80)
    submitted_at: datetime


class ScoreHistory(SQLModel, table=True):
    """A value a score had before it was replaced while its month was open."""

    __tablename__ = "score_history"

    id: int | None = Field(default=None, primary_key=True)
    score_id: int = Field(foreign_key="score.id", index=True)
    value: int
    comment: str = Field(default="", max_length=2000)
    version: int
    submitted_by: str = Field(max_length=80)
    submitted_at: datetime
    replaced_at: datetime


class PeriodEvent(SQLModel, table=True):
    """A close or reopen of a month, with who, when and why."""

    __tablename__ = "period_event"

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    at: datetime
    actor: str = Field(max_length=80)
    action: str = Field(max_length=20)
    reason: str = Field(default="", max_length=2000)


class MonthResult(SQLModel, table=True):
    """A unit's coefficient for a closed month, with its decomposition. Never updated:
    closing again after a reopen stores a new run."""

    __tablename__ = "month_result"
    __table_args__ = (UniqueConstraint("plant_id", "month", "run", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plant_id: int = Field(foreign_key="plant.id", index=True)
    month: str = Field(max_length=7, index=True)
    run: int
    unit_id: int = Field(foreign_key="unit.id", index=True)
    unit_name: str = Field(max_length=200)  # as the close read it: a renamed unit keeps it here
    satisfaction: float | None = None
    raters: int
    target: float
    satisfaction_term: float
    defect_points: float
    overdue_points: float
    escape_points: float
    penalty_points: float
    coefficient: float
    flags: str = Field(default="", max_length=1000)
    # every problem behind the unit's penalties is listed: no length limit
    decomposition: str = Field(default="{}", sa_type=Text)
    scheme_hash: str = Field(max_length=64)
    computed_at: datetime


ROLES = ("supervisor", "inspector", "quality", "executive", "admin")
UNIT_ROLES = ("supervisor", "inspector")


class User(SQLModel, table=True):
    """A person who signs in; supervisors and inspectors belong to a unit."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="user_role"),
        CheckConstraint(
            "(role IN ('supervisor', 'inspector')) = (unit_id IS NOT NULL)", name="user_unit"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    password_hash: str = Field(max_length=200)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime
    # raised when the account's sessions end for good (it is disabled, or given another role
    # or unit): a session holds the one it signed in with, and ends once it is not the
    # account's any more
    session_generation: int = 0


class AuditRecord(SQLModel, table=True):
    """Append-only trail: one record for every change, written with the change itself;
    ``chain`` links each record to the one before it (``noac.services.audit.chain_of``)."""

    __tablename__ = "audit_record"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str = Field(max_length=80, index=True)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=120)
    before: str = Field(default="null", max_length=1_000_000)
    after: str = Field(default="null", max_length=1_000_000)
    reason: str = Field(default="", max_length=4000)
    chain: str = Field(max_length=64)
