"""Every figure of the executive dashboard, as plain data.

The page ``dashboards/views/executive.py`` only draws what this module returns, and the
tests call the same functions, so a number on the page is a number of this module, which in
turn reads the coefficient, scoring and problem services (it never recomputes a coefficient).

Definitions
-----------
Satisfaction and coefficient of a unit
    ``S`` and ``K`` of the coefficient service: the stored results of a closed month
    (``coefficients.month_results``), the preview of ``coefficients.compute_month`` for an
    open one (shown as "preview, month open").
Volume of a unit
    The sum of the supply weights of the raters that sent it a complete form in the month
    (``decomposition["raters"][i]["weight"]``): handed-over quantities, or operation
    transitions plus service-relation weights.
Plant satisfaction
    ``sum_u volume_u * S_u / sum_u volume_u`` over the units with an ``S``: a major supplier
    weighs more than a rarely used one, as inside ``S`` itself.
Units under target
    Units whose ``S`` is below their satisfaction target (units without forms do not count).
Coefficient spread
    ``max K - min K`` over the plant's units in the month.
Bands of K
    ``red`` below 0.9, ``amber`` from 0.9 to below 1.0, ``green`` from 1.0 (see ``band``).
Problems opened / closed
    Problems found in the month / problems closed (verified effective) in the month.
Overdue problems (the monthly exposure list)
    The problems the coefficient penalised as overdue in the month
    (``decomposition["overdue"]`` of every unit): deadline on or before the month's last day
    and not closed by then. For a month not over yet this is the preview at month end.
Open corrective actions and their age
    Problems found by the cut-off day (the month's last day, or today in the current month)
    and not closed by then; age in days since found.
Paretos
    Over a window of months (found in the window). By responsible unit the count and the
    cost are split by responsibility shares (a problem ruled 50/50 counts 0.5 for each
    unit); unsettled problems form the bar ``None``. By defect code each problem counts
    once (``None``: no code). By escape point each inspection unit that let the problem
    through counts it once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import networkx as nx
from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from noac.errors import NoacError
from noac.models import (
    AuditRecord,
    Plant,
    ProblemEscape,
    ProblemResponsibility,
    QualityProblem,
)
from noac.services.coefficients import (
    UnitResult,
    month_computations,
    previous_months,
    round4,
)
from noac.services.masterdata import units_by_code
from noac.services.periods import month_of, parse_month
from noac.services.problems import ProblemSummary, problems_where
from noac.services.schemes import active_scheme, month_schemes
from noac.services.scoring import forms, month_days, supply_weights
from routing.layout import flow_layers

RED_BELOW = 0.9
GREEN_FROM = 1.0
WINDOW = 12
AGE_BUCKETS = ((0, 30, "0-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, None, "91+"))
TILES = ("satisfaction", "under_target", "opened", "closed", "overdue", "spread")


def band(coefficient: float) -> str:
    """The colour band of a coefficient: ``red`` below 0.9, ``amber`` below 1.0, else ``green``.

    >>> band(0.8999), band(0.9), band(0.9999), band(1.0)
    ('red', 'amber', 'amber', 'green')
    """
    if coefficient < RED_BELOW:
        return "red"
    if coefficient < GREEN_FROM:
        return "amber"
    return "green"


def window_months(month: str, count: int = WINDOW) -> list[str]:
    """The ``count`` months ending with ``month``, oldest first.

    >>> window_months("2026-02", 3)
    ['2025-12', '2026-01', '2026-02']
    """
    return [*previous_months(month, count - 1), month]


def data_stamp(*, session: Session) -> str:
    """A cheap fingerprint of the database's content, to key caches with.

    Every change (a score, a ruling, an import, a month close or reopening) writes one
    audit record in the same transaction, so the number of records, the newest id and its
    time change with every change.

    Parameters
    ----------
    session
        An open database session.

    Returns
    -------
    str
        ``"count:max-id:newest-time"``.
    """
    count, newest, at = session.exec(
        select(func.count(AuditRecord.id), func.max(AuditRecord.id), func.max(AuditRecord.at))
    ).one()
    return f"{count}:{newest}:{at}"


@dataclass
class UnitMonth:
    """One unit's figures in one month, from the coefficient service."""

    month: str
    unit: str
    unit_name: str
    satisfaction: float | None
    target: float
    coefficient: float
    volume: float
    raters: int
    satisfaction_term: float
    defect_points: float
    overdue_points: float
    escape_points: float
    penalty_points: float
    clamp: float
    closed: bool  # False: an open month, computed now (a preview)
    flags: list[str] = field(default_factory=list)
    # the month's decomposition of K, as the close stores it (read, not copied)
    decomposition: dict = field(default_factory=dict, repr=False)

    @property
    def band(self) -> str:
        return band(self.coefficient)

    @property
    def under_target(self) -> bool:
        return self.satisfaction is not None and self.satisfaction < self.target


