"""Accounts: Argon2 hashes, throttled sign-in, unit-bound roles, the CLI."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from noac.cli import app
from noac.errors import NoacError
from noac.importers import import_file
from noac.models import User
from noac.services import users
from noac.services.audit import audit_trail
from noac.services.plants import resolve_plant
from tests.conftest import DATA, QUALITY, ROOT, SYSTEM, snapshot

AERO = DATA / "demo" / "aerospace"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def plant(session):
    import_file(
        actor=SYSTEM, session=session, kind="units", path=AERO / "units.csv", plant_code="AERO"
    )
    return resolve_plant(session=session, code="AERO")


def add(session, plant, name="ann", role="supervisor", unit="ASSY", password="correct horse"):
    return users.add_user(
        session=session,
        actor=SYSTEM,
        username=name,
        display_name=name.title(),
        role=role,
        password=password,
        plant=plant if unit else None,
        unit=unit,
    )


def test_passwords_are_argon2_hashes_and_sign_in_returns_the_actor(session, plant):
    add(session, plant)
    stored = session.exec(select(User)).one()
    assert (
        stored.password_hash.startswith("$argon2id$")
        and "correct horse" not in stored.password_hash
    )
    actor = users.authenticate(session=session, username="ann", password="correct horse", now=T0)
    assert (actor.username, actor.role, actor.unit, actor.plant_id) == (
        "ann",
        "supervisor",
        "ASSY",
        plant.id,
    )


def test_a_username_is_signed_in_whatever_its_case_and_the_spaces_around_it(session, plant):
    add(session, plant, name="ann")
    add(session, plant, name="Quality.Lead", role="quality", unit=None)
    for typed, meant in (("Ann", "ann"), (" ann ", "ann"), ("quality.lead", "Quality.Lead")):
        actor = users.authenticate(session=session, username=typed, password="correct horse")
        assert actor.username == meant
    trail = audit_trail(session=session, actor=QUALITY, entity="user")
    assert {(r.actor, r.entity_id) for r in trail if r.action == "login"} == {
        ("ann", "ann"),
        ("Quality.Lead", "Quality.Lead"),
    }
    with pytest.raises(NoacError, match="wrong username or password"):
        users.authenticate(session=session, username="Ann", password="Correct horse")
    assert session.exec(select(User).where(User.username == "ann")).one().failed_logins == 1


def test_an_older_database_holding_two_spellings_signs_in_only_the_one_typed(session, plant):
    add(session, plant, name="ann")
    add(session, plant, name="bob")
    session.exec(select(User).where(User.username == "bob")).one().username = "Ann"
    session.commit()  # two spellings, as a database made before they were one name may hold
    assert users.authenticate(session=session, username="Ann", password="correct horse").unit
    with pytest.raises(NoacError, match="wrong username or password"):
        users.authenticate(session=session, username="ANN", password="correct horse")


def test_five_failures_lock_the_account_for_five_minutes(session, plant):
    add(session, plant)
    for attempt in range(5):
        with pytest.raises(NoacError, match="wrong username or password"):
            users.authenticate(
                session=session,
                username="ann",
                password="guess",
                now=T0 + timedelta(seconds=attempt),
            )
    with pytest.raises(NoacError, match="too many failed sign-ins: try again in 5 minute"):
        users.authenticate(
            session=session,
            username="ann",
            password="correct horse",
            now=T0 + timedelta(seconds=10),
        )
    later = T0 + timedelta(minutes=5, seconds=5)
    assert (
        users.authenticate(
            session=session, username="ann", password="correct horse", now=later
        ).username
        == "ann"
    )
    actions = [e.action for e in audit_trail(session=session, actor=QUALITY, entity="user")]
    assert actions[:3] == ["login", "lock", "login-failed"]


def test_a_success_resets_the_count_of_failures(session, plant):
    add(session, plant)
    for _ in range(4):
        with pytest.raises(NoacError):
            users.authenticate(session=session, username="ann", password="guess", now=T0)
    users.authenticate(session=session, username="ann", password="correct horse", now=T0)
    for _ in range(4):
        with pytest.raises(NoacError, match="wrong username or password"):
            users.authenticate(session=session, username="ann", password="guess", now=T0)


def test_unknown_and_disabled_users_get_the_same_answer(session, plant):
    add(session, plant)
    add(session, plant, name="exec", role="executive", unit=None)
    users.disable_user(session=session, actor=SYSTEM, username="ann")
    for name in ("ann", "nobody"):
        with pytest.raises(NoacError, match="^wrong username or password$"):
            users.authenticate(session=session, username=name, password="correct horse")
    with pytest.raises(NoacError, match="user 'ann' is disabled"):
        users.actor_for(session=session, username="ann")


def test_a_disabled_user_is_not_disabled_again(engine, session, plant):
    add(session, plant)
    users.disable_user(session=session, actor=SYSTEM, username="ann")
    before = snapshot(engine)
    with pytest.raises(NoacError, match="^user 'ann' is already disabled$"):
        users.disable_user(session=session, actor=SYSTEM, username="ann")
    assert snapshot(engine) == before


def test_a_disabled_user_is_enabled_again_under_the_same_name(session, plant):
    """The sessions the account had end with the disabling, for good: once enabled again, the
    identity they hold is not the account's any more, and the user signs in anew."""
    add(session, plant)
    signed_in = users.authenticate(session=session, username="ann", password="correct horse")
    assert users.actor_for(session=session, username="ann") == signed_in
    users.disable_user(session=session, actor=SYSTEM, username="ann")
    users.enable_user(session=session, actor=SYSTEM, username="ann")
    assert users.actor_for(session=session, username="ann") != signed_in
    again = users.authenticate(session=session, username="ann", password="correct horse")
    assert again == users.actor_for(session=session, username="ann") and again.unit == "ASSY"
    (enabled,) = [r for r in audit_trail(session=session, actor=SYSTEM) if r.action == "enable"]
    assert (enabled.actor, enabled.entity, enabled.entity_id) == ("system", "user", "ann")
    assert (enabled.before["active"], enabled.after["active"]) == (False, True)
    assert enabled.after["unit"] == "ASSY"


