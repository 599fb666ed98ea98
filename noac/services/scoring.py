"""Monthly scores: who may score whom, submitting forms, importing scores.

A rater unit may score a ratee in a month only if the ratee supplied it that
month: the handovers recorded for the month decide when there are any;
otherwise an edge ratee -> rater of the supply graph of the routings in force
at the end of the month, or a service relation the plant listed for a
functional department.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import or_, tuple_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from noac.errors import NoacError, RowError
from noac.models import Handover, Plant, Score, ScoreHistory, ServiceRelation, Unit
from noac.scheme import Scheme
from noac.services import audit
from noac.services.access import Actor, require
from noac.services.masterdata import units_by_code
from noac.services.periods import closed_months, parse_month
from noac.services.routings import plant_supply_graph
from noac.services.schemes import active_scheme
from noac.tabular import Row
from noac.validation import check_text


def month_days(month: str) -> tuple[date, date]:
    """First and last day of a month ``YYYY-MM``.

    >>> month_days("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    year, number = int(month[:4]), int(month[5:])
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def supply_weights(*, session: Session, plant: Plant, month: str) -> dict[tuple[str, str], float]:
    """Edge weights ``(supplier, customer) -> w`` that decide who may score whom in ``month``."""
    units = units_by_code(session=session, plant=plant)
    codes = {u.id: c for c, u in units.items()}
    handovers = session.exec(
        select(Handover).where(Handover.plant_id == plant.id, Handover.month == month)
    ).all()
    if handovers:
        return {(codes[h.from_unit_id], codes[h.to_unit_id]): h.quantity for h in handovers}
    _, last = month_days(month)
    S = plant_supply_graph(session=session, plant=plant, on=last)
    weights = {(u, v): float(d["weight"]) for u, v, d in S.edges(data=True)}
    relations = session.exec(
        select(ServiceRelation)
        .join(Unit, col(Unit.id) == ServiceRelation.provider_unit_id)
        .where(Unit.plant_id == plant.id)
    )
    for relation in relations:
        key = (codes[relation.provider_unit_id], codes[relation.customer_unit_id])
        weights[key] = weights.get(key, 0.0) + relation.weight
    return weights


@dataclass
class ScoreEntry:
    """One value of a form: ``rater`` scores ``ratee`` on ``criterion`` for ``month``."""

    month: str
    rater: str
    ratee: str
    criterion: str
    value: int
    comment: str = ""


@dataclass
class ScoringRules:
    """What a score is checked against: units, scheme, closed months and supply weights."""

    session: Session
    plant: Plant
    units: dict[str, Unit] = field(init=False)
    scheme: Scheme = field(init=False)
    closed: set[str] = field(init=False)
    _weights: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.units = units_by_code(session=self.session, plant=self.plant)
        self.scheme = active_scheme(session=self.session, plant=self.plant)
        self.closed = closed_months(session=self.session, plant=self.plant)

    def weights(self, month: str) -> dict[tuple[str, str], float]:
        if month not in self._weights:
            self._weights[month] = supply_weights(
                session=self.session, plant=self.plant, month=month
            )
        return self._weights[month]

    def check(self, entry: ScoreEntry) -> list[tuple[str, str]]:
        """Every ``(field, reason)`` that forbids the entry."""
        errors: list[tuple[str, str]] = []
        try:
            parse_month(entry.month)
        except NoacError as error:
            return [("month", str(error))]
        if entry.month in self.closed:
            errors.append(("month", f"{entry.month} is closed: scores can no longer change"))
        for column, unit in (("rater", entry.rater), ("ratee", entry.ratee)):
            if unit not in self.units:
                errors.append((column, f"unknown unit '{unit}' in plant {self.plant.code}"))
        if entry.rater == entry.ratee:
            errors.append(("ratee", "a unit cannot score itself"))
        elif not errors and (entry.ratee, entry.rater) not in self.weights(entry.month):
            errors.append(
                (
                    "ratee",
                    f"{entry.ratee} did not supply {entry.rater} in {entry.month},"
                    f" so {entry.rater} cannot score it",
                )
            )
        criterion = self.scheme.criterion(entry.criterion)
        if criterion is None:
            codes = ", ".join(c.code for c in self.scheme.criteria)
            errors.append(("criterion", f"unknown criterion '{entry.criterion}' (one of {codes})"))
        elif not criterion.min <= entry.value <= criterion.max:
            errors.append(
                (
                    "value",
                    f"{entry.value} is outside the scale {criterion.min}..{criterion.max}"
                    f" of {criterion.code}",
                )
            )
        if entry.value < self.scheme.comment_below and not entry.comment.strip():
            errors.append(
                ("comment", f"a value below {self.scheme.comment_below} needs a comment saying why")
            )
        if reason := check_text(entry.comment, "the comment", 2000):
            errors.append(("comment", reason))
        return errors


def _stale_score(entry: ScoreEntry, score: Score | None) -> NoacError:
    who = f" by {score.submitted_by} at {score.submitted_at:%Y-%m-%d %H:%M}" if score else ""
    return NoacError(
        f"the {entry.criterion} score of {entry.rater} for {entry.ratee} in {entry.month}"
        f" was changed{who}: reload the form and submit again"
    )


def _store(
    session: Session,
    rules: ScoringRules,
    entries: Sequence[ScoreEntry],
    actor: Actor,
    expected_versions: Mapping[str, int] | None = None,
) -> tuple[int, int, int]:
    """Insert or replace scores, keeping replaced values in the history (no commit).

    ``expected_versions`` gives, per criterion, the version the user saw (0:
    no score yet). Every replacement is conditional on the version read, so
    two writers can never silently overwrite each other.

    Returns (created, updated, unchanged).
    """
    now = datetime.now(UTC)
    created = updated = unchanged = 0
    try:
        with session.no_autoflush:
            for entry in entries:
                rater, ratee = rules.units[entry.rater].id, rules.units[entry.ratee].id
                score = session.exec(
                    select(Score).where(
                        Score.plant_id == rules.plant.id,
                        Score.month == entry.month,
                        Score.rater_unit_id == rater,
                        Score.ratee_unit_id == ratee,
                        Score.criterion == entry.criterion,
                    )
                ).first()
                expected = (expected_versions or {}).get(entry.criterion)
                if expected is not None and expected != (score.version if score else 0):
                    raise _stale_score(entry, score)
                comment = entry.comment.strip()
                if score is None:
                    session.add(
                        Score(
                            plant_id=rules.plant.id,
                            month=entry.month,
                            rater_unit_id=rater,
                            ratee_unit_id=ratee,
                            criterion=entry.criterion,
                            value=entry.value,
                            comment=comment,
                            submitted_by=actor.username,
                            submitted_at=now,
                        )
                    )
                    created += 1
                    continue
                if (score.value, score.comment) == (entry.value, comment):
                    unchanged += 1
                    continue
                session.add(
                    ScoreHistory(
                        score_id=score.id,
                        value=score.value,
                        comment=score.comment,
                        version=score.version,
                        submitted_by=score.submitted_by,
                        submitted_at=score.submitted_at,
                        replaced_at=now,
                    )
                )
                replaced = session.exec(
                    update(Score)
                    .where(col(Score.id) == score.id, col(Score.version) == score.version)
                    .values(
                        value=entry.value,
                        comment=comment,
                        version=score.version + 1,
                        submitted_by=actor.username,
                        submitted_at=now,
                    )
                )
                if replaced.rowcount != 1:
                    current = session.exec(
                        select(Score)
                        .where(col(Score.id) == score.id)
                        .execution_options(populate_existing=True)
                    ).one()
                    raise _stale_score(entry, current)
                updated += 1
        session.flush()
    except IntegrityError:
        raise NoacError(
            "another submission of the same scores arrived at the same moment:"
            " reload the form and submit again"
        ) from None
    return created, updated, unchanged


def submit_form(
    *,
    session: Session,
    plant: Plant,
    month: str,
    rater: str,
    ratee: str,
    values: Mapping[str, int],
    actor: Actor,
    comments: Mapping[str, str] | None = None,
    expected_versions: Mapping[str, int] | None = None,
) -> tuple[int, int, int]:
    """Submit a rater's form for one ratee: one value per criterion of the scheme.

    A form must score every criterion. Re-submitting while the month is open
    replaces the values and keeps the old ones in the history.
    ``expected_versions`` (criterion -> version the user saw) refuses a write
    based on a stale form.

    Raises
    ------
    NoacError
        Naming every refused field; nothing is written.
    """
    require(actor, "submit-scores", plant_id=plant.id, units=(rater,))
    rules = ScoringRules(session, plant)
    comments = comments or {}
    missing = [c.code for c in rules.scheme.criteria if c.code not in values]
    errors = [("criterion", f"the form has no value for {code}") for code in missing]
    entries = [
        ScoreEntry(month, rater, ratee, criterion, value, comments.get(criterion, ""))
        for criterion, value in values.items()
    ]
    for entry in entries:
        errors += [(f"{entry.criterion}.{name}", reason) for name, reason in rules.check(entry)]
    if errors:
        unique = list(dict.fromkeys(f"{name}: {reason}" for name, reason in errors))
        raise NoacError("; ".join(unique))
    before = {
        f.ratee: f.values
        for f in forms(session=session, plant=plant, months=[month])
        if f.rater == rater and f.ratee == ratee
    }.get(ratee)
    try:
        result = _store(session, rules, entries, actor, expected_versions)
        after = {e.criterion: e.value for e in entries}
        comments_given = {e.criterion: e.comment.strip() for e in entries if e.comment.strip()}
        audit.record(
            session,
            actor,
            "submit",
            "form",
            f"{plant.code}/{month}/{rater}/{ratee}",
            before,
            {"values": after, "comments": comments_given},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def validate_score_rows(
    rows: Sequence[Row], rules: ScoringRules
) -> tuple[list[ScoreEntry], list[RowError]]:
    """Check the rows of a scores file."""
    errors: list[RowError] = []
    entries: list[ScoreEntry] = []
    first: dict[tuple, int] = {}
    for row in rows:
        value_text = row["value"]
        try:
            value = int(value_text)
        except ValueError:
            errors.append(RowError(row.number, "value", f"'{value_text}' is not a whole number"))
            continue
        entry = ScoreEntry(
            row["month"], row["rater"], row["ratee"], row["criterion"], value, row["comment"]
        )
        key = (entry.month, entry.rater, entry.ratee, entry.criterion)
        if key in first:
            errors.append(
                RowError(row.number, "criterion", f"the same score is already in row {first[key]}")
            )
        first.setdefault(key, row.number)
        errors += [RowError(row.number, name, reason) for name, reason in rules.check(entry)]
        entries.append(entry)
    return entries, errors


def store_score_entries(
    *, session: Session, rules: ScoringRules, entries: Sequence[ScoreEntry], actor: Actor
) -> tuple[int, int, int]:
    return _store(session, rules, entries, actor)


@dataclass
class Form:
    """What one rater gave one ratee in a month."""

    month: str
    rater: str
    ratee: str
    values: dict[str, int]
    comments: dict[str, str]
    versions: dict[str, int]
    complete: bool
    score: float | None


def form_score(scheme: Scheme, values: Mapping[str, int]) -> float | None:
    """F = sum_k w_k * 100 * (v_k - min_k) / (max_k - min_k) / sum_k w_k; None if incomplete.

    >>> from noac.scheme import load_scheme_file
    >>> form_score(load_scheme_file(), {"quality": 8, "delivery": 10, "service": 6, "handover": 5})
    76.5
    """
    return _form_scorer(scheme)(values)


def _form_scorer(scheme: Scheme) -> Callable[[Mapping[str, int]], float | None]:
    """``form_score`` with the scheme's terms worked out once, for scoring many forms."""
    terms = [(c.code, c.weight * 100, c.min, c.max - c.min) for c in scheme.criteria]
    total = sum(c.weight for c in scheme.criteria)

    def score(values: Mapping[str, int]) -> float | None:
        if any(code not in values for code, _, _, _ in terms):
            return None
        weighted = sum(weight * (values[code] - low) / span for code, weight, low, span in terms)
        return round(weighted / total, 10)

    return score


def forms(
    *, session: Session, plant: Plant, months: Sequence[str], scheme: Scheme | None = None
) -> list[Form]:
    """Every form (rater, ratee) of the given months, complete or not."""
    scheme = scheme or active_scheme(session=session, plant=plant)
    return plants_forms(session=session, schemes={plant.id: scheme}, months=months)[plant.id]


def plants_forms(
    *,
    session: Session,
    schemes: Mapping[int, Scheme],
    months: Sequence[str],
    raters: Collection[int] = (),
    pairs: Collection[tuple[int, int]] = (),
) -> dict[int, list[Form]]:
    """The forms of the given months of each plant (by plant id, with its scheme), read at
    once, sorted by month, rater and ratee. Given ``raters`` or (rater, ratee) ``pairs``
    (unit ids), only their forms."""
    ids = list(schemes)
    units = select(Unit.id, Unit.code).where(col(Unit.plant_id).in_(ids))
    codes = dict(session.connection().execute(units).all())
    statement = select(
        Score.plant_id,
        Score.month,
        Score.rater_unit_id,
        Score.ratee_unit_id,
        Score.criterion,
        Score.value,
        Score.comment,
        Score.version,
    ).where(col(Score.plant_id).in_(ids), col(Score.month).in_(months))
    if raters or pairs:
        statement = statement.where(
            or_(
                col(Score.rater_unit_id).in_(raters),
                tuple_(Score.rater_unit_id, Score.ratee_unit_id).in_(pairs),
            )
        )
    grouped: dict[tuple[int, str, str, str], list[tuple[str, int, str, int]]] = defaultdict(list)
    rows = session.connection().execute(statement).all()
    for plant_id, month, rater, ratee, criterion, value, comment, version in rows:
        grouped[(plant_id, month, codes[rater], codes[ratee])].append(
            (criterion, value, comment, version)
        )
    known = {plant_id: {c.code for c in scheme.criteria} for plant_id, scheme in schemes.items()}
    scorers = {plant_id: _form_scorer(scheme) for plant_id, scheme in schemes.items()}
    result: dict[int, list[Form]] = {plant_id: [] for plant_id in ids}
    for (plant_id, month, rater, ratee), scores in sorted(grouped.items()):
        criteria = known[plant_id]
        values = {criterion: value for criterion, value, _, _ in scores if criterion in criteria}
        score = scorers[plant_id](values)
        result[plant_id].append(
            Form(
                month=month,
                rater=rater,
                ratee=ratee,
                values=values,
                comments={criterion: comment for criterion, _, comment, _ in scores if comment},
                versions={criterion: version for criterion, _, _, version in scores},
                complete=score is not None,
                score=score,
            )
        )
    return result