@dataclass
class ExposureRow:
    """One responsible unit's share of a problem penalised as overdue in the month."""

    ref: str
    unit: str
    unit_name: str
    share: float
    deadline: str
    days_overdue: int
    points: float
    found_on: str
    found_at: str
    defect_code: str | None
    severity: str
    status: str


@dataclass
class MonthView:
    """The coefficient service's results of one month, as the dashboard reads them.

    ``overdue`` holds every unit's ``decomposition["overdue"]`` rows (with the unit);
    ``given`` the weight and form score of each (ratee, rater) counted in S.
    """

    month: str
    closed: bool
    run: int
    units: list[UnitMonth]
    overdue: list[dict] = field(default_factory=list)
    given: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)

    @property
    def forms(self) -> int:
        """Complete forms counted in the month."""
        return sum(u.raters for u in self.units)

    @property
    def has_data(self) -> bool:
        """Closed, or some form or penalty counts in it: its coefficients mean something."""
        return self.closed or self.forms > 0 or any(u.penalty_points for u in self.units)

    @property
    def satisfaction(self) -> float | None:
        """Plant satisfaction: the units' S weighted by their volume."""
        rated = [u for u in self.units if u.satisfaction is not None and u.volume > 0]
        volume = sum(u.volume for u in rated)
        if not volume:
            return None
        return sum(u.volume * u.satisfaction for u in rated) / volume

    @property
    def under_target(self) -> int | None:
        return sum(u.under_target for u in self.units) if self.forms else None

    @property
    def spread(self) -> float | None:
        if not self.units or not self.has_data:
            return None
        values = [u.coefficient for u in self.units]
        return round(max(values) - min(values), 4)

    @property
    def overdue_refs(self) -> list[str]:
        return sorted({row["problem"] for row in self.overdue})


def _unit_month(month: str, closed: bool, result: UnitResult) -> UnitMonth:
    raters = result.decomposition.get("raters", [])
    unclamped = float(result.decomposition.get("unclamped", result.coefficient))
    clamp = result.coefficient - round4(unclamped)
    return UnitMonth(
        month=month,
        unit=result.unit,
        unit_name=result.unit_name,
        satisfaction=result.satisfaction,
        target=result.target,
        coefficient=result.coefficient,
        volume=float(sum(r["weight"] for r in raters)),
        raters=result.raters,
        satisfaction_term=result.satisfaction_term,
        defect_points=result.defect_points,
        overdue_points=result.overdue_points,
        escape_points=result.escape_points,
        penalty_points=result.penalty_points,
        clamp=round(clamp, 4) if abs(clamp) > 1e-9 else 0.0,
        closed=closed,
        flags=list(result.flags),
        decomposition=result.decomposition,
    )


def csv_row(row: dict) -> dict:
    """``row`` for a chart's CSV: its floats rounded as the coefficient export rounds them
    (``round4``, a half away from zero), so a file shows 81.0067, not 81.00666666666667.

    >>> csv_row({"unit": "QC", "term": -0.006666666666666714, "raters": 2, "closed": True})
    {'unit': 'QC', 'term': -0.0067, 'raters': 2, 'closed': True}
    """
    return {k: round4(v) if isinstance(v, float) else v for k, v in row.items()}


def _shares(responsible: dict[str, float]) -> str:
    """Responsible units and their shares in one cell.

    >>> _shares({"STORE": 1 / 3, "SHEET": 2 / 3})
    'STORE:0.3333;SHEET:0.6667'
    """
    return ";".join(f"{u}:{round4(s):g}" for u, s in responsible.items())


def _days(months: list[str]) -> tuple[date, date]:
    """The first and the last day of ``months``."""
    return month_days(min(months))[0], month_days(max(months))[1]