def test_an_active_user_is_not_enabled(engine, session, plant):
    add(session, plant)
    before = snapshot(engine)
    with pytest.raises(NoacError, match="^user 'ann' is already active$"):
        users.enable_user(session=session, actor=SYSTEM, username="ann")
    with pytest.raises(NoacError, match="^unknown user 'bob'$"):
        users.enable_user(session=session, actor=SYSTEM, username="bob")
    assert snapshot(engine) == before


def test_the_last_active_administrator_is_not_disabled(engine, session, plant):
    add(session, plant, name="root", role="admin", unit=None)
    add(session, plant, name="root2", role="admin", unit=None)
    users.disable_user(session=session, actor=SYSTEM, username="root2")
    before = snapshot(engine)
    with pytest.raises(NoacError, match="^user 'root' is the last active administrator"):
        users.disable_user(session=session, actor=SYSTEM, username="root")
    assert snapshot(engine) == before


def test_a_supervisor_moves_to_another_unit_and_their_sessions_end(session, plant):
    add(session, plant)
    signed_in = users.actor_for(session=session, username="ann")
    moved = users.change_role(
        session=session, actor=SYSTEM, username="ann", role="supervisor", plant=plant, unit="SHEET"
    )
    assert (moved.role, moved.plant, moved.unit) == ("supervisor", "AERO", "SHEET")
    now = users.actor_for(session=session, username="ann")
    assert now != signed_in and (now.unit, now.plant_id) == ("SHEET", plant.id)
    (record,) = audit_trail(session=session, actor=SYSTEM, entity="user", limit=1)
    assert (record.action, record.entity_id) == ("change-role", "ann")
    assert (record.before["unit"], record.after["unit"]) == ("ASSY", "SHEET")
    quality = users.change_role(session=session, actor=SYSTEM, username="ann", role="quality")
    assert (quality.role, quality.unit) == ("quality", None)
    assert users.actor_for(session=session, username="ann").unit_bound is False


