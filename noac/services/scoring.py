"""Monthly scores: who may score whom, submitting forms, importing scores.

A rater unit may score a ratee in a month only if the ratee supplied it that
month: the handovers recorded for the month decide when there are any;
otherwise an edge ratee -> rater of the supply graph of the routings in force
at the end of the month, or a service relation in force then that the plant
listed for a functional department.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import compress, repeat
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    text,
)
from sqlalchemy import column as sql_column
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from noac.errors import NoacError, RowError
from noac.models import Handover, Plant, Score, ScoreHistory, Unit, local_time
from noac.scheme import Scheme
from noac.services import audit
from noac.services.access import Actor, require
from noac.services.bulk import copies, copy_rows
from noac.services.masterdata import units_by_code
from noac.services.periods import ClosedMonths, lock_closed_months, month_of, parse_month
from noac.services.relations import service_weights
from noac.services.routings import plant_supply_graphs
from noac.services.schemes import active_scheme, incomplete_note, month_schemes
from noac.tabular import Table
from noac.validation import check_text, parse_whole

MAX_COMMENT = 2000


def month_days(month: str) -> tuple[date, date]:
    """First and last day of a month ``YYYY-MM``.

    >>> month_days("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    year, number = int(month[:4]), int(month[5:])
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def supply_weights(*, session: Session, plant: Plant, month: str) -> dict[tuple[str, str], float]:
    """Edge weights ``(supplier, customer) -> w`` that decide who may score whom in ``month``."""
    return months_supply_weights(session=session, plant=plant, months=[month])[month]


def months_supply_weights(
    *, session: Session, plant: Plant, months: Iterable[str]
) -> dict[str, dict[tuple[str, str], float]]:
    """``supply_weights`` of each of ``months``, their handovers read at once."""
    result: dict[str, dict[tuple[str, str], float]] = {month: {} for month in months}
    codes = {u.id: c for c, u in units_by_code(session=session, plant=plant).items()}
    handovers = select(
        Handover.month, Handover.from_unit_id, Handover.to_unit_id, Handover.quantity
    ).where(Handover.plant_id == plant.id, col(Handover.month).in_(result))
    for month, supplier, customer, quantity in session.connection().execute(handovers).all():
        result[month][(codes[supplier], codes[customer])] = quantity
    without_handovers = [month for month, weights in result.items() if not weights]
    if not without_handovers:
        return result
    last_days = {month: month_days(month)[1] for month in without_handovers}
    graphs = plant_supply_graphs(session=session, plant=plant, days=set(last_days.values()))
    services = service_weights(session=session, plant=plant, days=set(last_days.values()))
    for month, last in last_days.items():
        S = graphs[last]
        weights = result[month] = {(u, v): float(d["weight"]) for u, v, d in S.edges(data=True)}
        for key, weight in services[last].items():
            weights[key] = weights.get(key, 0.0) + weight
    return result


class ScoreEntry(NamedTuple):
    """One value of a form: ``rater`` scores ``ratee`` on ``criterion`` for ``month``; a
    file's ``value`` that is not a whole number is checked as its text."""

    month: str
    rater: str
    ratee: str
    criterion: str
    value: int
    comment: str = ""


ScoreValues = tuple[str, str, str, str, int, str]
"""The fields of a ``ScoreEntry``, in its order, as a plain tuple."""


class ScoreColumns(NamedTuple):
    """Accepted scores column by column: the fields of ``ScoreEntry`` (comments stripped),
    then the raters' and ratees' unit ids, each a sequence of the same length. The form the
    thousands of rows of a scores file take from validation to storage, without a tuple
    per row."""

    months: Sequence[str]
    raters: Sequence[str]
    ratees: Sequence[str]
    criteria: Sequence[str]
    values: Sequence[int]
    comments: Sequence[str]
    rater_ids: Sequence[int]
    ratee_ids: Sequence[int]

    @classmethod
    def of(cls, entries: Iterable[ScoreValues], ids: Mapping[str, int]) -> ScoreColumns:
        """The columns of ``entries`` whose units are all in ``ids`` (unit ids by code)."""
        columns = list(zip(*entries, strict=True)) or [()] * 6
        months, raters, ratees, criteria, values, comments = columns
        return cls(
            months,
            raters,
            ratees,
            criteria,
            values,
            tuple(map(str.strip, comments)),
            tuple(map(ids.__getitem__, raters)),
            tuple(map(ids.__getitem__, ratees)),
        )


def _not_whole(value: object) -> str:
    """Why a value that is not a whole number is refused, a file's cell '9.5' as a form's 9.5:
    the scales hold whole numbers only."""
    if value == "":
        return "no value given"
    return f"'{value}' is not a whole number"


def _is_month(text: str) -> bool:
    try:
        parse_month(text)
    except NoacError:
        return False
    return True


@dataclass
class ScoringRules:
    """What a score is checked against: units, scheme, closed months, supply weights and
    ``today``, whose month is the last that can be scored."""

    session: Session
    plant: Plant
    today: date = field(default_factory=date.today)
    units: dict[str, Unit] = field(init=False)
    unit_ids: dict[str, int] = field(init=False)
    scheme: Scheme = field(init=False)
    closed: ClosedMonths = field(init=False)
    _weights: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.units = units_by_code(session=self.session, plant=self.plant)
        self.unit_ids = {code: unit.id for code, unit in self.units.items()}
        self.scheme = active_scheme(session=self.session, plant=self.plant)
        self.closed = lock_closed_months(session=self.session, plant=self.plant)
        self.current = month_of(self.today)

    def _load_weights(self, months: Iterable[str]) -> None:
        missing = [month for month in months if month not in self._weights]
        if missing:
            self._weights.update(
                months_supply_weights(session=self.session, plant=self.plant, months=missing)
            )

    def weights(self, month: str) -> dict[tuple[str, str], float]:
        self._load_weights([month])
        return self._weights[month]

    def allowed(self, months: Iterable[str]) -> dict[tuple[str, int], frozenset[int]]:
        """Per ``(month, ratee id)`` of ``months``, the ids of the raters ``check`` lets score
        it: an open month that has begun, two different units of the plant, the ratee supplied
        the rater that month (``rater_id in allowed.get((month, ratee_id), ())``). The handovers
        come as one row per month and supplier, its customers in one text (a plant's tens of
        thousands of handovers in a few thousand rows, and as many sets); only a month without
        any goes through ``months_supply_weights``."""
        open_months = sorted(
            m for m in set(months) if m not in self.closed and _is_month(m) and m <= self.current
        )
        handed = (
            select(
                Handover.month,
                Handover.from_unit_id,
                func.aggregate_strings(cast(Handover.to_unit_id, String), ","),
            )
            .where(Handover.plant_id == self.plant.id, col(Handover.month).in_(open_months))
            .group_by(Handover.month, Handover.from_unit_id)
        )
        rows = self.session.connection().execute(handed).all()
        result = {
            (month, supplier): frozenset(map(int, customers.split(",")))
            for month, supplier, customers in rows
        }
        with_handovers = {month for month, _, _ in rows}
        without = [month for month in open_months if month not in with_handovers]
        if without:
            self._load_weights(without)
            ids = self.unit_ids
            raters: dict[tuple[str, int], set[int]] = defaultdict(set)
            for month in without:
                for ratee, rater in self._weights[month]:
                    if rater != ratee and rater in ids and ratee in ids:
                        raters[(month, ids[ratee])].add(ids[rater])
            result.update((key, frozenset(ids_)) for key, ids_ in raters.items())
        return result

    def check(self, entry: ScoreEntry) -> list[tuple[str, str]]:
        """Every ``(field, reason)`` that forbids the entry."""
        errors: list[tuple[str, str]] = []
        value_errors: list[tuple[str, str]] = []
        if parse_whole(str(entry.value)) is None:
            value_errors.append(("value", _not_whole(entry.value)))
        try:
            parse_month(entry.month)
        except NoacError as error:
            return [("month", str(error)), *value_errors]
        if entry.month in self.closed.months:
            errors.append(
                (
                    "month",
                    f"{entry.month} is closed: scores can no longer change unless the quality"
                    " department reopens it",
                )
            )
        elif entry.month in self.closed:
            errors.append(
                (
                    "month",
                    f"{entry.month} is before {self.closed.last}, the last closed month: months"
                    " close in order, so it takes no scores",
                )
            )
        if entry.month > self.current:
            errors.append(
                ("month", f"{entry.month} has not begun: it can be scored from {entry.month}-01")
            )
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
        if value_errors:
            errors += value_errors
        elif criterion is not None and not criterion.min <= entry.value <= criterion.max:
            errors.append(
                (
                    "value",
                    f"{entry.value} is outside the scale {criterion.min}..{criterion.max}"
                    f" of {criterion.label()}",
                )
            )
        if (
            not isinstance(entry.value, str)
            and entry.value < self.scheme.comment_below
            and not entry.comment.strip()
        ):
            errors.append(
                ("comment", f"a value below {self.scheme.comment_below} needs a comment saying why")
            )
        if reason := check_text(entry.comment, "the comment", MAX_COMMENT):
            errors.append(("comment", reason))
        return errors


def _stale_score(
    entry: ScoreEntry, changed: tuple[str, datetime] | None, scheme: Scheme
) -> NoacError:
    who = f" by {changed[0]} at {local_time(changed[1]):%Y-%m-%d %H:%M}" if changed else ""
    criterion = scheme.criterion(entry.criterion).label()
    return NoacError(
        f"the {criterion} score of {entry.rater} for {entry.ratee} in {entry.month}"
        f" was changed{who}: reload the form and submit again"
    )


class _StoredScore(NamedTuple):
    id: int
    version: int
    value: int
    comment: str
    submitted_by: str
    submitted_at: datetime


_NEW_SCORE_VALUES = ("month", "rater_unit_id", "ratee_unit_id", "criterion", "value", "comment")
"""The columns of a new score that vary from row to row; the plant, the version (1), the
author and the time are those of the whole submission."""


def _stored_scores(
    session: Session, plant: Plant, scores: ScoreColumns
) -> dict[tuple[str, int, int, str], _StoredScore]:
    """The stored scores ``scores`` may replace, by (month, rater id, ratee id, criterion).

    A file of new months is told by its months alone, before its raters and ratees are
    gathered (a tenth of its import's checks)."""
    in_months = (Score.plant_id == plant.id, col(Score.month).in_(sorted(set(scores.months))))
    connection = session.connection()
    if connection.execute(select(Score.id).where(*in_months).limit(1)).first() is None:
        return {}
    statement = select(
        Score.month,
        Score.rater_unit_id,
        Score.ratee_unit_id,
        Score.criterion,
        Score.id,
        Score.version,
        Score.value,
        Score.comment,
        Score.submitted_by,
        Score.submitted_at,
    ).where(
        *in_months,
        col(Score.rater_unit_id).in_(sorted(set(scores.rater_ids))),
        col(Score.ratee_unit_id).in_(sorted(set(scores.ratee_ids))),
    )
    return {tuple(row[:4]): _StoredScore(*row[4:]) for row in connection.execute(statement)}


def _literals(connection, table, values: Mapping[str, object]) -> str:
    """``values`` (by column of ``table``) as SQL literals of their columns' types, joined by
    commas: what a statement writes into every row, sent once instead of bound to each
    (280,000 scores took 8 % longer to insert with them bound to every row). Rendered for this
    driver: where it reads placeholders a "%" is doubled, so every statement they are written
    into runs with parameters (none at all for some)."""
    return ", ".join(
        str(
            literal(value, table.c[name].type).compile(
                dialect=connection.dialect, compile_kwargs={"literal_binds": True}
            )
        )
        for name, value in values.items()
    )


def _mark(connection) -> str:
    """The driver's placeholder for one parameter."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _copy(connection, table: str, columns: str, rows: list[tuple]) -> None:
    """``rows`` copied into ``table``, a new temporary table of the ``columns`` of
    ``score``."""
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {table} AS SELECT {columns} FROM score WITH NO DATA"
    )
    copy_rows(connection, table, columns.split(", "), rows)


def _insert_scores(
    session: Session, plant_id: int, username: str, now: datetime, rows: list[tuple]
) -> None:
    """Insert new scores of one submission (values in ``_NEW_SCORE_VALUES`` order) in one
    statement.

    Only what varies is sent row by row: the plant, version, author and time are written
    into the statement once (``_literals``). On PostgreSQL the rows of a file are first
    copied (``COPY``, the fastest way in) into a temporary table: the insert from there is
    an ordinary statement, so a conflict with another writer is refused like any other.
    """
    connection = session.connection()
    constants = {"plant_id": plant_id, "version": 1, "submitted_by": username, "submitted_at": now}
    fixed = _literals(connection, Score.__table__, constants)
    columns = ", ".join([*constants, *_NEW_SCORE_VALUES])
    values = ", ".join(_NEW_SCORE_VALUES)
    if copies(connection, rows):
        _copy(connection, "new_score", values, rows)
        connection.exec_driver_sql(
            f"INSERT INTO score ({columns}) SELECT {fixed}, {values} FROM new_score", ()
        )
        connection.exec_driver_sql("DROP TABLE new_score")
        return
    marks = ", ".join([_mark(connection)] * len(_NEW_SCORE_VALUES))
    connection.exec_driver_sql(f"INSERT INTO score ({columns}) VALUES ({fixed}, {marks})", rows)


def _store(
    session: Session,
    rules: ScoringRules,
    scores: ScoreColumns,
    actor: Actor,
    expected_versions: Mapping[str, int] | None = None,
) -> tuple[int, int, int]:
    """Insert or replace scores, keeping replaced values in the history (no commit).

    ``expected_versions`` gives, per criterion, the version the user saw (0:
    no score yet). The stored scores are read at once and the new ones inserted
    at once; every replacement is conditional on the version read, so two
    writers can never silently overwrite each other.

    Returns (created, updated, unchanged).
    """
    now = datetime.now(UTC)
    plant_id, username = rules.plant.id, actor.username
    expected = expected_versions or {}
    stored = _stored_scores(session, rules.plant, scores) if scores.months else {}
    replaced: list[tuple[ScoreEntry, _StoredScore]] = []
    unchanged = 0
    new: list[tuple] = []
    if not stored and not expected:  # all new: the rows made column by column
        new = list(
            zip(
                scores.months,
                scores.rater_ids,
                scores.ratee_ids,
                scores.criteria,
                scores.values,
                scores.comments,
                strict=True,
            )
        )
    else:
        for month, rater, ratee, criterion, value, comment, rater_id, ratee_id in zip(
            *scores, strict=True
        ):
            score = stored.get((month, rater_id, ratee_id, criterion))
            seen = expected.get(criterion)
            if seen is not None and seen != (score.version if score else 0):
                entry = ScoreEntry(month, rater, ratee, criterion, value, comment)
                raise _stale_score(entry, score[4:] if score else None, rules.scheme)
            if score is None:
                new.append((month, rater_id, ratee_id, criterion, value, comment))
                continue
            if (score.value, score.comment) == (value, comment):
                unchanged += 1
            else:
                replaced.append((ScoreEntry(month, rater, ratee, criterion, value, comment), score))
    try:
        if replaced:
            _replace_scores(session, rules, replaced, username, now)
        if new:
            _insert_scores(session, plant_id, username, now, new)
    except IntegrityError:
        raise NoacError(
            "another submission of the same scores arrived at the same moment:"
            " reload the form and submit again"
        ) from None
    return len(new), len(replaced), unchanged


def _replace_scores(
    session: Session,
    rules: ScoringRules,
    replaced: list[tuple[ScoreEntry, _StoredScore]],
    username: str,
    now: datetime,
) -> None:
    """Keep the replaced values in the history and write the new ones, each conditional on
    the version read: when another writer changed one since, refuse naming who did.

    The history copies the stored rows as the database holds them, and only each score's
    id, version read and new values are sent, the rest written in once (``_literals``):
    through the ORM, binding every value of 45,000 replacements took 4 s. On PostgreSQL
    the replacements of a file are copied into a temporary table and both statements run
    once for all of them (90,000 statements in a pipeline took 5.7 s)."""
    connection = session.connection()
    replaced_at = _literals(connection, ScoreHistory.__table__, {"replaced_at": now})
    submitted_by = _literals(connection, Score.__table__, {"submitted_by": username})
    submitted_at = _literals(connection, Score.__table__, {"submitted_at": now})
    history = (
        "INSERT INTO score_history"
        " (score_id, value, comment, version, submitted_by, submitted_at, replaced_at)"
        " SELECT score.id, score.value, score.comment, score.version, score.submitted_by,"
        f" score.submitted_at, {replaced_at} FROM score"
    )
    author = (
        f"version = score.version + 1, submitted_by = {submitted_by}, submitted_at = {submitted_at}"
    )
    rows = [(score.id, score.version, entry.value, entry.comment) for entry, score in replaced]
    if copies(connection, rows):
        _copy(connection, "changed_score", "id, version, value, comment", rows)
        matched = "score.id = changed.id AND score.version = changed.version"
        connection.exec_driver_sql(f"{history} JOIN changed_score AS changed ON {matched}", ())
        written = connection.exec_driver_sql(
            f"UPDATE score SET value = changed.value, comment = changed.comment, {author}"
            f" FROM changed_score AS changed WHERE {matched}",
            (),
        )
        connection.exec_driver_sql("DROP TABLE changed_score")
    else:
        mark = _mark(connection)
        matched = f"score.id = {mark} AND score.version = {mark}"
        connection.exec_driver_sql(
            f"{history} WHERE {matched}", [(id_, version) for id_, version, *_ in rows]
        )
        written = connection.exec_driver_sql(
            f"UPDATE score SET value = {mark}, comment = {mark}, {author} WHERE {matched}",
            [(value, comment, id_, version) for id_, version, value, comment in rows],
        )
    if written.rowcount != len(replaced):
        ours = set(
            session.exec(
                select(Score.id).where(
                    Score.plant_id == rules.plant.id,
                    Score.submitted_by == username,
                    Score.submitted_at == now,
                )
            )
        )
        entry, score = next((e, s) for e, s in replaced if s.id not in ours)
        changed = session.exec(
            select(Score.submitted_by, Score.submitted_at).where(Score.id == score.id)
        ).one()
        raise _stale_score(entry, tuple(changed), rules.scheme)


FORM_FIELDS = ("month", "rater", "ratee", "criterion")
"""The fields a reason names on their own, once for the whole form (``month: ...``): those
every criterion of a form shares, and the criterion, whose reasons name it themselves. A
reason about another field names the criterion as the form shows it
(``Quality (quality), value: ...``)."""


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
    today: date | None = None,
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
    rules = ScoringRules(session, plant, today or date.today())
    comments = comments or {}
    missing = [c for c in rules.scheme.criteria if c.code not in values]
    errors = [("criterion", f"the form has no value for {c.label()}") for c in missing]
    entries = [
        ScoreEntry(month, rater, ratee, criterion, value, comments.get(criterion, ""))
        for criterion, value in values.items()
    ]
    for entry in entries:
        criterion = rules.scheme.criterion(entry.criterion)
        shown = entry.criterion if criterion is None else criterion.label()
        errors += [
            (name if name in FORM_FIELDS else f"{shown}, {name}", reason)
            for name, reason in rules.check(entry)
        ]
    if errors:
        session.rollback()
        unique = list(dict.fromkeys(f"{name}: {reason}" for name, reason in errors))
        raise NoacError("; ".join(unique))
    before = {
        f.ratee: f.values
        for f in forms(session=session, plant=plant, months=[month])
        if f.rater == rater and f.ratee == ratee
    }.get(ratee)
    try:
        scores = ScoreColumns.of(entries, rules.unit_ids)
        result = _store(session, rules, scores, actor, expected_versions)
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


SCORE_COLUMNS = ("month", "rater", "ratee", "criterion", "value", "comment")


def _stored_comments(rules: ScoringRules, keys: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """The comment stored for the score of each row (``keys``: the columns month, rater,
    ratee and criterion), "" where there is none."""
    months, raters, ratees, criteria = keys
    codes = {unit.id: code for code, unit in rules.units.items()}
    statement = select(
        Score.month, Score.rater_unit_id, Score.ratee_unit_id, Score.criterion, Score.comment
    ).where(
        Score.plant_id == rules.plant.id,
        col(Score.month).in_(sorted(set(months))),
        Score.comment != "",
    )
    stored = {
        (month, codes[rater], codes[ratee], criterion): comment
        for month, rater, ratee, criterion, comment in rules.session.connection().execute(statement)
    }
    return tuple(map(stored.get, zip(*keys, strict=True), repeat("")))


def validate_score_rows(rows: Table, rules: ScoringRules) -> tuple[ScoreColumns, list[RowError]]:
    """Check the rows of a scores file.

    A file without a comment column leaves the stored comments as they are: its rows are
    checked and stored with them. The file is first checked column by column
    (``_accepted_at_once``); when any row may break a rule, every row is checked in turn: a
    row passing the lookups built for the whole file (``ScoringRules.allowed``, the scales,
    the comment rule) is accepted at once, any other gets its reasons from
    ``ScoringRules.check``.
    """
    columns = rows.columns(SCORE_COLUMNS)
    if "comment" in rows.absent:
        columns[-1] = _stored_comments(rules, columns[:4])
    accepted = _accepted_at_once(columns, rules)
    if accepted is not None:
        return accepted, []
    cells = list(zip(*columns, strict=True))
    errors: list[RowError] = []
    entries: list[ScoreValues] = []
    first: dict[tuple[str, str, str, str], int] = {}
    allowed = rules.allowed({cell[0] for cell in cells})  # the months
    ids = rules.unit_ids
    scales = {c.code: range(c.min, c.max + 1) for c in rules.scheme.criteria}
    comment_below = rules.scheme.comment_below
    numbers: dict[str, int | None] = {}
    for number, (month, rater, ratee, criterion, value_text, comment) in zip(
        rows.numbers, cells, strict=True
    ):
        if value_text not in numbers:
            numbers[value_text] = parse_whole(value_text)
        value = numbers[value_text]
        first_number = first.setdefault((month, rater, ratee, criterion), number)
        if first_number != number:
            errors.append(
                RowError(number, "criterion", f"the same score is already in row {first_number}")
            )
        entry = (month, rater, ratee, criterion, value_text if value is None else value, comment)
        if value is None or not (
            ids.get(rater) in allowed.get((month, ids.get(ratee)), ())
            and value in scales.get(criterion, ())
            and (value >= comment_below or comment.strip())
            and not (comment and check_text(comment, "the comment", MAX_COMMENT))
        ):
            errors += [
                RowError(number, name, reason) for name, reason in rules.check(ScoreEntry(*entry))
            ]
        entries.append(entry)
    return ScoreColumns.of(() if errors else entries, ids), errors


def _factorized(column: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's position among the column's distinct values, and those values."""
    at, distinct = pd.factorize(np.array(column, dtype=object))
    return at.astype(np.int64), distinct


def _accepted_at_once(columns: Sequence[Sequence[str]], rules: ScoringRules) -> ScoreColumns | None:
    """The scores of a file's ``columns`` (those of ``SCORE_COLUMNS``) when every row
    passes every rule, or None.

    Each rule is checked over whole columns: a value text, a comment, a (criterion, value)
    pair, a form (month, rater, ratee) is checked once however many rows repeat it, and the
    lookups run over the columns zipped or numbered (pandas), with no Python step per row:
    a file of tens of thousands of scores is checked in a few milliseconds. None means some
    row may break a rule, and says nothing of which.
    """
    months, raters, ratees, criteria, texts, comments = columns
    if not months:
        return ScoreColumns.of((), rules.unit_ids)
    numbers = {value_text: parse_whole(value_text) for value_text in set(texts)}
    if None in numbers.values():
        return None
    values = list(map(numbers.__getitem__, texts))
    (month_at, month_of), (rater_at, rater_of), (ratee_at, ratee_of), (criterion_at, kinds) = map(
        _factorized, (months, raters, ratees, criteria)
    )
    if len(month_of) * len(rater_of) * len(ratee_of) * len(kinds) >= 2**62:
        return None  # too many distinct values to number every score in 64 bits
    # each row's form (month, rater, ratee) and score (form, criterion) as one number
    form = (month_at * len(rater_of) + rater_at) * len(ratee_of) + ratee_at
    if len(pd.unique(form * len(kinds) + criterion_at)) != len(form):
        return None  # a score repeated
    ids = rules.unit_ids
    forms = pd.unique(form)
    rater_id_of = np.array([ids.get(code, -1) for code in rater_of])  # -1: no such unit
    ratee_id_of = np.array([ids.get(code, -1) for code in ratee_of])
    rest, ratee_index = np.divmod(forms, len(ratee_of))
    month_index, rater_index = np.divmod(rest, len(rater_of))
    allowed = rules.allowed(set(month_of))
    if not all(
        rater in allowed.get((month, ratee), ())
        for month, rater, ratee in zip(
            month_of[month_index].tolist(),
            rater_id_of[rater_index].tolist(),
            ratee_id_of[ratee_index].tolist(),
            strict=True,
        )
    ):
        return None
    scales = {c.code: range(c.min, c.max + 1) for c in rules.scheme.criteria}
    if not scales.keys() >= set(criteria):
        return None
    if len(set(scales.values())) == 1:  # one scale for every criterion: its bounds suffice
        scale = scales[criteria[0]]
        if min(values) not in scale or max(values) not in scale:
            return None
    elif any(v not in scales[c] for c, v in set(zip(criteria, values, strict=True))):
        return None
    below = rules.scheme.comment_below
    if min(values) < below:  # every low value has a comment
        low = compress(comments, map(below.__gt__, values))
        if not all(map(str.strip, low)):
            return None
    if any(text and check_text(text, "the comment", MAX_COMMENT) for text in set(comments)):
        return None
    return ScoreColumns(
        months,
        raters,
        ratees,
        criteria,
        values,
        comments,  # stripped by read_table
        rater_id_of[rater_at].tolist(),
        ratee_id_of[ratee_at].tolist(),
    )


def store_score_entries(
    *,
    session: Session,
    rules: ScoringRules,
    scores: ScoreColumns,
    actor: Actor,
) -> tuple[int, int, int]:
    return _store(session, rules, scores, actor)


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


class FormScore(NamedTuple):
    """A complete form as the month close uses it: its score F, and whether every criterion
    got the scale's maximum."""

    month: str
    rater: str
    ratee: str
    score: float
    top: bool


def form_scores(
    *,
    session: Session,
    schemes: Mapping[int, Scheme],
    months: Sequence[str],
    raters: Collection[int] = (),
    pairs: Collection[tuple[int, int, int]] = (),
) -> dict[int, list[FormScore]]:
    """The complete forms of the given months of each plant (by plant id, with its scheme),
    scored by the database (one ``GROUP BY`` per scheme in force), sorted by month, rater and
    ratee; the same scores as ``form_score``. Given ``raters`` (unit ids) or ``pairs``
    (plant id, rater id, ratee id), only their forms."""
    ids = list(schemes)
    units = select(Unit.id, Unit.code).where(col(Unit.plant_id).in_(ids))
    codes = dict(session.connection().execute(units).all())
    by_scheme: dict[str, list[int]] = defaultdict(list)
    for plant_id, scheme in schemes.items():
        by_scheme[scheme.content_hash].append(plant_id)
    result: dict[int, list[FormScore]] = {plant_id: [] for plant_id in ids}
    sqlite = session.get_bind().dialect.name == "sqlite"
    for plant_ids in by_scheme.values():
        scheme = schemes[plant_ids[0]]
        known = [c.code for c in scheme.criteria]
        term = case(
            {
                c.code: literal(c.weight * 100.0)
                * (Score.value - c.min)
                / literal(float(c.max - c.min))
                for c in scheme.criteria
            },
            value=Score.criterion,
        )
        top = case(
            *((and_(Score.criterion == c.code, Score.value == c.max), 1) for c in scheme.criteria),
            (col(Score.criterion).in_(known), 0),
        )
        statement = select(
            Score.plant_id,
            Score.month,
            Score.rater_unit_id,
            Score.ratee_unit_id,
            func.sum(term),
            func.count(case((col(Score.criterion).in_(known), 1))),
            func.min(top),
        ).group_by(Score.plant_id, Score.month, Score.rater_unit_id, Score.ratee_unit_id)
        wanted = [pair for pair in pairs if pair[0] in plant_ids]
        statements = _restricted(statement, plant_ids, months, raters, wanted, sqlite)
        total = sum(c.weight for c in scheme.criteria)
        found = {
            (plant_id, month, rater, ratee): (weighted, count, all_top)
            for statement in statements
            for plant_id, month, rater, ratee, weighted, count, all_top in (
                session.connection().execute(statement).all()
            )
        }
        for (plant_id, month, rater, ratee), (weighted, count, all_top) in found.items():
            if count == len(known):
                result[plant_id].append(
                    FormScore(
                        month, codes[rater], codes[ratee], round(weighted / total, 10), all_top == 1
                    )
                )
    for forms_of_plant in result.values():
        forms_of_plant.sort()
    return result


def _restricted(
    statement, plant_ids: list[int], months: Sequence[str], raters, pairs, sqlite: bool
) -> list:
    """``statement`` (on ``score``) for the plants and months given; with ``raters`` or
    (plant, rater, ratee) ``pairs``, one statement for the raters and one for the pairs.
    The pairs are a table of values joined on the unique index of scores: as a list of row
    values, PostgreSQL took seconds over a few hundred of them."""
    if not raters and not pairs:
        return [statement.where(col(Score.plant_id).in_(plant_ids), col(Score.month).in_(months))]
    statements = []
    if raters:
        statements.append(
            statement.where(
                col(Score.plant_id).in_(plant_ids),
                col(Score.month).in_(months),
                col(Score.rater_unit_id).in_(raters),
            )
        )
    if pairs:
        # Rendered as whole numbers and checked months: a table of values built as SQL
        # elements took longer to compile than the query takes to run. Each database searches
        # the unique index once per pair and month only given the months its own way: SQLite
        # with planner statistics (after ANALYZE) as a column of the table (with the months as
        # a list beside it, it first indexed or filtered all the months' scores: 20 times
        # slower), PostgreSQL as a list (with them as a column, it scanned every score).
        if sqlite:
            rows = [
                f"({p:d}, '{parse_month(m)}', {r:d}, {e:d})" for m in months for p, r, e in pairs
            ]
            names = ("plant_id", "month", "rater", "ratee")
        else:
            rows = [f"({p:d}, {r:d}, {e:d})" for p, r, e in pairs]
            names = ("plant_id", "rater", "ratee")
        wanted = (
            text(
                "SELECT "
                + ", ".join(f"column{i} AS {name}" for i, name in enumerate(names, 1))
                + f" FROM (VALUES {', '.join(sorted(rows))}) AS wanted"
            )
            .columns(*(sql_column(n, String if n == "month" else Integer) for n in names))
            .cte("wanted")
        )
        on = [
            Score.plant_id == wanted.c.plant_id,
            Score.rater_unit_id == wanted.c.rater,
            Score.ratee_unit_id == wanted.c.ratee,
        ]
        joined = statement.select_from(wanted)
        if sqlite:
            joined = joined.join(Score, and_(*on, Score.month == wanted.c.month))
        else:
            joined = joined.join(Score, and_(*on)).where(col(Score.month).in_(months))
        statements.append(joined)
    return statements


def forms(
    *, session: Session, plant: Plant, months: Sequence[str], scheme: Scheme | None = None
) -> list[Form]:
    """Every form (rater, ratee) of the given months, complete or not, sorted by month, rater
    and ratee: scored with ``scheme``, else each month with its own (``month_schemes``)."""
    if scheme is not None:
        return plants_forms(session=session, schemes={plant.id: scheme}, months=months)[plant.id]
    by_scheme: dict[str, list[str]] = defaultdict(list)
    schemes = month_schemes(session=session, plant=plant, months=months)
    for month, its in schemes.items():
        by_scheme[its.content_hash].append(month)
    found = [
        form
        for group in by_scheme.values()
        for form in plants_forms(
            session=session, schemes={plant.id: schemes[group[0]]}, months=group
        )[plant.id]
    ]
    return sorted(found, key=lambda f: (f.month, f.rater, f.ratee))


def incomplete_forms(
    *, session: Session, plant: Plant, scheme: Scheme, scores: ScoreColumns
) -> list[str]:
    """The forms ``scores`` gave values to that still lack a criterion of ``scheme`` (they
    count only once complete), each as a note for the user."""
    criteria = len(scheme.criteria)
    given = Counter(zip(scores.months, scores.raters, scores.ratees, strict=True))
    short = {form for form, values in given.items() if values < criteria}
    if not short:
        return []
    stored = forms(session=session, plant=plant, months=sorted({m for m, _, _ in short}))
    return [
        incomplete_note(
            f.month, f.rater, f.ratee, [c for c in scheme.criteria if c.code not in f.values]
        )
        for f in stored
        if (f.month, f.rater, f.ratee) in short and not f.complete
    ]


def uncounted_forms(*, session: Session, plant: Plant, months: Iterable[str]) -> list[str]:
    """The forms of ``months`` from a rater its ratee did not supply that month (after
    handovers recorded later, say), which no longer count, each as a note for the user."""
    months = sorted(set(months))
    weights = months_supply_weights(session=session, plant=plant, months=months)
    return [
        f"the form of {f.rater} for {f.ratee} in {f.month} no longer counts: {f.ratee} did not"
        f" supply {f.rater} that month"
        for f in forms(session=session, plant=plant, months=months)
        if (f.ratee, f.rater) not in weights[f.month]
    ]


def uncounted_forms_since(
    *, session: Session, plant: Plant, since: date, closed: ClosedMonths
) -> list[str]:
    """``uncounted_forms`` of the open months from ``since`` on that hold scores (after a
    routing changed from ``since``, say)."""
    scored = session.exec(
        select(Score.month)
        .where(Score.plant_id == plant.id, Score.month >= month_of(since))
        .distinct()
    )
    return uncounted_forms(
        session=session, plant=plant, months={month for month in scored if month not in closed}
    )


def plants_forms(
    *,
    session: Session,
    schemes: Mapping[int, Scheme],
    months: Sequence[str],
) -> dict[int, list[Form]]:
    """The forms of the given months of each plant (by plant id, with its scheme), read at
    once, sorted by month, rater and ratee."""
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