class _Reader:
    """What the dashboard reads: each month's results once per call, and the problems a
    section may show."""

    def __init__(self, session: Session, plant: Plant, today: date | None):
        self.session, self.plant = session, plant
        self.today = today or date.today()
        self.units = units_by_code(session=session, plant=plant)
        self.scheme = active_scheme(session=session, plant=plant)
        self._months: dict[str, MonthView] = {}

    def months(self, months: list[str]) -> list[MonthView]:
        """The views of ``months``: a closed month as stored, the open ones not read yet
        computed at once."""
        todo = [parse_month(m) for m in dict.fromkeys(months) if m not in self._months]
        computed = month_computations(
            session=self.session, plant=self.plant, months=todo, scheme=self.scheme
        )
        for m, computation in computed.items():
            self._months[m] = MonthView(
                month=m,
                closed=computation.closed,
                run=computation.run,
                units=[_unit_month(m, computation.closed, r) for r in computation.results],
                overdue=[
                    {"unit": r.unit, "unit_name": r.unit_name, **row}
                    for r in computation.results
                    for row in r.decomposition.get("overdue", [])
                ],
                given={
                    (r.unit, rater["rater"]): (rater["weight"], rater["form"])
                    for r in computation.results
                    for rater in r.decomposition.get("raters", [])
                },
            )
        return [self._months[m] for m in months]

    def month(self, month: str) -> MonthView:
        return self.months([month])[0]

    def opened_closed(self, month: str) -> tuple[int, int]:
        """How many problems were found in ``month``, and how many closed in it."""
        first, last = month_days(month)
        count = select(func.count()).where(QualityProblem.plant_id == self.plant.id)
        found = col(QualityProblem.found_on).between(first, last)
        closed = col(QualityProblem.closed_on).between(first, last)
        return (
            self.session.exec(count.where(found)).one(),
            self.session.exec(count.where(closed)).one(),
        )

    def problems(self, *conditions: ColumnElement[bool]) -> list[ProblemSummary]:
        """The plant's problems that meet the SQL ``conditions``, as the problem list shows
        them: each section reads only those it may show (a plant has tens of thousands)."""
        return problems_where(
            session=self.session, plant=self.plant, conditions=conditions, as_of=self.today
        )

    def found_in(self, months: list[str], *conditions: ColumnElement[bool]) -> list[ProblemSummary]:
        """The problems found in ``months`` (that meet ``conditions``)."""
        listed = self.problems(col(QualityProblem.found_on).between(*_days(months)), *conditions)
        return [p for p in listed if p.found_on[:7] in months]

    def cutoff(self, month: str) -> date:
        """The day a month is looked at: its last day, or today while it runs."""
        return min(month_days(month)[1], self.today)


# --- 1. headline tiles -------------------------------------------------------------------


@dataclass
class Tile:
    """One headline figure with its value in the previous month."""

    name: str
    value: float | int | None
    previous: float | int | None

    @property
    def delta(self) -> float | int | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


def _month_figures(reader: _Reader, month: str) -> dict[str, float | int | None]:
    view = reader.month(month)
    opened, closed = reader.opened_closed(month)
    return {
        "satisfaction": view.satisfaction,
        "under_target": view.under_target,
        "opened": opened,
        "closed": closed,
        "overdue": len(view.overdue_refs),
        "spread": view.spread,
    }


def _tiles(reader: _Reader, month: str) -> list[Tile]:
    now = _month_figures(reader, month)
    before = _month_figures(reader, previous_months(month, 1)[0])
    return [Tile(name, now[name], before[name]) for name in TILES]


# --- 2. ranking --------------------------------------------------------------------------


def _ranking(view: MonthView) -> list[UnitMonth]:
    return sorted(view.units, key=lambda u: (-u.coefficient, u.unit))


def ranking_rows(ranking: list[UnitMonth]) -> list[dict]:
    """The ranking's rows for its CSV, its numbers rounded as the coefficient export rounds
    them (``round4``, a half away from zero), so both files show the same figures.

    >>> unit = UnitMonth(
    ...     "2026-03", "SHEET", "", 78.90625, 85.0, 0.9391, 16.0, 2, 0, 0, 0, 0, 0, 0, True
    ... )
    >>> ranking_rows([unit])[0]["satisfaction"]
    78.9063
    """
    return [
        csv_row(
            {
                "rank": i + 1,
                "unit": u.unit,
                "unit_name": u.unit_name,
                "coefficient": u.coefficient,
                "band": u.band,
                "satisfaction": u.satisfaction,
                "target": u.target,
                "volume": u.volume,
                "penalty_points": u.penalty_points,
                "flags": ";".join(u.flags),
            }
        )
        for i, u in enumerate(ranking)
    ]


# --- 3. the routing as a map -------------------------------------------------------------


@dataclass
class MapNode:
    unit: str
    unit_name: str
    kind: str
    layer: int
    coefficient: float | None
    satisfaction: float | None

    @property
    def band(self) -> str | None:
        return band(self.coefficient) if self.coefficient is not None else None


@dataclass
class MapEdge:
    """``supplier`` supplied ``customer``: the volume, and the form score the customer gave."""

    supplier: str
    customer: str
    volume: float
    form: float | None