def test_a_supervisor_moved_back_to_their_unit_does_not_get_their_sessions_back(session, plant):
    add(session, plant)
    signed_in = users.authenticate(session=session, username="ann", password="correct horse")
    for unit in ("SHEET", "ASSY"):
        users.change_role(
            session=session, actor=SYSTEM, username="ann", role="supervisor", plant=plant, unit=unit
        )
    back = users.actor_for(session=session, username="ann")
    assert back.unit == signed_in.unit == "ASSY" and back != signed_in


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"role": "supervisor"},
            "^role supervisor belongs to a unit: give the plant and the unit$",
        ),
        ({"role": "inspector"}, "^role inspector belongs to a unit: give the plant and the unit$"),
        ({"role": "inspector", "unit": "MOON"}, "^unknown unit 'MOON' in plant AERO$"),
        (
            {"role": "quality", "unit": "ASSY"},
            "^role quality is not bound to a unit: leave out the unit$",
        ),
        (
            {"role": "admin", "unit": "ASSY"},
            "^role admin is not bound to a unit: leave out the unit$",
        ),
        ({"role": "boss"}, "^role 'boss' is not one of supervisor, inspector"),
        (
            {"role": "supervisor", "unit": "ASSY"},
            "^user 'ann' is supervisor of ASSY already: nothing to change$",
        ),
        ({"username": "bob", "role": "quality"}, "^unknown user 'bob'$"),
        ({"username": "root", "role": "quality"}, "^user 'root' is the last active administrator"),
    ],
)
def test_bad_role_changes_are_refused(engine, session, plant, fields, message):
    add(session, plant)
    add(session, plant, name="root", role="admin", unit=None)
    fields = {"username": "ann", "plant": plant if fields.get("unit") else None, **fields}
    before = snapshot(engine)
    with pytest.raises(NoacError, match=message):
        users.change_role(session=session, actor=SYSTEM, **fields)
    assert snapshot(engine) == before


def test_an_administrator_does_not_change_their_own_role(engine, session, plant):
    add(session, plant, name="root", role="admin", unit=None)
    add(session, plant, name="root2", role="admin", unit=None)
    root = users.actor_for(session=session, username="root")
    before = snapshot(engine)
    with pytest.raises(NoacError, match="^you cannot change your own role"):
        users.change_role(session=session, actor=root, username="root", role="executive")
    assert snapshot(engine) == before
    users.change_role(session=session, actor=root, username="root2", role="executive")
    assert users.actor_for(session=session, username="root2").role == "executive"


def test_an_administrator_does_not_disable_their_own_account(engine, session, plant):
    add(session, plant, name="root", role="admin", unit=None)
    add(session, plant, name="root2", role="admin", unit=None)
    root = users.actor_for(session=session, username="root")
    before = snapshot(engine)
    with pytest.raises(NoacError) as refused:
        users.disable_user(session=session, actor=root, username="root")
    assert str(refused.value) == "you cannot disable your own account: another administrator can"
    assert snapshot(engine) == before
    users.disable_user(session=session, actor=root, username="root2")
    assert not {u.username: u for u in users.list_users(session=session, actor=root)}[
        "root2"
    ].active


def test_a_disabled_administrator_is_given_another_role(session, plant):
    add(session, plant, name="root", role="admin", unit=None)
    add(session, plant, name="root2", role="admin", unit=None)
    users.disable_user(session=session, actor=SYSTEM, username="root2")
    users.change_role(session=session, actor=SYSTEM, username="root2", role="executive")
    listed = {u.username: u for u in users.list_users(session=session, actor=SYSTEM)}
    assert (listed["root2"].role, listed["root2"].active) == ("executive", False)


