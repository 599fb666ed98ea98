"""The audit trail is tamper-evident: each record is chained to the one before it, so a record
changed or taken out afterwards is named by the check."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from noac.cli import app
from noac.errors import NoacError
from noac.importers import import_file
from noac.models import AuditRecord
from noac.services import audit, users
from noac.services.plants import resolve_plant
from tests.conftest import DATA, QUALITY, SYSTEM, supervisor

AERO = DATA / "demo" / "aerospace"


@pytest.fixture
def trail(engine):
    """A few ordinary changes: the plant's units and routings imported, two users added;
    returns their records' ids in order."""
    with Session(engine, expire_on_commit=False) as session:
        for kind, file in (("units", "units.csv"), ("routings", "routings.csv")):
            import_file(
                actor=SYSTEM, session=session, kind=kind, path=AERO / file, plant_code="AERO"
            )
        for name in ("ann", "bob"):
            users.add_user(
                session=session,
                actor=SYSTEM,
                username=name,
                display_name=name.title(),
                role="quality",
                password="correct horse",
            )
        return session.exec(select(AuditRecord.id).order_by(col(AuditRecord.id))).all()


def _check(engine) -> audit.TrailCheck:
    with Session(engine) as session:
        return audit.verify_trail(session=session, actor=QUALITY)


def _execute(engine, statement: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement))


def test_a_trail_of_ordinary_changes_verifies_up_to_its_head(engine, trail):
    check = _check(engine)
    assert (check.verifies, check.broken_id, check.reason) == (True, None, None)
    assert check.records == len(trail) == 4
    with Session(engine) as session:
        last = session.get(AuditRecord, trail[-1])
        assert check.head == last.chain == audit.trail_end(session)["head"]
    assert len(check.head) == 64 and int(check.head, 16) >= 0


def test_records_of_one_transaction_chain_one_after_another(engine, trail):
    with Session(engine) as session:
        before = audit.trail_end(session)["head"]
        for n in range(3):
            audit.record(session, SYSTEM, "restore", "database", n)
        head = audit.record_all(
            session, SYSTEM, "restore", "database", [(n, None, n) for n in (3, 4)]
        )
        session.commit()
    check = _check(engine)
    assert check.verifies and check.records == len(trail) + 5
    with Session(engine) as session:
        chains = session.exec(select(AuditRecord.chain).order_by(col(AuditRecord.id))).all()
    assert chains[len(trail) - 1] == before
    assert chains[-1] == head == check.head
    assert len(set(chains)) == len(chains)


def test_a_record_changed_afterwards_is_named(engine, trail):
    changed = trail[1]
    _execute(engine, f"UPDATE audit_record SET after = '{{\"rows\": 0}}' WHERE id = {changed}")
    check = _check(engine)
    assert (check.broken_id, check.reason) == (changed, "changed")
    assert check.records == len(trail)


def test_a_record_taken_out_names_the_record_after_it(engine, trail):
    _execute(engine, f"DELETE FROM audit_record WHERE id = {trail[1]}")
    check = _check(engine)
    assert (check.broken_id, check.reason, check.previous_id) == (trail[2], "missing", trail[0])
    assert check.records == len(trail) - 1


def test_verifying_the_trail_is_for_quality_and_admin(engine, trail):
    with Session(engine) as session:
        plant = resolve_plant(session=session, code="AERO")
        with pytest.raises(NoacError, match="may not read the audit trail"):
            audit.verify_trail(session=session, actor=supervisor(plant, "ASSY"))


def test_noac_audit_verify_prints_the_head_or_names_the_record_that_fails(db_url, engine, trail):
    runner = CliRunner()
    verified = runner.invoke(app, ["--db", db_url, "--as", "ann", "audit", "verify"])
    head = _check(engine).head
    assert verified.exit_code == 0, verified.output
    assert verified.output == f"the audit trail verifies: 4 records, head {head[:16]}\n"
    listed = runner.invoke(app, ["--db", db_url, "--as", "ann", "audit", "--entity", "user"])
    assert listed.exit_code == 0 and "bob" in listed.output
    _execute(engine, f"UPDATE audit_record SET reason = 'none' WHERE id = {trail[2]}")
    changed = runner.invoke(app, ["--db", db_url, "--as", "ann", "audit", "verify"])
    assert changed.exit_code == 1
    assert f"record {trail[2]} was changed after it was written" in changed.output
    _execute(engine, f"DELETE FROM audit_record WHERE id IN ({trail[1]}, {trail[2]})")
    missing = runner.invoke(app, ["--db", db_url, "--as", "ann", "audit", "verify"])
    assert missing.exit_code == 1
    assert (
        f"record {trail[3]} does not follow record {trail[0]}, records between them are missing"
        in missing.output
    )
    _execute(engine, f"DELETE FROM audit_record WHERE id = {trail[0]}")
    first = runner.invoke(app, ["--db", db_url, "--as", "ann", "audit", "verify"])
    assert first.exit_code == 1
    assert f"record {trail[3]} does not start the trail, records before it are missing" in (
        first.output
    )