@dataclass
class SupplyMap:
    nodes: list[MapNode]
    edges: list[MapEdge]


def _supply_map(reader: _Reader, month: str) -> SupplyMap:
    view = reader.month(month)
    weights = supply_weights(session=reader.session, plant=reader.plant, month=month)
    given = view.given
    edges = []
    for supplier, customer in sorted(set(weights) | set(given)):
        volume, form = given.get((supplier, customer), (weights.get((supplier, customer)), None))
        edges.append(MapEdge(supplier, customer, float(volume or 0.0), form))
    layers = _layers(reader, edges)
    by_unit = {u.unit: u for u in view.units}
    nodes = [
        MapNode(
            unit=code,
            unit_name=unit.name,
            kind=unit.kind,
            layer=layers[code],
            coefficient=by_unit[code].coefficient if code in by_unit and view.has_data else None,
            satisfaction=by_unit[code].satisfaction if code in by_unit else None,
        )
        for code, unit in sorted(reader.units.items())
    ]
    return SupplyMap(nodes=nodes, edges=edges)


def _layers(reader: _Reader, edges: list[MapEdge]) -> dict[str, int]:
    graph = nx.DiGraph()
    graph.add_nodes_from(reader.units)
    graph.add_edges_from((e.supplier, e.customer, {"weight": e.volume}) for e in edges)
    return flow_layers(graph)


def map_rows(supply_map: SupplyMap) -> list[dict]:
    """The map's rows for its CSV: who supplied whom, the volume and the form score."""
    return [csv_row(vars(e)) for e in supply_map.edges]


def supply_map(*, session: Session, plant: Plant, month: str) -> SupplyMap:
    """The units and who supplied whom in ``month``, for drawing upstream to downstream.

    Parameters
    ----------
    session, plant, month
        The database, the plant and the month ``YYYY-MM``.

    Returns
    -------
    SupplyMap
        ``edges``: the pairs that may score each other in the month
        (``scoring.supply_weights``, plus any pair counted in the results), with ``volume``
        the supply weight and ``form`` the form score the customer gave (None: no complete
        form). ``nodes``: every unit with its flow layer (``routing.layout.flow_layers``)
        and K (None in a month without data).
    """
    return _supply_map(_Reader(session, plant, None), month)


# --- 4. supplier x customer matrix -------------------------------------------------------


@dataclass
class MatrixCell:
    """What ``customer`` gave ``supplier``: ``scored`` (a form score), ``incomplete``
    (some criteria only) or ``missing`` (owed, nothing sent)."""

    supplier: str
    customer: str
    status: str
    form: float | None


@dataclass
class Matrix:
    suppliers: list[str]
    customers: list[str]
    cells: list[MatrixCell]

    @property
    def missing(self) -> int:
        return sum(c.status != "scored" for c in self.cells)


def _matrix(reader: _Reader, month: str) -> Matrix:
    owed = set(supply_weights(session=reader.session, plant=reader.plant, month=month))
    sent = {
        (f.ratee, f.rater): f
        for f in forms(session=reader.session, plant=reader.plant, months=[month])
    }
    cells = []
    for supplier, customer in sorted(owed | set(sent)):
        f = sent.get((supplier, customer))
        status = "missing" if f is None else "scored" if f.complete else "incomplete"
        cells.append(MatrixCell(supplier, customer, status, f.score if f else None))
    order = _order(reader, owed | set(sent))
    return Matrix(
        suppliers=[u for u in order if any(c.supplier == u for c in cells)],
        customers=[u for u in order if any(c.customer == u for c in cells)],
        cells=cells,
    )


def _order(reader: _Reader, pairs: set[tuple[str, str]]) -> list[str]:
    """Units upstream first (flow layer), then by code."""
    edges = [MapEdge(s, c, 1.0, None) for s, c in pairs]
    layers = _layers(reader, edges)
    return sorted(reader.units, key=lambda u: (layers[u], u))


def matrix_rows(matrix: Matrix) -> list[dict]:
    """The matrix's rows for its CSV: each cell's status and form score."""
    return [csv_row(vars(c)) for c in matrix.cells]


def matrix(*, session: Session, plant: Plant, month: str) -> Matrix:
    """Form scores of ``month`` by supplier (ratee) and customer (rater).

    Parameters
    ----------
    session, plant, month
        The database, the plant and the month ``YYYY-MM``.

    Returns
    -------
    Matrix
        A cell for every pair owed a form (``scoring.supply_weights``) or that sent one:
        ``scored`` with its form score, ``incomplete`` or ``missing``. Suppliers and
        customers are ordered upstream first.
    """
    return _matrix(_Reader(session, plant, None), month)


