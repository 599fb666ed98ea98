"""Who may do what: the one place the role rules live.

Roles: ``supervisor`` (scores and reports for his own unit, answers the
problems his unit is blamed for), ``inspector`` (reports problems at his
unit), ``quality`` (plant-wide problems, rulings, corrective actions, month
close), ``executive`` (reads everything, changes nothing), ``admin`` (master
data, users, scheme). Supervisors and inspectors act only in their unit's
plant and for their unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from noac.errors import NoacError

READ = "read"

# action -> roles allowed; unit-bound roles must also act for their own unit
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "import-master-data": ("admin",),
    "import-history": ("quality", "admin"),
    "set-scheme": ("admin",),
    "manage-users": ("admin",),
    "manage-plants": ("admin",),
    "submit-scores": ("supervisor",),
    "report-problem": ("supervisor", "inspector", "quality"),
    "attach-evidence": ("supervisor", "inspector", "quality"),
    "read-evidence": ("supervisor", "quality"),
    "answer-problem": ("supervisor",),
    "rule-problem": ("quality",),
    "plan-action": ("supervisor", "quality"),
    "move-deadline": ("quality",),
    "request-verification": ("supervisor", "quality"),
    "verify-problem": ("quality",),
    "close-month": ("quality",),
    "reopen-month": ("quality",),
    "read-audit": ("quality", "admin"),
    "restore-backup": ("admin",),
}

DESCRIPTIONS = {
    "import-master-data": "import units, routings, defect codes or service relations",
    "import-history": "import scores, handovers or quality problems",
    "set-scheme": "change the scoring scheme",
    "manage-users": "manage users",
    "manage-plants": "add or rename plants",
    "submit-scores": "submit scores",
    "report-problem": "report a quality problem",
    "attach-evidence": "attach evidence",
    "read-evidence": "read the evidence of a problem",
    "answer-problem": "accept or dispute a problem",
    "rule-problem": "rule responsibility",
    "plan-action": "enter a corrective action",
    "move-deadline": "move a deadline later",
    "request-verification": "ask for verification",
    "verify-problem": "verify a corrective action",
    "close-month": "close a month",
    "reopen-month": "reopen a month",
    "read-audit": "read the audit trail",
    "restore-backup": "restore a backup over the database",
}


@dataclass(frozen=True)
class Actor:
    """The person acting: their role, and for unit-bound roles the unit and its plant.

    ``credential`` stands for the password the identity was read with (a digest of its
    hash, ``users.actor_for``): a new password changes it, so a session signed in before
    the change holds an identity no longer current and ends. ``session_generation`` is the
    account's when the identity was read: disabling the account or changing its role or unit
    raises it, so a session signed in before ends for good, even once the account is enabled
    again or given its role back."""

    username: str
    role: str
    unit: str | None = None
    plant_id: int | None = None
    display_name: str = ""
    credential: str = field(default="", repr=False)
    session_generation: int = field(default=0, repr=False)

    @property
    def unit_bound(self) -> bool:
        return self.unit is not None


SYSTEM = Actor("system", "admin", display_name="local administrator")


def require(actor: Actor, action: str, *, plant_id: int | None = None, units: tuple = ()) -> None:
    """Refuse with a clear message unless ``actor`` may perform ``action``.

    ``units`` are the unit codes the action is done for: a supervisor or
    inspector must be one of them (e.g. the rater of a form, the unit that
    found a problem, the proposed responsible unit).
    """
    allowed = PERMISSIONS[action]
    what = DESCRIPTIONS[action]
    if actor.role not in allowed:
        raise NoacError(
            f"{actor.username} ({actor.role}) may not {what}: that is for {', '.join(allowed)}"
        )
    if actor.unit_bound:
        if plant_id is not None and actor.plant_id != plant_id:
            raise NoacError(f"{actor.username} may not {what} in another plant")
        if units and actor.unit not in units:
            raise NoacError(
                f"{actor.username} ({actor.role} of {actor.unit}) may not {what}"
                f" for {', '.join(u for u in units if u)}"
            )