def test_reset_password_lifts_the_lock(session, plant):
    add(session, plant)
    for _ in range(5):
        with pytest.raises(NoacError):
            users.authenticate(session=session, username="ann", password="guess")
    users.reset_password(session=session, actor=SYSTEM, username="ann", password="a new secret")
    assert (
        users.authenticate(session=session, username="ann", password="a new secret").unit == "ASSY"
    )
    (reset,) = [
        r for r in audit_trail(session=session, actor=SYSTEM) if r.action == "reset-password"
    ]
    assert reset.before["locked_until"] is not None  # the lock it lifted
    assert reset.after == {"failed_logins": 0, "locked_until": None}


@pytest.mark.parametrize("password", [" " * 8, "\u3000" * 10, " \t \r\n   "])
def test_a_reset_to_a_blank_password_is_refused(engine, session, plant, password):
    add(session, plant)
    before = snapshot(engine)
    with pytest.raises(
        NoacError,
        match="^a password made only of spaces or other blank characters is refused: use letters",
    ):
        users.reset_password(session=session, actor=SYSTEM, username="ann", password=password)
    assert snapshot(engine) == before


def test_a_password_reset_changes_the_identity_a_session_holds(session, plant):
    add(session, plant)
    before = users.authenticate(session=session, username="ann", password="correct horse")
    users.reset_password(session=session, actor=SYSTEM, username="ann", password="a new secret")
    after = users.actor_for(session=session, username="ann")
    assert after != before
    assert after == users.authenticate(session=session, username="ann", password="a new secret")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "supervisor", "unit": None}, "role supervisor belongs to a unit"),
        ({"role": "executive", "unit": "ASSY"}, "role executive is not bound to a unit"),
        ({"role": "boss", "unit": None}, "role 'boss' is not one of"),
        ({"unit": "MOON"}, "unknown unit 'MOON' in plant AERO"),
        ({"password": "short"}, "a password needs at least 8 characters"),
        ({"password": " " * 12}, "a password made only of spaces or other blank characters"),
        ({"password": " \t\u3000\n" * 3}, "a password made only of spaces or other blank"),
        ({"name": "bad name"}, "username 'bad name' must be"),
        ({"name": "ann\n"}, "username 'ann\n' must be"),
        ({"name": "system"}, "'system' names the local administrator in the audit trail"),
    ],
)
def test_bad_accounts_are_refused(session, plant, fields, message):
    with pytest.raises(NoacError, match=message):
        add(session, plant, **fields)
    assert session.exec(select(User)).all() == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Ann", "user 'ann' already exists: usernames differing only in case are the same"),
        ("ANN", "user 'ann' already exists: usernames differing only in case are the same"),
        ("System", "'System' names the local administrator in the audit trail"),
    ],
)
def test_a_username_differing_only_in_case_is_refused(engine, session, plant, name, message):
    add(session, plant)
    before = snapshot(engine)
    with pytest.raises(NoacError, match=message):
        add(session, plant, name=name)
    assert snapshot(engine) == before


def test_a_password_piped_on_standard_input_is_read_without_a_warning(db_url, engine):
    """In a script there is no terminal to ask on: the password is the first line of standard
    input, read without a prompt or Python's warning about echo; nothing piped is named."""

    def piped(*command, given=""):
        return subprocess.run(
            [sys.executable, "-m", "noac", "--db", db_url, "users", *command],
            input=given,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )

    for command in (["add", "bob", "--role", "quality"], ["reset-password", "bob"]):
        result = piped(*command)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == (
            "error: no password given: without a terminal to ask for it, pipe it on standard"
            " input or give --password PASSWORD\n"
        )
    added = piped("add", "bob", "--role", "quality", given="bob-secret1\n")
    assert (added.returncode, added.stdout, added.stderr) == (0, "added bob (quality)\n", "")
    reset = piped("reset-password", "bob", given="bob-secret2\r\n")
    assert (reset.returncode, reset.stdout, reset.stderr) == (0, "new password set for bob\n", "")
    with Session(engine) as session:
        assert users.authenticate(session=session, username="bob", password="bob-secret2")
        with pytest.raises(NoacError, match="wrong username or password"):
            users.authenticate(session=session, username="bob", password="bob-secret1")