# --- 5. trends ---------------------------------------------------------------------------


@dataclass
class TrendPoint:
    unit: str
    month: str
    satisfaction: float | None
    coefficient: float
    closed: bool
    actions_closed: list[str] = field(default_factory=list)


@dataclass
class Trends:
    """S and K per unit over the window; months without data are left out."""

    months: list[str]
    points: list[TrendPoint]

    def of(self, unit: str) -> list[TrendPoint]:
        return [p for p in self.points if p.unit == unit]


def _actions_closed(reader: _Reader, months: list[str]) -> dict[tuple[str, str], list[str]]:
    """Problems closed (verified effective) per (responsible unit, month closed)."""
    codes = {unit.id: code for code, unit in reader.units.items()}
    statement = (
        select(QualityProblem.ref, QualityProblem.closed_on, ProblemResponsibility.unit_id)
        .join(ProblemResponsibility, col(ProblemResponsibility.problem_id) == QualityProblem.id)
        .where(
            QualityProblem.plant_id == reader.plant.id,
            col(QualityProblem.closed_on).between(*_days(months)),
        )
    )
    closed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for ref, closed_on, unit_id in reader.session.connection().execute(statement):
        if (month := month_of(closed_on)) in months:
            closed[(codes[unit_id], month)].append(ref)
    return closed


def _trends(reader: _Reader, month: str, count: int) -> Trends:
    months = window_months(month, count)
    closed = _actions_closed(reader, months)
    points = []
    for view in reader.months(months):
        if not view.has_data:
            continue
        m = view.month
        points += [
            TrendPoint(
                unit=u.unit,
                month=m,
                satisfaction=u.satisfaction,
                coefficient=u.coefficient,
                closed=view.closed,
                actions_closed=sorted(closed.get((u.unit, m), [])),
            )
            for u in view.units
        ]
    return Trends(months=months, points=points)


def trend_rows(trends: Trends, units: list[str]) -> list[dict]:
    """The trends' rows of ``units`` for their CSV."""
    return [
        csv_row(
            {
                "unit": p.unit,
                "month": p.month,
                "closed": p.closed,
                "satisfaction": p.satisfaction,
                "coefficient": p.coefficient,
                "actions_closed": ";".join(p.actions_closed),
            }
        )
        for p in trends.points
        if p.unit in units
    ]


def trends(*, session: Session, plant: Plant, month: str, count: int = WINDOW) -> Trends:
    """Satisfaction and coefficient per unit over the ``count`` months ending with ``month``.

    Parameters
    ----------
    session, plant, month
        The database, the plant and the last month of the window.
    count
        Months in the window.

    Returns
    -------
    Trends
        One point per unit and month with data (closed, or with a form or a penalty); each
        lists the problems of the unit (as a responsible unit) whose corrective action was
        verified effective and closed in that month, so its effect can be seen.
    """
    return _trends(_Reader(session, plant, None), month, count)


# --- 6. paretos --------------------------------------------------------------------------


@dataclass
class ParetoBar:
    key: str | None
    count: float
    cost: float


@dataclass
class Pareto:
    dimension: str
    bars: list[ParetoBar]

    def ranked(self, measure: str = "count") -> list[tuple[str | None, float, float]]:
        """``(key, value, cumulative percent)``, largest first, bars of value 0 left out.

        >>> Pareto("x", [ParetoBar("A", 1, 0), ParetoBar("B", 3, 0)]).ranked()
        [('B', 3, 75.0), ('A', 1, 100.0)]
        """
        bars = sorted(
            (b for b in self.bars if getattr(b, measure) > 0),
            key=lambda b: (-getattr(b, measure), b.key is None, b.key or ""),
        )
        total = sum(getattr(b, measure) for b in bars)
        running, result = 0.0, []
        for b in bars:
            running += getattr(b, measure)
            result.append((b.key, getattr(b, measure), round(100 * running / total, 4)))
        return result


@dataclass
class Paretos:
    months: list[str]
    problems: int
    has_cost: bool
    by_responsible: Pareto
    by_defect_code: Pareto
    by_escape: Pareto


