"""Accounts: Argon2 password hashes, throttled sign-in, roles bound to units."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, func, select

from noac.errors import NoacError
from noac.models import ROLES, UNIT_ROLES, Plant, Unit, User, stored_utc
from noac.services import audit
from noac.services.access import SYSTEM, Actor, require
from noac.validation import check_code, check_text

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 5
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


@dataclass
class UserInfo:
    username: str
    display_name: str
    role: str
    plant: str | None
    unit: str | None
    active: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _get(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NoacError(f"unknown user '{username}'")
    return user


def _same_name(username: str):
    """The condition matching the accounts whose username differs from ``username`` at most
    in case: one name, for adding an account and for signing in."""
    return func.lower(User.username) == username.lower()


def _info(session: Session, user: User) -> UserInfo:
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    plant = session.get(Plant, unit.plant_id) if unit else None
    return UserInfo(
        user.username,
        user.display_name,
        user.role,
        plant.code if plant else None,
        unit.code if unit else None,
        user.active,
    )


def actor_for(*, session: Session, username: str) -> Actor:
    """The acting identity of an active user."""
    user = _get(session, username)
    if not user.active:
        raise NoacError(
            f"user '{username}' is disabled: an administrator can enable the account again"
            f" (noac users enable {username})"
        )
    info = _info(session, user)
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    return Actor(
        username=user.username,
        role=user.role,
        unit=info.unit,
        plant_id=unit.plant_id if unit else None,
        display_name=user.display_name,
        credential=hashlib.sha256(user.password_hash.encode()).hexdigest(),
        session_generation=user.session_generation,
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise NoacError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise NoacError(
            "a password made only of spaces or other blank characters is refused:"
            " use letters, digits or signs"
        )


def _role_unit(
    session: Session, role: str, plant: Plant | None, unit: str | None, errors: list[str]
) -> Unit | None:
    """The unit a ``role`` is given with: one of ``plant`` for a supervisor or inspector,
    none for the others; what is wrong goes to ``errors``. Given the plant (the app's is the
    one chosen in its sidebar), a missing unit is asked for alone."""
    if role not in ROLES:
        errors.append(f"role '{role}' is not one of {', '.join(ROLES)}")
    if role not in UNIT_ROLES:
        if unit:
            errors.append(f"role {role} is not bound to a unit: leave out the unit")
        return None
    if plant is None:
        errors.append(f"role {role} belongs to a unit: give the plant and the unit")
        return None
    if not unit:
        errors.append(f"role {role} belongs to a unit of plant {plant.code}: choose the unit")
        return None
    unit_row = session.exec(
        select(Unit).where(Unit.plant_id == plant.id, Unit.code == unit)
    ).first()
    if unit_row is None:
        errors.append(f"unknown unit '{unit}' in plant {plant.code}")
    return unit_row


def _refuse_last_admin(session: Session, username: str, change: str) -> None:
    """Refuse a ``change`` ("disabling this one") of ``username``, the last active administrator.

    The active administrators are locked: two such changes at once cannot both pass."""
    admins = session.exec(
        select(User.username).where(User.role == "admin", col(User.active)).with_for_update()
    ).all()
    if admins == [username]:
        raise NoacError(
            f"user '{username}' is the last active administrator: add another before {change}"
        )


def add_user(
    *,
    session: Session,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    password: str,
    plant: Plant | None = None,
    unit: str | None = None,
) -> UserInfo:
    """Create an account; supervisors and inspectors need their plant and unit."""
    require(actor, "manage-users")
    errors = []
    if reason := check_code(username, "username"):
        errors.append(reason)
    elif username.lower() == SYSTEM.username:
        errors.append(
            f"'{username}' names the local administrator in the audit trail: choose another"
        )
    elif taken := session.exec(select(User.username).where(_same_name(username))).first():
        errors.append(
            f"user '{taken}' already exists"
            + ("" if taken == username else ": usernames differing only in case are the same")
        )
    unit_row = _role_unit(session, role, plant, unit, errors)
    if not display_name.strip():
        errors.append("the display name is empty")
    elif reason := check_text(display_name, "the display name", 200):
        errors.append(reason)
    try:
        _check_password(password)
    except NoacError as error:
        errors.append(str(error))
    if errors:
        raise NoacError("; ".join(errors))
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=role,
        unit_id=unit_row.id if unit_row else None,
        password_hash=_hasher.hash(password),
        created_at=_now(),
    )
    session.add(user)
    session.flush()
    info = _info(session, user)
    audit.record(session, actor, "add", "user", username, None, info.__dict__)
    session.commit()
    return info


def list_users(*, session: Session, actor: Actor) -> list[UserInfo]:
    require(actor, "manage-users")
    users = session.exec(select(User).order_by(User.username)).all()
    return [_info(session, u) for u in users]


def disable_user(*, session: Session, actor: Actor, username: str) -> None:
    """Stop an account signing in and acting; every session it had ends for good (its
    session generation is raised), enabled again or not."""
    require(actor, "manage-users")
    user = _get(session, username)
    if username == actor.username:
        raise NoacError("you cannot disable your own account: another administrator can")
    if not user.active:
        raise NoacError(f"user '{username}' is already disabled")
    if user.role == "admin":
        _refuse_last_admin(session, username, "disabling this one")
    user.session_generation += 1
    _set_active(session, actor, user, False)


def enable_user(*, session: Session, actor: Actor, username: str) -> None:
    """Let a disabled account sign in and act again, under the same name and audit trail."""
    require(actor, "manage-users")
    user = _get(session, username)
    if user.active:
        raise NoacError(f"user '{username}' is already active")
    _set_active(session, actor, user, True)


def _set_active(session: Session, actor: Actor, user: User, active: bool) -> None:
    """Enable or disable ``user``, with its audit record, and commit."""
    before = _info(session, user).__dict__
    user.active = active
    session.add(user)
    action = "enable" if active else "disable"
    after = _info(session, user).__dict__
    audit.record(session, actor, action, "user", user.username, before, after)
    session.commit()


def change_role(
    *,
    session: Session,
    actor: Actor,
    username: str,
    role: str,
    plant: Plant | None = None,
    unit: str | None = None,
) -> UserInfo:
    """Give an account another role or unit (a supervisor moving to another workshop).

    Its open sessions end for good: the identity they hold is no longer current, and its
    session generation is raised, so moving it back does not bring them back."""
    require(actor, "manage-users")
    user = _get(session, username)
    if username == actor.username:
        raise NoacError("you cannot change your own role: another administrator can")
    errors: list[str] = []
    unit_row = _role_unit(session, role, plant, unit, errors)
    if errors:
        raise NoacError("; ".join(errors))
    before = _info(session, user)
    unit_id = unit_row.id if unit_row else None
    if (user.role, user.unit_id) == (role, unit_id):
        raise NoacError(
            f"user '{username}' is {role}"
            + (f" of {before.unit}" if unit_id else "")
            + " already: nothing to change"
        )
    if user.active and user.role == "admin" and role != "admin":
        _refuse_last_admin(session, username, "giving this one another role")
    user.role, user.unit_id = role, unit_id
    user.session_generation += 1
    session.add(user)
    after = _info(session, user)
    audit.record(session, actor, "change-role", "user", username, before.__dict__, after.__dict__)
    session.commit()
    return after


def reset_password(*, session: Session, actor: Actor, username: str, password: str) -> None:
    """Set a new password and lift any sign-in lock."""
    require(actor, "manage-users")
    user = _get(session, username)
    _check_password(password)
    before = {"failed_logins": user.failed_logins, "locked_until": user.locked_until}
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    after = {"failed_logins": 0, "locked_until": None}
    audit.record(session, actor, "reset-password", "user", username, before, after)
    session.commit()


def _signing_in(session: Session, typed: str) -> User | None:
    """The account a sign-in names: the username as typed, spaces around it left out, else
    the one account whose username differs from it only in case ("Quality" for quality)."""
    name = typed.strip()
    user = session.exec(select(User).where(User.username == name)).first()
    if user is not None:
        return user
    alike = session.exec(select(User).where(_same_name(name))).all()
    return alike[0] if len(alike) == 1 else None


def authenticate(
    *, session: Session, username: str, password: str, now: datetime | None = None
) -> Actor:
    """Check a sign-in. Five failures in a row lock the account for five minutes.

    Raises
    ------
    NoacError
        With the same message for an unknown user and a wrong password.
    """
    now = now or _now()
    refused = NoacError("wrong username or password")
    user = _signing_in(session, username)
    if user is None or not user.active:
        raise refused
    username = user.username
    locked_until = stored_utc(user.locked_until)
    if locked_until is not None and locked_until > now:
        minutes = max(1, round((locked_until - now).total_seconds() / 60))
        raise NoacError(f"too many failed sign-ins: try again in {minutes} minute(s)")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        session.add(user)
        action = (
            "lock" if user.locked_until == now + timedelta(minutes=LOCK_MINUTES) else "login-failed"
        )
        audit.record(session, Actor(username, user.role), action, "user", username)
        session.commit()
        raise refused from None
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    actor = actor_for(session=session, username=username)
    audit.record(session, actor, "login", "user", username)
    session.commit()
    return actor