def test_a_mistyped_plant_given_to_users_is_refused_even_without_a_unit(db_url):
    runner = CliRunner()

    def noac(*args):
        return runner.invoke(app, ["--db", db_url, *map(str, args)])

    noac("init")
    noac("import", "units", AERO / "units.csv", "--plant", "AERO")
    assert (
        noac("users", "add", "root", "--role", "admin", "--password", "admin-secret1").exit_code
        == 0
    )
    unknown = "error: unknown plant 'AREO' (plants: AERO)\n"
    add = ["users", "add", "qa", "--role", "quality", "--password", "qa-secret-1"]
    refused = noac(*add, "--plant", "AREO")
    assert (refused.exit_code, refused.output) == (1, unknown)
    assert noac("users", "list").output.count("quality") == 0
    assert noac(*add, "--plant", "AERO").output == "added qa (quality)\n"
    moved = noac("users", "set-role", "qa", "--role", "executive", "--plant", "AREO")
    assert (moved.exit_code, moved.output) == (1, unknown)
    unit_less = noac("users", "set-role", "qa", "--role", "supervisor", "--plant", "AERO")
    assert unit_less.output == (
        "error: role supervisor belongs to a unit of plant AERO: choose the unit\n"
    )
    assert "quality" in noac("users", "list").output


def test_users_cli(db_url):
    runner = CliRunner()

    def noac(*args, user=None):
        acting = ["--as", user] if user else []
        return runner.invoke(app, ["--db", db_url, *acting, *map(str, args)])

    noac("init")
    noac("import", "units", AERO / "units.csv", "--plant", "AERO")
    assert (
        noac("users", "add", "root", "--role", "admin", "--password", "admin-secret").exit_code == 0
    )
    added = noac(
        "users",
        "add",
        "ann",
        "--role",
        "supervisor",
        "--unit",
        "ASSY",
        "--password",
        "ann-secret",
        user="root",
    )
    assert "added ann (supervisor of ASSY)" in added.output
    assert "ann" in noac("users", "list").output
    refused = noac(
        "users", "add", "bob", "--role", "quality", "--password", "bob-secret1", user="ann"
    )
    assert refused.exit_code == 1 and "ann (supervisor) may not manage users" in refused.output
    assert noac("users", "disable", "ann", user="root").exit_code == 0
    disabled = noac("audit", user="ann")
    assert (disabled.exit_code, disabled.output) == (
        1,
        "error: user 'ann' is disabled: an administrator can enable the account again"
        " (noac users enable ann)\n",
    )
    assert noac("audit", user="root").exit_code == 0
    assert "disable" in noac("audit", "--entity", "user", user="root").output
    enabled = noac("users", "enable", "ann", user="root")
    assert (enabled.exit_code, enabled.output) == (0, "enabled ann\n")
    assert "ann (supervisor) may not read the audit trail" in noac("audit", user="ann").output
    again = noac("users", "enable", "ann", user="root")
    assert again.exit_code == 1 and "user 'ann' is already active" in again.output
    moved = noac("users", "set-role", "ann", "--role", "inspector", "--unit", "QC-SM", user="root")
    assert (moved.exit_code, moved.output) == (0, "ann is now inspector of QC-SM\n")
    unbound = noac("users", "set-role", "ann", "--role", "supervisor", user="root")
    assert unbound.exit_code == 1 and "role supervisor belongs to a unit" in unbound.output