def _paretos(reader: _Reader, months: list[str]) -> Paretos:
    chosen = reader.found_in(months)
    tallies: dict[str, dict[str | None, list[float]]] = {
        name: defaultdict(lambda: [0.0, 0.0]) for name in ("responsible", "defect_code", "escape")
    }
    for p in chosen:
        cost = p.cost or 0.0
        for unit, share in (p.responsible or {None: 1.0}).items():
            tallies["responsible"][unit][0] += share
            tallies["responsible"][unit][1] += share * cost
        tallies["defect_code"][p.defect_code][0] += 1
        tallies["defect_code"][p.defect_code][1] += cost
        for unit in p.escapes:
            tallies["escape"][unit][0] += 1
            tallies["escape"][unit][1] += cost

    def pareto(name: str) -> Pareto:
        bars = [
            ParetoBar(key, round(count, 4), round(cost, 2))
            for key, (count, cost) in tallies[name].items()
        ]
        return Pareto(name, sorted(bars, key=lambda b: (-b.count, b.key is None, b.key or "")))

    return Paretos(
        months=months,
        problems=len(chosen),
        has_cost=any(p.cost for p in chosen),
        by_responsible=pareto("responsible"),
        by_defect_code=pareto("defect_code"),
        by_escape=pareto("escape"),
    )


def pareto_rows(paretos: Paretos) -> list[dict]:
    """The paretos' rows for their CSV: every bar of the three dimensions."""
    return [
        csv_row({"dimension": p.dimension, "key": b.key, "count": b.count, "cost": b.cost})
        for p in (paretos.by_responsible, paretos.by_defect_code, paretos.by_escape)
        for b in p.bars
    ]


def paretos(*, session: Session, plant: Plant, months: list[str]) -> Paretos:
    """Where the problems found in ``months`` come from.

    Parameters
    ----------
    session, plant
        The database and the plant.
    months
        The months ``YYYY-MM`` whose problems (by the day found) count.

    Returns
    -------
    Paretos
        By responsible unit (shares), defect code and escape point, each by count and by
        cost (see the module's definitions); ``Pareto.ranked`` orders them with the
        cumulative percentage.
    """
    return _paretos(_Reader(session, plant, None), months)


# --- 7. corrective actions ---------------------------------------------------------------


@dataclass
class OpenAction:
    """A problem still open at the cut-off day."""

    ref: str
    found_on: str
    age_days: int
    bucket: str
    responsible: dict[str, float]
    deadline: str | None
    status: str
    state: str  # overdue | due | no-deadline


@dataclass
class Actions:
    cutoff: date
    preview: bool
    open: list[OpenAction]
    exposure: list[ExposureRow]

    def ageing(self) -> list[tuple[str, dict[str, int]]]:
        """Per age bucket, the number of open problems per state.

        >>> Actions(date(2026, 1, 31), False, [], []).ageing()[0]
        ('0-30', {'overdue': 0, 'due': 0, 'no-deadline': 0})
        """
        counts = {
            label: dict.fromkeys(("overdue", "due", "no-deadline"), 0) for *_, label in AGE_BUCKETS
        }
        for action in self.open:
            counts[action.bucket][action.state] += 1
        return list(counts.items())


def _bucket(days: int) -> str:
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][2]


def _actions(reader: _Reader, month: str) -> Actions:
    view = reader.month(month)
    cutoff = reader.cutoff(month)
    overdue = set(view.overdue_refs)
    listed = reader.problems(
        col(QualityProblem.found_on) <= cutoff,
        or_(col(QualityProblem.closed_on).is_(None), col(QualityProblem.closed_on) > cutoff),
    )
    # overdue as the close counts it at the month's end; while the month runs, only once the
    # deadline has passed by the cut-off day
    month_over = cutoff == month_days(month)[1]
    by_ref = {p.ref: p for p in listed}
    if missing := overdue - by_ref.keys():  # penalised, but changed since the month closed
        by_ref |= {p.ref: p for p in reader.problems(col(QualityProblem.ref).in_(missing))}
    still_open = []
    for p in listed:
        found = date.fromisoformat(p.found_on)
        age = (cutoff - found).days
        passed = p.ref in overdue and (month_over or date.fromisoformat(p.deadline) < cutoff)
        state = "overdue" if passed else "due" if p.deadline else "no-deadline"
        still_open.append(
            OpenAction(
                p.ref, p.found_on, age, _bucket(age), p.responsible, p.deadline, p.status, state
            )
        )
    exposure = []
    for row in view.overdue:
        problem = by_ref.get(row["problem"])
        deadline = date.fromisoformat(row["deadline"])
        exposure.append(
            ExposureRow(
                ref=row["problem"],
                unit=row["unit"],
                unit_name=row["unit_name"],
                share=row["share"],
                deadline=row["deadline"],
                days_overdue=max((cutoff - deadline).days, 0),
                points=row["points"],
                found_on=problem.found_on if problem else "",
                found_at=problem.found_at if problem else "",
                defect_code=problem.defect_code if problem else None,
                severity=problem.severity if problem else "",
                status=problem.status if problem else "",
            )
        )
    exposure.sort(key=lambda r: (-r.days_overdue, r.ref, r.unit))
    return Actions(cutoff=cutoff, preview=not view.closed, open=still_open, exposure=exposure)


