"""The audit trail: written in the same transaction as the change it records.

Each record carries ``chain``, a SHA-256 over the chain of the record before it and its own
content (:func:`chain_of`), so a record changed or taken out of the trail afterwards is found
by :func:`verify_trail`; the head (the last record's chain) written down outside the database
(a close's record and report, a restore's record) anchors the trail up to it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import Connection, Row
from sqlmodel import Session, col, func, select

from noac.errors import NoacError
from noac.models import AuditRecord, local_time
from noac.services.access import Actor, require

_LAST = select(AuditRecord.id, AuditRecord.chain).order_by(col(AuditRecord.id).desc()).limit(1)
_NEXT_ID = func.nextval(func.pg_get_serial_sequence(AuditRecord.__tablename__, "id"))

# any fixed number: the key of PostgreSQL's advisory lock that orders the trail's writers
_TRAIL_LOCK = 0x6E6F6163  # "noac"

# the kinds of entity the services write records of (an import's: the kind of file it
# imported); :func:`record_all` writes no other, so a filter naming none of them is refused
ENTITIES = frozenset(
    {
        "database",
        "defect-codes",
        "defects",
        "events",
        "form",
        "handovers",
        "month",
        "plant",
        "quality_problem",
        "routings",
        "scheme",
        "scores",
        "service-relations",
        "units",
        "user",
    }
)
# the actions the services record (:func:`record_all` writes no other), which the app names
# in words
ACTIONS = frozenset(
    {
        "accept",
        "add",
        "attach",
        "change-role",
        "close",
        "disable",
        "dispute",
        "enable",
        "import",
        "lock",
        "login",
        "login-failed",
        "plan-action",
        "reopen",
        "report",
        "request-verification",
        "reset-password",
        "restore",
        "rule",
        "save",
        "set",
        "submit",
        "verify",
    }
)


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    before: object = None,
    after: object = None,
    reason: str = "",
) -> str:
    """Add one audit record to the session, chained to the one before it, and flush it (the
    caller commits it with the change): :func:`record_all` of one. Returns its chain."""
    return record_all(session, actor, action, entity, [(entity_id, before, after)], reason)


def record_all(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    changes: Sequence[tuple[object, object, object]],
    reason: str = "",
) -> str:
    """Add an audit record of ``action`` on each of ``changes`` (entity id, before, after),
    chained one after another after the trail's last record, and flush them. Returns the
    chain of the last: the trail's head once the transaction commits.

    A record needs its id and the previous chain before it is inserted (``chain`` is NOT
    NULL): this transaction first becomes the trail's one writer (:func:`_hold_trail`), then
    one statement reads the previous chain and, on PostgreSQL, draws the ids from the
    sequence; on SQLite the ids follow the last one. A close of 30 plants writes its 30
    records at once: one at a time, they took 40-86 ms of its 0.63-0.95 s on PostgreSQL.
    """
    if entity not in ENTITIES:
        raise ValueError(f"audit records of '{entity}' are not written: add it to ENTITIES")
    if action not in ACTIONS:
        raise ValueError(f"audit records of '{action}' are not written: add it to ACTIONS")
    connection = session.connection()
    _hold_trail(connection)
    if connection.dialect.name == "postgresql":
        rows = session.exec(
            select(
                _NEXT_ID, _LAST.with_only_columns(AuditRecord.chain).scalar_subquery()
            ).select_from(func.generate_series(1, len(changes)))
        ).all()
        ids, previous = sorted(row[0] for row in rows), rows[0][1] if rows else ""
    else:
        last_id, previous = session.exec(_LAST).first() or (0, "")
        ids = [last_id + n for n in range(1, len(changes) + 1)]
    at = datetime.now(UTC)
    for new_id, (entity_id, before, after) in zip(ids, changes, strict=True):
        entry = AuditRecord(
            id=new_id,
            at=at,
            actor=actor.username,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=json.dumps(before, ensure_ascii=False, default=str, sort_keys=True),
            after=json.dumps(after, ensure_ascii=False, default=str, sort_keys=True),
            reason=reason,
        )
        entry.chain = previous = chain_of(previous or "", entry)
        session.add(entry)
    session.flush()
    return previous


def _hold_trail(connection: Connection) -> None:
    """Make this transaction the only one adding audit records until it ends, so records are
    numbered and chained in one line. PostgreSQL: a transaction-level advisory lock; SQLite:
    its one write lock (``BEGIN IMMEDIATE``) unless this transaction writes already."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_TRAIL_LOCK})")
    elif not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def chain_of(previous: str, entry: AuditRecord | Row) -> str:
    """The chain of ``entry`` (a record, or a row of its columns) after a record whose chain
    is ``previous`` ("" for the first): the SHA-256 of the previous chain and the record's
    content as one JSON array, its time as naive UTC with microseconds however the driver
    returns it. Writing and verifying both use it, and so did the migration that chained the
    records written before (0013): it never changes."""
    at = entry.at.astimezone(UTC).replace(tzinfo=None) if entry.at.tzinfo else entry.at
    content = [
        previous,
        entry.id,
        at.isoformat(timespec="microseconds"),
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.before,
        entry.after,
        entry.reason,
    ]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _head(session: Session) -> str:
    last = session.exec(_LAST).first()
    return last.chain if last else ""