def test_noac_audit_refuses_an_entity_no_record_is_written_for(db_url, trail):
    runner = CliRunner()
    audit_of = ["--db", db_url, "--as", "ann", "audit", "--entity"]
    mistyped = runner.invoke(app, [*audit_of, "users"])
    assert mistyped.exit_code == 1
    assert mistyped.output == (
        "error: unknown entity 'users' (entities: database, defect-codes, defects, events,"
        " form, handovers, month, plant, quality_problem, routings, scheme, scores,"
        " service-relations, units, user)\n"
    )
    # an entity the trail holds no record of yet lists none
    none_yet = runner.invoke(app, [*audit_of, "scheme"])
    assert (none_yet.exit_code, none_yet.output) == (0, "(none)\n")


def test_a_head_written_down_earlier_is_found_while_the_trail_keeps_it(engine, trail):
    """A head printed by a close or a verification, kept outside the database, names the
    record it was the chain of; a trail cut at its end, or rewritten and chained anew, has it no
    more, though every record left still verifies."""
    earlier = _check(engine).head
    with Session(engine) as session:
        audit.record(session, SYSTEM, "restore", "database", "after the head was written down")
        session.commit()
    with Session(engine) as session:
        check = audit.verify_trail(
            session=session, actor=QUALITY, heads=[earlier[:16].upper(), earlier]
        )
    assert check.verifies and check.heads == {earlier[:16]: trail[-1], earlier: trail[-1]}
    assert check.unmatched == []
    _execute(engine, f"DELETE FROM audit_record WHERE id >= {trail[-1]}")  # cut at its end
    with Session(engine) as session:
        check = audit.verify_trail(session=session, actor=QUALITY, heads=[earlier[:16]])
    assert check.verifies and check.records == len(trail) - 1
    assert check.heads == {earlier[:16]: None} and check.unmatched == [earlier[:16]]


@pytest.mark.parametrize("head", ["", "12345", "xyz4567890abcdef", "0" * 65])
def test_a_head_that_is_not_one_is_refused_naming_it(engine, trail, head):
    with Session(engine) as session, pytest.raises(NoacError) as refused:
        audit.verify_trail(session=session, actor=QUALITY, heads=[head])
    assert str(refused.value) == (
        f"'{head}' is not a head of the audit trail: a head is 16 to 64 hex digits, as"
        " noac close and noac audit verify print it"
    )


def test_noac_audit_verify_with_a_head_says_whether_the_trail_still_has_it(db_url, engine, trail):
    runner = CliRunner()
    earlier = _check(engine).head[:16]
    found = runner.invoke(
        app, ["--db", db_url, "--as", "ann", "audit", "verify", "--head", earlier]
    )
    assert found.exit_code == 0, found.output
    assert found.output.splitlines()[1:] == [
        f"  head {earlier}: record {trail[-1]}, which the trail since follows from"
    ]
    _execute(engine, f"DELETE FROM audit_record WHERE id = {trail[-1]}")
    cut = runner.invoke(app, ["--db", db_url, "--as", "ann", "audit", "verify", "--head", earlier])
    assert cut.exit_code == 1
    assert cut.output == (
        f"error: the audit trail does not verify: no record has the head {earlier} written"
        " down earlier; the trail was cut or rewritten since\n"
    )


def test_the_trail_shows_its_times_and_days_on_the_servers_clock(engine, trail, server_zone):
    """In Shanghai (UTC+8) a record written at 23:30 UTC on 1 March shows at 7:30 on 2 March
    and is among the records since 2 March; one written at 15:00 UTC (23:00 there) is not."""
    server_zone("Asia/Shanghai")
    _execute(engine, "UPDATE audit_record SET at = '2026-03-01 15:00:00'")
    _execute(engine, f"UPDATE audit_record SET at = '2026-03-01 23:30:00' WHERE id = {trail[-1]}")
    with Session(engine) as session:
        since = audit.audit_trail(session=session, actor=QUALITY, since=date(2026, 3, 2))
        count = audit.audit_count(session=session, actor=QUALITY, since=date(2026, 3, 2))
        earlier = audit.audit_trail(session=session, actor=QUALITY, since=date(2026, 3, 1))
    assert [(e.entity_id, e.at) for e in since] == [("bob", "2026-03-02T07:30:00+08:00")]
    assert count == 1
    assert [e.at for e in earlier][:2] == ["2026-03-02T07:30:00+08:00", "2026-03-01T23:00:00+08:00"]