def open_action_rows(actions: Actions) -> list[dict]:
    """The open corrective actions' rows for their CSV."""
    return [
        csv_row(
            {
                "problem": a.ref,
                "found_on": a.found_on,
                "age_days": a.age_days,
                "state": a.state,
                "status": a.status,
                "deadline": a.deadline,
                "responsible": _shares(a.responsible),
            }
        )
        for a in actions.open
    ]


def exposure_rows(actions: Actions) -> list[dict]:
    """The exposure list's rows for its CSV."""
    return [csv_row(vars(r)) for r in actions.exposure]


def actions(*, session: Session, plant: Plant, month: str, today: date | None = None) -> Actions:
    """Open corrective actions with their age, and the month's exposure list.

    Parameters
    ----------
    session, plant, month
        The database, the plant and the month ``YYYY-MM``.
    today
        The day the dashboard is looked at: the cut-off of a month not over yet.

    Returns
    -------
    Actions
        ``open``: problems found by the cut-off and not closed by then, with their age and
        state (``overdue``, ``due``, ``no-deadline``), ``ageing()`` counting them per age
        bucket; ``exposure``: the problems penalised as overdue in the month, one row per
        responsible unit, the longest overdue first.
    """
    return _actions(_Reader(session, plant, today), month)


# --- 8. the unit page --------------------------------------------------------------------


@dataclass
class CriterionInfo:
    code: str
    name_en: str
    name_zh: str
    min: int
    max: int
    weight: float


@dataclass
class CustomerScores:
    """What one customer gave the unit in the month (``form`` None: no complete form)."""

    customer: str
    customer_name: str
    volume: float | None
    form: float | None
    values: dict[str, int]
    comments: dict[str, str]


@dataclass
class UnitDetail:
    unit: str
    unit_name: str
    month: str
    closed: bool
    criteria: list[CriterionInfo]
    scores: list[CustomerScores]
    problems: list[ProblemSummary]
    history: list[UnitMonth]

    @property
    def current(self) -> UnitMonth | None:
        return next((h for h in self.history if h.month == self.month), None)


def _unit_detail(reader: _Reader, month: str, unit: str, count: int) -> UnitDetail:
    if unit not in reader.units:
        raise NoacError(f"unknown unit '{unit}'")
    weights = supply_weights(session=reader.session, plant=reader.plant, month=month)
    scheme = month_schemes(session=reader.session, plant=reader.plant, months=[month])[month]
    sent = {
        f.rater: f
        for f in forms(session=reader.session, plant=reader.plant, months=[month])
        if f.ratee == unit
    }
    customers = sorted({c for s, c in weights if s == unit} | set(sent))
    scores = [
        CustomerScores(
            customer=c,
            customer_name=reader.units[c].name,
            volume=weights.get((unit, c)),
            form=sent[c].score if c in sent else None,
            values=dict(sent[c].values) if c in sent else {},
            comments=dict(sent[c].comments) if c in sent else {},
        )
        for c in customers
    ]
    months = window_months(month, count)
    history = []
    for view in reader.months(months):
        if view.has_data:
            history += [u for u in view.units if u.unit == unit]
    unit_id = reader.units[unit].id
    involved = or_(
        col(QualityProblem.id).in_(
            select(ProblemResponsibility.problem_id).where(ProblemResponsibility.unit_id == unit_id)
        ),
        col(QualityProblem.id).in_(
            select(ProblemEscape.problem_id).where(ProblemEscape.unit_id == unit_id)
        ),
    )
    problems = reader.found_in(months, involved)
    problems.sort(key=lambda p: (p.found_on, p.ref), reverse=True)
    return UnitDetail(
        unit=unit,
        unit_name=reader.units[unit].name,
        month=month,
        closed=reader.month(month).closed,
        criteria=[
            CriterionInfo(c.code, c.name_en, c.name_zh, c.min, c.max, c.weight)
            for c in scheme.criteria
        ],
        scores=scores,
        problems=problems,
        history=history,
    )


def unit_score_rows(detail: UnitDetail) -> list[dict]:
    """The unit's customers' forms for their CSV: volume, form score and each criterion."""
    return [
        csv_row({"customer": s.customer, "volume": s.volume, "form": s.form, **s.values})
        for s in detail.scores
    ]