def trail_end(session: Session, *, chained: bool = True) -> dict:
    """How far the audit trail goes: its number of records, the last one's id, time and
    chain (its head; None for a trail from before its records were chained, ``chained``
    False: a database at a schema before migration 0013)."""
    records, last_id, last_at = session.exec(
        select(func.count(), func.max(AuditRecord.id), func.max(AuditRecord.at))
    ).one()
    head = _head(session) if chained else None
    return {"records": records, "last_id": last_id, "last_at": last_at, "head": head}


BATCH = 2000  # records verified per read


@dataclass
class TrailCheck:
    """What :func:`verify_trail` found: the records read, the head (the last record's chain)
    and the first record that does not verify (None when all do), with why: ``changed``
    (its chain does not match its content and the record before it) or ``missing`` (its
    chain does not follow from the record before it, ``previous_id``, and ids between them
    are not in the trail: records were taken out). A changed record right after ids
    PostgreSQL left unused (a change that was refused after drawing its record's id) reads
    as ``missing`` too; either way the record is named."""

    records: int
    head: str
    broken_id: int | None = None
    reason: str | None = None
    previous_id: int = 0
    heads: dict[str, int | None] = field(default_factory=dict)

    @property
    def verifies(self) -> bool:
        return self.broken_id is None

    @property
    def unmatched(self) -> list[str]:
        """The heads written down earlier that no record's chain has any more."""
        return [head for head, record in self.heads.items() if record is None]


HEAD = re.compile(r"[0-9a-f]{16,64}")


def verify_trail(*, session: Session, actor: Actor, heads: Iterable[str] = ()) -> TrailCheck:
    """Check every record's chain in id order, reading the trail in batches; and find the
    record each of the ``heads`` written down earlier (outside the database: the leading hex
    digits of a chain, as a close prints it) was the chain of, in ``heads`` (None where no
    record's chain has it any more: the trail was cut or rewritten since)."""
    require(actor, "read-audit")
    check = TrailCheck(records=0, head="")
    for head in heads:
        if not HEAD.fullmatch(head.strip().lower()):
            raise NoacError(
                f"'{head}' is not a head of the audit trail: a head is 16 to 64 hex digits, as"
                " noac close and noac audit verify print it"
            )
        check.heads[head.strip().lower()] = None
    last_id = 0
    for entry in _in_order(session):
        if check.verifies and entry.chain != chain_of(check.head, entry):
            check.broken_id, check.previous_id = entry.id, last_id
            check.reason = "changed" if entry.id == last_id + 1 else "missing"
        for head in check.heads:
            if entry.chain.startswith(head):
                check.heads[head] = entry.id
        check.records += 1
        check.head, last_id = entry.chain, entry.id
    return check


def _in_order(session: Session) -> Iterator[Row]:
    """Every audit record's columns in id order, read ``BATCH`` records at a time."""
    columns = select(*AuditRecord.__table__.columns).order_by(col(AuditRecord.id)).limit(BATCH)
    after = 0
    while True:
        batch = session.exec(columns.where(AuditRecord.id > after)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].id


@dataclass
class AuditEntry:
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    before: object
    after: object
    reason: str


def _matching(statement, entity: str | None, since: date | None):
    """``statement`` narrowed to one entity kind and to records since the start of a day on
    the server's calendar; an entity no record is written for is refused, naming those that
    are."""
    if entity:
        if entity not in ENTITIES:
            known = ", ".join(sorted(ENTITIES))
            raise NoacError(f"unknown entity '{entity}' (entities: {known})")
        statement = statement.where(AuditRecord.entity == entity)
    if since:
        statement = statement.where(
            AuditRecord.at >= datetime.combine(since, time()).astimezone(UTC)
        )
    return statement


def audit_trail(
    *,
    session: Session,
    actor: Actor,
    entity: str | None = None,
    since: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[AuditEntry]:
    """Audit records, newest first, optionally of one entity kind and since a date; at most
    ``limit`` of them after skipping the newest ``offset``."""
    require(actor, "read-audit")
    statement = _matching(select(AuditRecord), entity, since).order_by(col(AuditRecord.id).desc())
    if limit:
        statement = statement.limit(limit)
    if offset:
        statement = statement.offset(offset)
    return [
        AuditEntry(
            at=local_time(r.at).isoformat(timespec="seconds"),
            actor=r.actor,
            action=r.action,
            entity=r.entity,
            entity_id=r.entity_id,
            before=json.loads(r.before),
            after=json.loads(r.after),
            reason=r.reason,
        )
        for r in session.exec(statement)
    ]


def audit_count(
    *, session: Session, actor: Actor, entity: str | None = None, since: date | None = None
) -> int:
    """How many records :func:`audit_trail` lists with the same filters and no limit."""
    require(actor, "read-audit")
    return session.exec(
        _matching(select(func.count()).select_from(AuditRecord), entity, since)
    ).one()


def audit_entities(*, session: Session, actor: Actor) -> list[str]:
    """The entity kinds the trail holds records of, sorted."""
    require(actor, "read-audit")
    return list(
        session.exec(select(AuditRecord.entity).distinct().order_by(AuditRecord.entity)).all()
    )
