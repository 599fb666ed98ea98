"""The audit trail: written in the same transaction as the change it records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import Session, col, func, select

from noac.models import AuditRecord
from noac.services.access import Actor, require


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    before: object = None,
    after: object = None,
    reason: str = "",
) -> None:
    """Add one audit record to the session (the caller commits it with the change)."""
    session.add(
        AuditRecord(
            at=datetime.now(UTC),
            actor=actor.username,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=json.dumps(before, ensure_ascii=False, default=str, sort_keys=True),
            after=json.dumps(after, ensure_ascii=False, default=str, sort_keys=True),
            reason=reason,
        )
    )


def trail_end(session: Session) -> dict:
    """How far the audit trail goes: its number of records, the last one's id and time."""
    records, last_id, last_at = session.exec(
        select(func.count(), func.max(AuditRecord.id), func.max(AuditRecord.at))
    ).one()
    return {"records": records, "last_id": last_id, "last_at": last_at}


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
    """``statement`` narrowed to one entity kind and to records since a date (UTC)."""
    if entity:
        statement = statement.where(AuditRecord.entity == entity)
    if since:
        statement = statement.where(
            AuditRecord.at >= datetime(since.year, since.month, since.day, tzinfo=UTC)
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
            at=r.at.isoformat(timespec="seconds"),
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