def decomposition_rows(detail: UnitDetail) -> list[dict]:
    """The unit's coefficient month by month for its CSV, with what made it; ``closed``
    False: an open month, computed now."""
    return [
        csv_row(
            {
                "month": h.month,
                "closed": h.closed,
                "satisfaction": h.satisfaction,
                "satisfaction_term": h.satisfaction_term,
                "defect_points": h.defect_points,
                "overdue_points": h.overdue_points,
                "escape_points": h.escape_points,
                "clamp": h.clamp,
                "coefficient": h.coefficient,
            }
        )
        for h in detail.history
    ]


def unit_problem_rows(detail: UnitDetail) -> list[dict]:
    """The problems of the unit's page for their CSV."""
    return [
        csv_row(
            {
                "problem": p.ref,
                "found_on": p.found_on,
                "found_at": p.found_at,
                "defect_code": p.defect_code,
                "severity": p.severity,
                "responsible": _shares(p.responsible),
                "escapes": ";".join(p.escapes),
                "status": p.status,
                "deadline": p.deadline,
                "closed_on": p.closed_on,
                "cost": p.cost,
            }
        )
        for p in detail.problems
    ]


def unit_detail(
    *, session: Session, plant: Plant, month: str, unit: str, count: int = WINDOW
) -> UnitDetail:
    """One unit's page.

    Parameters
    ----------
    session, plant, month
        The database, the plant and the month ``YYYY-MM``.
    unit
        The unit's code.
    count
        Months of the window ending with ``month``.

    Returns
    -------
    UnitDetail
        Its customers' forms of ``month`` (customers owed a form without one too), the
        problems found in the window it is responsible for or let through, and its
        coefficient and decomposition month by month over the window.

    Raises
    ------
    NoacError
        For a unit that is not the plant's.
    """
    return _unit_detail(_Reader(session, plant, None), month, unit, count)


# --- the page as it opens, and everything at once -------------------------------------


@dataclass
class Overview:
    """What the executive page shows above its tabs, and its first tab (the ranking)."""

    plant: str
    month: str
    previous_month: str
    closed: bool
    run: int
    has_data: bool
    forms: int
    units: list[tuple[str, str]]
    tiles: list[Tile]
    ranking: list[UnitMonth]


def _overview(reader: _Reader, month: str) -> Overview:
    # the month before read with it: the tiles show both
    view, _ = reader.months([parse_month(month), previous_months(month, 1)[0]])
    return Overview(
        plant=reader.plant.code,
        month=month,
        previous_month=previous_months(month, 1)[0],
        closed=view.closed,
        run=view.run,
        has_data=view.has_data,
        forms=view.forms,
        units=[(code, unit.name) for code, unit in sorted(reader.units.items())],
        tiles=_tiles(reader, month),
        ranking=_ranking(view),
    )


def overview(*, session: Session, plant: Plant, month: str, today: date | None = None) -> Overview:
    """The month's status, headline tiles and ranking: what the page opens on, read without
    the other tabs' data (the plant's problems, the window's months).

    Parameters
    ----------
    session, plant, month
        The database, the plant and the month ``YYYY-MM``.
    today
        The day the page is looked at (default: today).

    Returns
    -------
    Overview
        ``tiles`` in the order of ``TILES`` (plant satisfaction, units under target,
        problems opened, closed and overdue, coefficient spread), each with its value in the
        month before, None where it does not exist (no form in the month); ``ranking``: S, K,
        volume, penalties and flags of every unit, by K descending, ties by unit code.
    """
    return _overview(_Reader(session, plant, today), month)


@dataclass
class Dashboard(Overview):
    """Every section of the executive page for one plant and month."""

    supply_map: SupplyMap
    matrix: Matrix
    trends: Trends
    paretos: Paretos
    month_paretos: Paretos
    actions: Actions


def executive_dashboard(
    *, session: Session, plant: Plant, month: str, today: date | None = None, count: int = WINDOW
) -> Dashboard:
    """Every figure of the executive page for ``plant`` and ``month``, read once.

    Parameters
    ----------
    session, plant, month
        The database, the plant and the month ``YYYY-MM``.
    today
        The day the page is looked at: the cut-off of the current month (default: today).
    count
        Months of the trends and paretos window, ending with ``month``.

    Returns
    -------
    Dashboard
        The same values ``overview``, ``supply_map``, ``matrix``, ``trends``, ``paretos``
        and ``actions`` return one by one.
    """
    reader = _Reader(session, plant, today)
    return Dashboard(
        **vars(_overview(reader, month)),
        supply_map=_supply_map(reader, month),
        matrix=_matrix(reader, month),
        trends=_trends(reader, month, count),
        paretos=_paretos(reader, window_months(month, count)),
        month_paretos=_paretos(reader, [month]),
        actions=_actions(reader, month),
    )
