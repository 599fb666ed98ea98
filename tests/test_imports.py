"""Imports of units, defect codes and routings: atomic, row-numbered, idempotent."""

import io
import json
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from noac import tabular
from noac.errors import ImportRejected, NoacError
from noac.importers import CHINESE_COLUMNS, KINDS, import_file
from noac.models import AuditRecord, Handover, Period, Plant, RoutingVersion, Unit
from noac.services.masterdata import defect_codes_by_code, units_by_code
from noac.services.periods import month_of, next_month
from noac.services.plants import resolve_plant
from noac.services.relations import service_weights
from noac.services.routings import (
    in_force,
    parts_through,
    plant_supply_graph,
    routing_versions,
    routings_in_force,
)
from noac.tabular import read_table
from routing import supply_graph
from tests.conftest import DATA, SYSTEM, snapshot, write_csv

UNITS = """
code,name,kind,categories,target
STORE,物资管理站,store,storage,
SHEET,钣金分厂,workshop,cutting;bending,88
QC,检验站,inspection,inspection,
ASSY,总装分厂,workshop,assembly,
"""

ROUTINGS = """
part,op,unit,category,after,inspection
BP,10,STORE,,,0
BP,20,SHEET,bending,10,0
BP,30,QC,,20;35,1
BP,35,SHEET,cutting,30,0
BP,40,ASSY,,30,0
"""


@pytest.fixture
def plant_files(tmp_path):
    return (
        write_csv(tmp_path / "units.csv", UNITS),
        write_csv(tmp_path / "routings.csv", ROUTINGS),
    )


def _load(session, plant_files):
    units, routes = plant_files
    import_file(actor=SYSTEM, session=session, kind="units", path=units)
    return import_file(actor=SYSTEM, session=session, kind="routings", path=routes)


def _errors(excinfo) -> list[tuple]:
    return [(e.row, e.column, e.reason) for e in excinfo.value.errors]


def _refused(session, kind: str, path) -> list[tuple]:
    """The rows, columns and reasons of an import of ``path`` that must be refused."""
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind=kind, path=path)
    return _errors(excinfo)


@pytest.mark.parametrize("plant", ["aerospace", "garment"])
def test_demo_plant_imports_on_both_databases(session, plant):
    folder = DATA / "demo" / plant
    units = import_file(
        actor=SYSTEM, session=session, kind="units", path=folder / "units.csv", plant_code="P"
    )
    codes = import_file(
        actor=SYSTEM,
        session=session,
        kind="defect-codes",
        path=folder / "defect_codes.csv",
        plant_code="P",
    )
    routes = import_file(
        actor=SYSTEM, session=session, kind="routings", path=folder / "routings.csv", plant_code="P"
    )
    assert units.created >= 11 and codes.created >= 8 and routes.created >= 9
    plant = resolve_plant(session=session, code="P")
    S = plant_supply_graph(session=session, plant=plant, on=date.today())
    assert S.number_of_edges() > 10
    assert all(data["weight"] >= 1 for *_, data in S.edges(data=True))


def _demo_routings(session, plant: str):
    folder = DATA / "demo" / plant
    for kind, name in [("units", "units.csv"), ("routings", "routings.csv")]:
        import_file(actor=SYSTEM, session=session, kind=kind, path=folder / name, plant_code="P")
    return resolve_plant(session=session, code="P")


@pytest.mark.parametrize("plant", ["aerospace", "garment"])
def test_the_plant_supply_graph_is_that_of_the_operation_graphs_in_force(session, plant):
    """The plant's supply graph is read as operation transitions in one query; it must be
    the graph ``supply_graph`` derives from each part's operation graph in force."""
    plant = _demo_routings(session, plant)
    on = date.today()
    S = plant_supply_graph(session=session, plant=plant, on=on)
    views = routings_in_force(session=session, plant=plant, on=on)
    expected = supply_graph({part: view.graph() for part, view in views.items()})
    assert sorted(S.edges(data=True)) == sorted(expected.edges(data=True))
    assert set(S.nodes) == set(units_by_code(session=session, plant=plant))
    assert set(expected.nodes) <= set(S.nodes)
    assert all({"name", "kind"} <= set(data) for _, data in S.nodes(data=True))


@pytest.mark.parametrize("plant", ["aerospace", "garment"])
def test_the_parts_through_a_unit_are_those_of_the_routings_in_force(session, plant):
    """The report page offers the parts routed through the reporting unit, read without the
    routings: they must be the parts whose routing in force has an operation there."""
    plant = _demo_routings(session, plant)
    on = date.today()
    views = routings_in_force(session=session, plant=plant, on=on)
    offered = {}
    for unit in units_by_code(session=session, plant=plant):
        parts = parts_through(session=session, plant=plant, unit=unit, on=on)
        assert parts == sorted(
            part for part, view in views.items() if any(o.unit == unit for o in view.operations)
        )
        offered[unit] = parts
    assert sum(map(len, offered.values())) > len(views)  # parts pass through several units


def test_first_import_creates_the_default_plant_and_reimport_changes_nothing(
    engine, session, plant_files
):
    summary = _load(session, plant_files)
    assert (summary.plant, summary.created) == ("MAIN", 1)
    before = snapshot(engine)
    again = _load(session, plant_files)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert snapshot(engine) == before


def test_the_plant_code_of_a_first_import_is_checked(tmp_path, engine, session, plant_files):
    units, _ = plant_files
    with pytest.raises(NoacError, match="plant code 'MAIN PLANT' must be 1-40 letters"):
        import_file(
            actor=SYSTEM, session=session, kind="units", path=units, plant_code="MAIN PLANT"
        )
    assert snapshot(engine)["plant"] == []


def test_a_file_with_no_rows_changes_nothing_not_even_the_plants(tmp_path, engine, session):
    before = snapshot(engine)
    empty = write_csv(tmp_path / "units.csv", "code,name,kind")
    summary = import_file(actor=SYSTEM, session=session, kind="units", path=empty, plant_code="P")
    assert (summary.plant, summary.rows, summary.created) == ("P", 0, 0)
    assert snapshot(engine) == before


def test_routing_with_default_category_and_rework_loop_is_stored(session, plant_files):
    _load(session, plant_files)
    plant = resolve_plant(session=session, code=None)
    (view,) = routing_versions(session=session, plant=plant, part="BP")
    ops = {o.op: o for o in view.operations}
    assert ops["10"].category == "storage"  # the unit's first category
    assert ops["30"].after == ("20", "35") and ops["30"].inspection
    assert view.effective_from is None
    S = plant_supply_graph(session=session, plant=plant, on=date(2000, 1, 1))
    # SHEET->QC: 20->30 and 35->30; QC->SHEET: 30->35 (the rework loop)
    assert S["SHEET"]["QC"]["weight"] == 2 and S["QC"]["SHEET"]["weight"] == 1
    assert S["SHEET"]["QC"]["parts"] == ["BP"]


def test_a_changed_routing_becomes_a_new_version_in_force_from_its_date(
    tmp_path, session, plant_files
):
    _load(session, plant_files)
    changed = write_csv(
        tmp_path / "v2.csv",
        """
part,op,unit,category,after,inspection
BP,10,STORE,,,0
BP,15,QC,,10,1
BP,20,SHEET,bending,15,0
BP,30,QC,,20,1
BP,40,ASSY,,30,0
""",
    )
    summary = import_file(
        actor=SYSTEM, session=session, kind="routings", path=changed, effective=date(2026, 6, 1)
    )
    assert (summary.created, summary.updated) == (0, 1)
    plant = resolve_plant(session=session, code=None)
    versions = routing_versions(session=session, plant=plant, part="BP")
    assert [(v.version, v.effective_from) for v in versions] == [
        (1, None),
        (2, date(2026, 6, 1)),
    ]
    assert in_force(versions, date(2026, 5, 31)).version == 1
    assert in_force(versions, date(2026, 6, 1)).version == 2
    may = plant_supply_graph(session=session, plant=plant, on=date(2026, 5, 31))
    june = plant_supply_graph(session=session, plant=plant, on=date(2026, 6, 1))
    assert may.has_edge("STORE", "SHEET") and not june.has_edge("STORE", "SHEET")
    assert june["STORE"]["QC"]["weight"] == 1

    earlier = write_csv(tmp_path / "v3.csv", ROUTINGS)
    with pytest.raises(ImportRejected) as excinfo:
        import_file(
            actor=SYSTEM, session=session, kind="routings", path=earlier, effective=date(2026, 5, 1)
        )
    assert _errors(excinfo) == [
        (
            2,
            "part",
            "part BP: the new version must take effect after 2026-06-01 (version 2),"
            " not 2026-05-01",
        )
    ]


def _loaded_with_april_and_may_closed(session, plant_files) -> Plant:
    """The plant's master data loaded, with 2026-04 and 2026-05 closed."""
    _load(session, plant_files)
    plant = resolve_plant(session=session, code=None)
    for month in ("2026-04", "2026-05"):
        session.add(Period(plant_id=plant.id, month=month, closed_at=datetime.now(UTC)))
    session.commit()
    return plant


def test_a_new_routing_version_cannot_take_effect_in_a_closed_month(
    tmp_path, engine, session, plant_files
):
    _loaded_with_april_and_may_closed(session, plant_files)
    before = snapshot(engine)
    changed = write_csv(
        tmp_path / "v2.csv", ROUTINGS.replace("BP,40,ASSY,,30,0", "BP,40,ASSY,,35,0")
    )

    def effective(day):
        return import_file(
            actor=SYSTEM, session=session, kind="routings", path=changed, effective=day
        )

    with pytest.raises(ImportRejected) as excinfo:
        effective(date(2026, 4, 20))
    assert _errors(excinfo) == [
        (
            2,
            "part",
            "part BP: a new version from 2026-04-20 would change 2026-05, which is closed:"
            " take it in force from 2026-06-01, or reopen the months from 2026-04 first",
        )
    ]
    assert snapshot(engine) == before
    assert effective(date(2026, 6, 1)).updated == 1


def test_a_new_part_takes_effect_after_the_closed_months(tmp_path, engine, session, plant_files):
    plant = _loaded_with_april_and_may_closed(session, plant_files)
    may = plant_supply_graph(session=session, plant=plant, on=date(2026, 5, 31))
    before = snapshot(engine)
    new = write_csv(tmp_path / "new.csv", "part,op,unit,after\nNP,10,STORE,\nNP,20,ASSY,10\n")

    def effective(day):
        return import_file(actor=SYSTEM, session=session, kind="routings", path=new, effective=day)

    with pytest.raises(ImportRejected) as excinfo:
        effective(date(2026, 5, 20))
    assert _errors(excinfo) == [
        (
            2,
            "part",
            "part NP: a first version from 2026-05-20 would change 2026-05, which is closed:"
            " take it in force from 2026-06-01, or reopen the months from 2026-05 first",
        )
    ]
    assert snapshot(engine) == before
    assert effective(date(2026, 6, 1)).created == 1
    (version,) = routing_versions(session=session, plant=plant, part="NP")
    assert version.effective_from == date(2026, 6, 1)
    # the closed months keep the supply relations they were closed with
    kept = plant_supply_graph(session=session, plant=plant, on=date(2026, 5, 31))
    assert sorted(kept.edges(data="weight")) == sorted(may.edges(data="weight"))
    june = plant_supply_graph(session=session, plant=plant, on=date(2026, 6, 1))
    assert june["STORE"]["ASSY"]["weight"] == 1


def test_a_new_part_without_a_date_takes_effect_when_the_open_months_begin(
    tmp_path, session, plant_files
):
    _load(session, plant_files)
    plant = resolve_plant(session=session, code=None)
    session.add(Period(plant_id=plant.id, month="2026-05", closed_at=datetime.now(UTC)))
    session.commit()
    new = write_csv(tmp_path / "new.csv", "part,op,unit,after\nNP,10,STORE,\nNP,20,ASSY,10\n")
    import_file(actor=SYSTEM, session=session, kind="routings", path=new)
    (version,) = routing_versions(session=session, plant=plant, part="NP")
    # not today: a defect found on it since June, the first open month, can be reported
    assert version.effective_from == date(2026, 6, 1)
    relations = write_csv(tmp_path / "s.csv", "provider,customer,weight\nSTORE,ASSY,2\n")
    import_file(actor=SYSTEM, session=session, kind="service-relations", path=relations)
    weights = service_weights(
        session=session, plant=plant, days=[date(2026, 5, 31), date(2026, 6, 1)]
    )
    assert weights == {date(2026, 5, 31): {}, date(2026, 6, 1): {("STORE", "ASSY"): 2.0}}


def test_bad_routing_file_reports_every_row_and_writes_nothing(
    tmp_path, engine, session, plant_files
):
    _load(session, plant_files)
    before = snapshot(engine)
    bad = write_csv(
        tmp_path / "bad.csv",
        """
part,op,unit,category,after,inspection
NEW,10,STORE,,,0
NEW,20,MOON,,10,0
NEW,30,SHEET,welding,20,maybe
NEW,30,QC,,25,1
LOOP,10,SHEET,cutting,20,0
LOOP,20,QC,,10,1
ISLE,10,STORE,,,0
ISLE,20,SHEET,cutting,30,0
ISLE,30,QC,,20,1
ISLE,40,ASSY,,30,0
""",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="routings", path=bad)
    assert _errors(excinfo) == [
        (3, "unit", "unknown unit 'MOON' (import units first)"),
        (
            4,
            "category",
            "part NEW: unit 'SHEET' does not perform category 'welding'"
            " (it performs: cutting, bending)",
        ),
        (4, "inspection", "'maybe' is not 1/0, true/false or 是/否"),
        (5, "after", "part NEW: unknown predecessor operation '25'"),
        (5, "op", "part NEW: duplicate operation id '30'"),
        (
            6,
            "after",
            "part LOOP: the part has no starting operation (every operation has a predecessor)",
        ),
        (
            9,
            "after",
            "part ISLE: these operations are not reached from any starting operation:"
            " 20, 30, 40 (name in after the operation each loop is entered from)",
        ),
    ]
    assert "7 error(s), nothing was imported" in str(excinfo.value)
    assert snapshot(engine) == before


def test_bad_units_file_reports_every_row_and_writes_nothing(tmp_path, engine, session):
    bad = write_csv(
        tmp_path / "units.csv",
        """
code,name,kind,categories,target,parent
A,Alpha,workshop,cutting,101,
A,Alpha again,canteen,,x,
B B,,store,,,ZZ
""",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="units", path=bad, plant_code="P")
    assert _errors(excinfo) == [
        (2, "target", "101 is outside 0..100"),
        (3, "code", "'A' already appears in row 2"),
        (3, "kind", "'canteen' is not one of workshop, inspection, store, department"),
        (3, "target", "'x' is not a number"),
        (
            4,
            "code",
            "unit code 'B B' must be 1-40 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit",
        ),
        (4, "name", "name is empty"),
        (4, "parent", "unknown parent unit 'ZZ'"),
    ]
    assert session.exec(select(Plant)).all() == []
    assert snapshot(engine)["unit"] == []


def test_an_import_keeps_what_each_changed_record_was_in_its_audit_record(
    tmp_path, session, plant_files
):
    _load(session, plant_files)
    for quantity in (100, 5):
        handovers = f"month,from,to,quantity\n2026-10,STORE,SHEET,{quantity}"
        path = write_csv(tmp_path / "handovers.csv", handovers)
        import_file(actor=SYSTEM, session=session, kind="handovers", path=path)
    units = write_csv(tmp_path / "units.csv", UNITS.replace("bending,88", "bending,50"))
    import_file(actor=SYSTEM, session=session, kind="units", path=units)
    records = session.exec(select(AuditRecord).order_by(AuditRecord.id)).all()
    kept = [json.loads(r.after)["changes"] for r in records if r.entity in ("handovers", "units")]
    sheet = {"name": "钣金分厂", "kind": "workshop", "categories": "cutting;bending"}
    quantity = {"key": "2026-10 STORE->SHEET", "before": {"quantity": 100.0}}
    assert kept == [
        [],  # the units created
        [],  # the handover created
        [quantity | {"after": {"quantity": 5.0}}],
        [
            {
                "key": "SHEET",
                "before": sheet | {"target": 88.0, "parent": None},
                "after": sheet | {"target": 50.0, "parent": None},
            }
        ],
    ]


def test_handovers_of_a_month_not_begun_are_refused(tmp_path, engine, session, plant_files):
    """What was handed over is known once the month runs, as scores are: a month typed wrong
    (2062 for 2026) must not decide who may score whom in it."""
    _load(session, plant_files)
    current, coming = month_of(date.today()), next_month(month_of(date.today()))
    before = snapshot(engine)
    path = write_csv(
        tmp_path / "handovers.csv",
        f"month,from,to,quantity\n{current},STORE,SHEET,5\n{coming},STORE,SHEET,5",
    )
    assert _refused(session, "handovers", path) == [
        (3, "month", f"{coming} has not begun: its handovers can be recorded from {coming}-01")
    ]
    assert snapshot(engine) == before
    write_csv(path, f"month,from,to,quantity\n{current},STORE,SHEET,5")
    assert import_file(actor=SYSTEM, session=session, kind="handovers", path=path).created == 1


def test_a_quantity_saved_with_thousands_separators_is_read_as_its_number(
    tmp_path, engine, session, plant_files
):
    """A quantity column formatted with thousands separators is saved "12,500" in a CSV file
    whose columns a comma separates (where a comma cannot be the decimal point): it is
    12500. A comma that does not separate thousands (1,5) is refused."""
    _load(session, plant_files)
    current = month_of(date.today())
    path = write_csv(
        tmp_path / "handovers.csv",
        f'month,from,to,quantity\n{current},STORE,SHEET,"12,500"\n'
        f'{current},SHEET,QC,"1,234,567.5"\n',
    )
    assert import_file(actor=SYSTEM, session=session, kind="handovers", path=path).created == 2
    stored = {(h.quantity) for h in session.exec(select(Handover))}
    assert stored == {12500, 1234567.5}
    before = snapshot(engine)
    write_csv(path, f'month,from,to,quantity\n{current},STORE,SHEET,"1,5"')
    assert _refused(session, "handovers", path) == [(2, "quantity", "'1,5' is not a number")]
    assert snapshot(engine) == before


def test_a_handover_or_relation_without_its_units_is_refused_saying_so(
    tmp_path, engine, session, plant_files
):
    """A row left without its units is told so once per cell, not that a unit '' is unknown
    and supplies itself."""
    _load(session, plant_files)
    current = month_of(date.today())
    before = snapshot(engine)
    handovers = write_csv(tmp_path / "h.csv", f"month,from,to,quantity\n{current},,,5")
    assert _refused(session, "handovers", handovers) == [
        (2, "from", "no unit given"),
        (2, "to", "no unit given"),
    ]
    relations = write_csv(tmp_path / "r.csv", "provider,customer\nQC,")
    assert _refused(session, "service-relations", relations) == [(2, "customer", "no unit given")]
    assert snapshot(engine) == before


def test_a_cell_typed_in_full_width_characters_is_refused_saying_so(
    tmp_path, engine, session, plant_files
):
    """An input method left in full-width mode types ＳＴＯＲＥ for STORE and １００ for 100,
    which read alike: the refusal says what to retype. A name in full-width brackets is
    refused for its length alone, which they have nothing to do with."""
    _load(session, plant_files)
    current = month_of(date.today())
    before = snapshot(engine)
    handovers = write_csv(
        tmp_path / "handovers.csv",
        f"month,from,to,quantity\n{current},ＳＴＯＲＥ,SHEET,１００\n{current},STORE,ASSY,50",
    )
    assert _refused(session, "handovers", handovers) == [
        (
            2,
            "from",
            "unknown unit 'ＳＴＯＲＥ'; the cell holds full-width characters (Ｓ, Ｔ, Ｏ, Ｒ, Ｅ):"
            " type them half-width",
        ),
        (
            2,
            "quantity",
            "'１００' is not a number; the cell holds full-width characters (１, ０): type them"
            " half-width",
        ),
    ]
    name = "钣金分厂（一）" + "长" * 200
    units = write_csv(tmp_path / "units.csv", f"code,name,kind\nSHEET,{name},workshop")
    assert _refused(session, "units", units) == [(2, "name", "name is longer than 200 characters")]
    assert snapshot(engine) == before


def test_a_cell_holding_an_invisible_character_is_refused_naming_it(
    tmp_path, engine, session, plant_files
):
    """A code copied from a chat message or a web page may carry a zero-width space (or a
    byte-order mark) after it: 'STORE\u200b' reads as STORE in the refusal, so the refusal
    names the character to delete."""
    _load(session, plant_files)
    current = month_of(date.today())
    before = snapshot(engine)
    handovers = write_csv(
        tmp_path / "handovers.csv",
        f"month,from,to,quantity\n{current},STORE\u200b,SHEET,100\n{current},STORE,ASSY\ufeff,50",
    )
    assert _refused(session, "handovers", handovers) == [
        (
            2,
            "from",
            "unknown unit 'STORE\u200b'; the cell holds invisible characters (U+200B): delete them",
        ),
        (
            3,
            "to",
            "unknown unit 'ASSY\ufeff'; the cell holds invisible characters (U+FEFF): delete them",
        ),
    ]
    assert snapshot(engine) == before


def test_a_month_before_the_last_closed_one_takes_no_handovers_nor_relations(
    tmp_path, engine, session, plant_files
):
    """The months close in order: one before the last closed month, closed or not, is read
    by the months closed after it, and takes no handovers nor a relation in force in it."""
    _loaded_with_april_and_may_closed(session, plant_files)
    before = snapshot(engine)
    handovers = write_csv(
        tmp_path / "handovers.csv", "month,from,to,quantity\n2026-03,STORE,SHEET,5"
    )
    assert _refused(session, "handovers", handovers) == [
        (
            2,
            "month",
            "2026-03 is before 2026-05, the last closed month: months close in order, so it"
            " takes no handovers",
        )
    ]
    relations = write_csv(tmp_path / "s.csv", "provider,customer,weight\nSTORE,ASSY,2\n")
    with pytest.raises(ImportRejected) as excinfo:
        import_file(
            actor=SYSTEM,
            session=session,
            kind="service-relations",
            path=relations,
            effective=date(2026, 3, 15),
        )
    assert _errors(excinfo) == [
        (
            2,
            "weight",
            "STORE->ASSY: a weight from 2026-03-15 would change 2026-05, which is closed: take"
            " it in force from 2026-06-01, or reopen the months from 2026-04 first",
        )
    ]
    assert snapshot(engine) == before


def test_a_service_relation_listed_twice_is_refused(tmp_path, engine, session, plant_files):
    _load(session, plant_files)
    before = snapshot(engine)
    twice = write_csv(
        tmp_path / "services.csv", "provider,customer,weight\nQC,ASSY,2\nQC,SHEET,1\nQC,ASSY,3"
    )
    assert _refused(session, "service-relations", twice) == [
        (4, "customer", "the same relation is already in row 2")
    ]
    assert snapshot(engine) == before


def test_a_weight_planned_from_a_later_date_is_left_alone_by_the_same_file_again(
    tmp_path, engine, session, plant_files
):
    """A weight set from a coming date is the weight the file lists: importing the file again
    without a date changes nothing, as it does for a routing version planned ahead."""
    _load(session, plant_files)
    path = tmp_path / "services.csv"
    import_file(
        actor=SYSTEM,
        session=session,
        kind="service-relations",
        path=write_csv(path, "provider,customer,weight\nQC,ASSY,2"),
    )
    planned = date(date.today().year + 1, 1, 1)
    write_csv(path, "provider,customer,weight\nQC,ASSY,3")
    import_file(
        actor=SYSTEM, session=session, kind="service-relations", path=path, effective=planned
    )
    before = snapshot(engine)
    again = import_file(actor=SYSTEM, session=session, kind="service-relations", path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert snapshot(engine) == before
    plant = resolve_plant(session=session, code=None)
    weights = service_weights(session=session, plant=plant, days=[date.today(), planned])
    assert weights == {date.today(): {("QC", "ASSY"): 2.0}, planned: {("QC", "ASSY"): 3.0}}


def test_a_service_relations_file_without_weights_keeps_the_weights_of_listed_pairs(
    tmp_path, engine, session, plant_files
):
    """Listing which units a department serves, without weights, adds the new pairs at the
    default weight 1 and leaves the weights of the pairs already stored as they are."""
    _load(session, plant_files)
    path = tmp_path / "services.csv"
    write_csv(path, "provider,customer,weight\nQC,ASSY,3")
    import_file(actor=SYSTEM, session=session, kind="service-relations", path=path)
    write_csv(path, "provider,customer\nQC,ASSY\nQC,SHEET")
    summary = import_file(actor=SYSTEM, session=session, kind="service-relations", path=path)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 0, 1)
    plant = resolve_plant(session=session, code=None)
    today = date.today()
    assert service_weights(session=session, plant=plant, days=[today]) == {
        today: {("QC", "ASSY"): 3.0, ("QC", "SHEET"): 1.0}
    }


def test_a_units_parent_is_changed_cleared_and_never_made_circular(
    tmp_path, engine, session, plant_files
):
    _load(session, plant_files)

    def parents_after(parent):
        text = f"code,name,kind,categories,target,parent\nQC,检验站,inspection,inspection,,{parent}"
        summary = import_file(
            actor=SYSTEM, session=session, kind="units", path=write_csv(tmp_path / "u.csv", text)
        )
        units = units_by_code(session=session, plant=resolve_plant(session=session, code=None))
        code_of = {unit.id: code for code, unit in units.items()}
        return (summary.updated, summary.unchanged), code_of.get(units["QC"].parent_id)

    assert parents_after("ASSY") == ((1, 0), "ASSY")
    assert parents_after("ASSY") == ((0, 1), "ASSY")
    assert parents_after("SHEET") == ((1, 0), "SHEET")
    assert parents_after("") == ((1, 0), None)
    audited = session.exec(select(AuditRecord).where(AuditRecord.entity == "units")).all()
    assert len(audited) == 4  # the first import and the three changes
    header = "code,name,kind,categories,target,parent"
    before = snapshot(engine)
    circle = write_csv(
        tmp_path / "circle.csv",
        f"{header}\nQC,检验站,inspection,inspection,,ASSY\nASSY,总装分厂,workshop,assembly,,QC",
    )
    assert _refused(session, "units", circle) == [
        (2, "parent", "the parents go round in a circle: QC -> ASSY -> QC"),
        (3, "parent", "the parents go round in a circle: ASSY -> QC -> ASSY"),
    ]
    assert snapshot(engine) == before


def test_a_units_file_without_an_optional_column_keeps_what_the_units_hold_there(
    tmp_path, engine, session, plant_files
):
    """Renaming units with a file of their code, name and kind alone must not take their
    categories, targets or parents: a column the file lacks keeps the stored values, as the
    scores file's comment column does."""
    _load(session, plant_files)
    header = "code,name,kind,categories,target,parent"
    qc = write_csv(tmp_path / "qc.csv", f"{header}\nQC,检验站,inspection,inspection,,ASSY")
    import_file(actor=SYSTEM, session=session, kind="units", path=qc)
    renames = write_csv(
        tmp_path / "renames.csv",
        "code,name,kind\nSHEET,钣金车间,workshop\nQC,检验站,inspection\nNEW,新单位,store",
    )
    summary = import_file(actor=SYSTEM, session=session, kind="units", path=renames)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 1)
    units = units_by_code(session=session, plant=resolve_plant(session=session, code=None))
    sheet, qc, new = units["SHEET"], units["QC"], units["NEW"]
    assert (sheet.name, sheet.categories, sheet.target) == ("钣金车间", "cutting;bending", 88)
    assert qc.parent_id == units["ASSY"].id
    assert (new.categories, new.target, new.parent_id) == ("", None, None)
    # the first units file again, which has no parent column: SHEET's name back, QC's parent
    # kept
    again = import_file(actor=SYSTEM, session=session, kind="units", path=plant_files[0])
    assert (again.updated, again.unchanged) == (1, 3)
    session.refresh(qc)
    assert qc.parent_id == units["ASSY"].id


def test_a_category_the_routings_use_cannot_be_taken_from_its_unit(
    tmp_path, engine, session, plant_files
):
    _load(session, plant_files)
    before = snapshot(engine)
    fewer = write_csv(tmp_path / "units.csv", UNITS.replace("cutting;bending", "cutting"))
    assert _refused(session, "units", fewer) == [
        (
            3,
            "categories",
            "'bending' is used by the routing of BP (op 20): import the routings without it first",
        )
    ]
    assert snapshot(engine) == before


def test_header_problems_are_reported_before_any_row(tmp_path, session):
    bad = write_csv(tmp_path / "units.csv", "Code,NAME,colour,code\nA,Alpha,red,A")
    assert _refused(session, "units", bad) == [
        (1, "code", "the column appears more than once"),
        (1, "colour", "unknown column (expected: code, name, kind, categories, target, parent)"),
        (1, "kind", "required column is missing"),
    ]


@pytest.mark.parametrize(
    ("content", "row", "reason"),
    [
        (b"", None, "the file is empty (no header row)"),
        (
            b"code,name,kind\n\xff\xfe,x,store\n",
            2,
            "the file is not UTF-8 text (byte 15): save it as CSV UTF-8",
        ),
    ],
)
def test_unreadable_files_are_refused(tmp_path, session, content, row, reason):
    path = tmp_path / "units.csv"
    path.write_bytes(content)
    assert _refused(session, "units", path) == [(row, "", reason)]


@pytest.mark.parametrize(
    "data",
    [
        b"code,name,kind\rA,Alpha,store\rB,Beta,workshop\r",
        b"code,name,kind,\nA,Alpha,store,\nB,Beta,workshop,\n",
        b"code,name,kind,,\r\nA,Alpha,store\r\nB,Beta,workshop,,\r\n",
    ],
    ids=["lone-cr", "trailing-comma", "empty-header-cells"],
)
def test_files_as_other_programs_write_them_are_read(data):
    table = read_table("units.csv", ("code", "name", "kind"), data=data)
    assert [(row.number, row["code"], row["kind"]) for row in table] == [
        (2, "A", "store"),
        (3, "B", "workshop"),
    ]


@pytest.mark.parametrize(
    ("separator", "said"),
    [(";", "semicolons (;)"), ("\t", "tabs"), ("，", "full-width commas (，)")],
    ids=["semicolon", "tab", "full-width-comma"],
)
def test_a_file_whose_columns_are_not_separated_by_commas_is_refused_saying_so(
    tmp_path, engine, session, plant_files, separator, said
):
    _load(session, plant_files)
    before = snapshot(engine)
    rows = [["code", "name", "kind", "target"], ["SHEET", "钣金分厂", "workshop", "90,5"]]
    path = tmp_path / "units.csv"
    path.write_text("\n".join(map(separator.join, rows)) + "\n", encoding="utf-8")
    assert _refused(session, "units", path) == [
        (
            1,
            "",
            f"the columns are separated by {said}, not by commas: save the file as"
            " CSV UTF-8 (comma delimited)",
        )
    ]
    assert snapshot(engine) == before


def test_a_file_headed_in_chinese_imports_as_the_file_headed_in_english(
    tmp_path, engine, session, plant_files
):
    """A Chinese plant heads its columns in Chinese (代码, 名称, …; the README lists them):
    the files import as those headed in English, which then change nothing, and a refused
    cell names its column as the file does."""
    headed = {
        UNITS: "代码,名称,类型,工艺类别,目标",
        ROUTINGS: "零件,工序,单位,工艺类别,前道工序,检验",
    }
    units, routings = (
        write_csv(tmp_path / f"{kind}_zh.csv", text.replace(text.strip().splitlines()[0], zh))
        for kind, (text, zh) in zip(("units", "routings"), headed.items(), strict=True)
    )
    assert import_file(actor=SYSTEM, session=session, kind="units", path=units).created == 4
    assert import_file(actor=SYSTEM, session=session, kind="routings", path=routings).created
    before = snapshot(engine)
    units_en, routings_en = plant_files
    assert import_file(actor=SYSTEM, session=session, kind="units", path=units_en).unchanged == 4
    assert import_file(actor=SYSTEM, session=session, kind="routings", path=routings_en).unchanged
    assert snapshot(engine) == before
    bad = write_csv(tmp_path / "bad.csv", "代码,名称,类型\nMILL,机加分厂,factory")
    assert _refused(session, "units", bad) == [
        (2, "类型", "'factory' is not one of workshop, inspection, store, department")
    ]
    assert snapshot(engine) == before


def test_a_file_headed_in_chinese_is_told_its_missing_and_expected_columns_in_chinese(
    tmp_path, engine, session
):
    """A scores file headed in Chinese whose value column is headed 分数 (not 分值) is told
    the column it lacks and the columns it may have as the file would head them, the English
    name in parentheses as the import page lists them, and a column it heads twice as it
    heads it; a file headed in English keeps them in English."""
    before = snapshot(engine)
    header = "月份,评价单位,被评价单位,指标,分数"
    zh = write_csv(tmp_path / "scores_zh.csv", f"{header}\n2026-03,A,B,Q,9")
    assert _refused(session, "scores", zh) == [
        (1, "分值（value）", "required column is missing"),
        (
            1,
            "分数",
            "unknown column (expected: 月份（month）, 评价单位（rater）, 被评价单位（ratee）,"
            " 指标（criterion）, 分值（value）, 说明（comment）)",
        ),
    ]
    en = write_csv(tmp_path / "scores.csv", "month,rater,ratee,criterion\n2026-03,A,B,Q")
    assert _refused(session, "scores", en) == [(1, "value", "required column is missing")]
    twice = write_csv(tmp_path / "units_zh.csv", "代码,名称,类型,代码\nA,甲,store,A")
    assert _refused(session, "units", twice) == [(1, "代码", "the column appears more than once")]
    assert snapshot(engine) == before


def test_an_inspection_marked_in_chinese_is_read_as_marked_in_english(
    tmp_path, engine, session, plant_files
):
    """A Chinese routing sheet marks an inspection 是 or 否 under 检验: the file imports as
    the one marked 1 and 0, which then changes nothing."""
    units, routings = plant_files
    import_file(actor=SYSTEM, session=session, kind="units", path=units)
    lines = ROUTINGS.strip().splitlines()
    marked = [
        ",".join(line.split(",")[:-1] + [{"0": "否", "1": " 是"}[line[-1]]]) for line in lines[1:]
    ]
    chinese = write_csv(
        tmp_path / "routings_zh.csv", "\n".join(["零件,工序,单位,工艺类别,前道工序,检验", *marked])
    )
    assert import_file(actor=SYSTEM, session=session, kind="routings", path=chinese).created
    before = snapshot(engine)
    assert import_file(actor=SYSTEM, session=session, kind="routings", path=routings).unchanged
    assert snapshot(engine) == before
    bad = write_csv(tmp_path / "bad.csv", "零件,工序,单位,检验\nBP,10,STORE,对")
    assert _refused(session, "routings", bad) == [
        (2, "检验", "'对' is not 1/0, true/false or 是/否")
    ]


def test_a_file_headed_as_the_import_page_lists_the_columns_imports(tmp_path, engine, session):
    """The Chinese import page lists the columns 代码（code）, 名称（name）, …: a file headed
    with those names, or with ( ) typed half-width, imports as one headed 代码, 名称, …, and
    a refused cell names its column as the file does."""
    listed = write_csv(
        tmp_path / "units.csv", "代码（code）,名称(name),类型（kind）\nMILL,机加,workshop"
    )
    assert import_file(actor=SYSTEM, session=session, kind="units", path=listed).created == 1
    before = snapshot(engine)
    bad = write_csv(tmp_path / "bad.csv", "代码（code）,名称(name),类型（kind）\nMILL,机加,factory")
    assert _refused(session, "units", bad) == [
        (2, "类型（kind）", "'factory' is not one of workshop, inspection, store, department")
    ]
    assert snapshot(engine) == before


def test_every_column_of_every_import_has_one_chinese_name_in_its_file():
    columns = {kind: (*spec.required, *spec.optional) for kind, spec in KINDS.items()}
    assert {c for named in columns.values() for c in named} == set(CHINESE_COLUMNS)
    for named in columns.values():
        chinese = [CHINESE_COLUMNS[c] for c in named]
        assert len(set(chinese)) == len(chinese)


def test_a_quote_left_open_is_refused_instead_of_taking_in_the_rows_after_it(
    tmp_path, engine, session
):
    """A comment typed 'late "twice' saved without its closing quote: the CSV reader would
    read every line after it into that cell, and the rows it holds would be lost without a
    word; a quote inside a cell that is not quoted (12" flange) stays as it is."""
    before = snapshot(engine)
    open_quote = write_csv(
        tmp_path / "units.csv",
        'code,kind,name\nA,store,Alpha\nB,store,"Beta ""B\nC,store,Gamma\nD,store,Delta\n',
    )
    told = (
        'a quote (") opening a cell in this row is not closed, so every line after it would be'
        ' read into that cell: close it, or write a quote inside a quoted cell twice ("")'
    )
    assert _refused(session, "units", open_quote) == [(3, "", told)]
    assert snapshot(engine) == before
    inches = b'code,kind,name\nA,store,12" flange\n'
    table = read_table("units.csv", ("code", "kind", "name"), data=inches)
    assert [row["name"] for row in table] == ['12" flange']


def test_a_cell_under_no_column_name_is_refused_naming_it():
    """A note typed beside a row, or a name with a comma saved unquoted: the refusal names
    the cell under no column name by its spreadsheet column, not only the count."""
    data = "code,name,kind,\nA,Alpha,store,red\nB,Beta, main,store\nC,Gamma,store,,,核对\n"
    with pytest.raises(ImportRejected) as excinfo:
        read_table("units.csv", ("code", "name", "kind"), data=data.encode())
    assert _errors(excinfo) == [
        (2, "", "4 cells but the header has 3 columns: 'red' in column D is under no column name"),
        (
            3,
            "",
            "4 cells but the header has 3 columns: 'store' in column D is under no column name",
        ),
        (4, "", "6 cells but the header has 3 columns: '核对' in column F is under no column name"),
    ]


def _workbook(tmp_path, rows, edit=None) -> bytes:
    """An XLSX file of ``rows`` as openpyxl writes it, its sheet's XML changed by ``edit``."""
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    if edit is None:
        return path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = edit(content)
            target.writestr(item, content)
    return buffer.getvalue()


def test_a_workbook_is_read_as_its_spreadsheet_program_shows_it(tmp_path):
    rows = [("month", "name", "target"), (datetime(2026, 11, 1), '=UPPER("abc")', "=40*2")]

    def saved_values(xml: bytes) -> bytes:  # the values a spreadsheet program saves
        xml = xml.replace(b'<c r="B2"><f>', b'<c r="B2" t="str"><f>')
        xml = xml.replace(b'UPPER("abc")</f><v />', b'UPPER("abc")</f><v>ABC</v>')
        return xml.replace(b"<f>40*2</f><v />", b"<f>40*2</f><v>80</v>")

    data = _workbook(tmp_path, rows, saved_values)
    table = read_table("book.xlsx", ("month", "name", "target"), data=data)
    # the date as the sheet shows it: openpyxl formats a written date yyyy-mm-dd h:mm:ss
    assert [(row["month"], row["name"], row["target"]) for row in table] == [
        ("2026-11-01", "ABC", "80")
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(_workbook(tmp_path, rows[:1])))
    workbook.active.append([datetime(2026, 11, 1), "x", 1])
    workbook.active["A2"].number_format = "yyyy-mm"
    path = tmp_path / "month.xlsx"
    workbook.save(path)
    table = read_table("month.xlsx", ("month", "name", "target"), data=path.read_bytes())
    assert [row["month"] for row in table] == ["2026-11"]


def test_a_title_above_the_header_is_refused_naming_the_row_of_the_columns(
    tmp_path, engine, session
):
    """A report as a plant keeps it has a title merged over its first row (and a blank row
    under it): the file is told which row names its columns, not that every column is
    missing and every row has too many cells."""
    before = snapshot(engine)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["2026年11月 单位清单"])
    sheet.merge_cells("A1:C1")
    sheet.append([])
    sheet.append(["代码", "名称", "类型"])
    sheet.append(["MILL", "机加分厂", "workshop"])
    workbook.save(tmp_path / "units.xlsx")
    told = [(1, "", "the columns are named in row 3: delete the rows above it")]
    assert _refused(session, "units", tmp_path / "units.xlsx") == told
    titled = write_csv(tmp_path / "units.csv", "单位清单,,\ncode,name,kind\nMILL,Mill,workshop")
    assert _refused(session, "units", titled) == [
        (1, "", "the columns are named in row 2: delete the rows above it")
    ]
    assert snapshot(engine) == before


def test_a_workbook_whose_columns_are_on_another_sheet_is_refused_naming_it(
    tmp_path, engine, session
):
    """A plant's template has its instructions on the first sheet (or an empty one left
    first): the file is told the sheet that names the columns, not every column missing;
    its rows are not imported from that sheet, which may be another month's."""
    before = snapshot(engine)
    for first in (["每行一个单位：代码、名称、类型"], None):
        workbook = openpyxl.Workbook()
        workbook.active.title = "说明"
        if first:
            workbook.active.append(first)
        units = workbook.create_sheet("单位")
        units.append(["code", "name", "kind"])
        units.append(["MILL", "Mill", "workshop"])
        workbook.save(tmp_path / "units.xlsx")
        assert _refused(session, "units", tmp_path / "units.xlsx") == [
            (
                None,
                "",
                "the first sheet, '说明', does not name the columns, sheet '单位' does: move it"
                " first (a workbook is read from its first sheet)",
            )
        ]
    assert snapshot(engine) == before


def test_a_formula_without_its_value_or_a_damaged_workbook_is_refused(tmp_path):
    data = _workbook(tmp_path, [("code", "name", "kind"), ("A", "=B1", "store")])
    with pytest.raises(ImportRejected) as excinfo:
        read_table("book.xlsx", ("code", "name", "kind"), data=data)
    assert _errors(excinfo) == [
        (
            2,
            "",
            "cell B2 holds a formula whose value was not saved: open the file in a spreadsheet"
            " program and save it",
        )
    ]
    cut = _workbook(
        tmp_path, [("code", "name", "kind"), ("A", "Alpha", "store")], lambda x: x[:-40]
    )
    with pytest.raises(ImportRejected) as excinfo:
        read_table("book.xlsx", ("code", "name", "kind"), data=cut)
    ((row, column, reason),) = _errors(excinfo)
    assert (row, column, reason.split(":")[0]) == (None, "", "not a readable XLSX workbook")


def test_a_percentage_in_a_workbook_is_read_as_it_shows_not_as_its_fraction(
    tmp_path, engine, session, plant_files
):
    """A target typed 88% is the number 0.88 formatted as a percentage: read as the 0.88 it
    holds, it would make every score of the unit meet its target."""
    _load(session, plant_files)
    before = snapshot(engine)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "kind", "target"])
    sheet.append(["SHEET", "钣金分厂", "workshop", 0.88])
    sheet.append(["QC", "检验站", "inspection", 0.875])
    sheet.append(["ASSY", "总装分厂", "workshop", 1])
    sheet["D2"].number_format = "0%"
    sheet["D3"].number_format = "0.0%"
    sheet["D4"].number_format = "0%"
    workbook.save(tmp_path / "units.xlsx")
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="units", path=tmp_path / "units.xlsx")
    assert _errors(excinfo) == [
        (2, "target", "'88%' is not a number"),
        (3, "target", "'87.5%' is not a number"),
        (4, "target", "'100%' is not a number"),
    ]
    assert snapshot(engine) == before


def test_a_file_is_read_as_what_it_holds_whatever_its_name_ends_with(tmp_path):
    """A workbook renamed .csv, or CSV text named .xlsx, is read as what it is; before, as
    text that is not UTF-8, or as a workbook that is not one."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["code", "name", "kind"])
    workbook.active.append(["A", "甲", "store"])
    workbook.save(tmp_path / "units.xlsx")
    for name, data in (
        ("units.csv", (tmp_path / "units.xlsx").read_bytes()),
        ("units.xlsx", "code,name,kind\nA,甲,store\n".encode()),
    ):
        table = read_table(name, ("code", "name", "kind"), data=data)
        assert [(row["code"], row["name"], row["kind"]) for row in table] == [("A", "甲", "store")]


def test_an_excel_97_workbook_is_refused_saying_what_to_save_it_as():
    """An older Excel saves .xls: the file is told so, not that row 1 is not UTF-8 text."""
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    for name in ("units.xls", "units.csv"):
        with pytest.raises(ImportRejected) as excinfo:
            read_table(name, ("code", "name", "kind"), data=xls)
        assert _errors(excinfo) == [
            (
                None,
                "",
                "the file is an Excel 97-2003 workbook (.xls): save it as an Excel workbook"
                " (.xlsx) or as CSV UTF-8",
            )
        ]


def test_bom_and_xlsx_give_the_same_result(tmp_path, session):
    (tmp_path / "units.csv").write_bytes("\ufeffCODE,Name,KIND\nA,甲,store\n".encode())
    import_file(
        actor=SYSTEM, session=session, kind="units", path=tmp_path / "units.csv", plant_code="P"
    )
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "kind", "target"])
    sheet.append(["B", "乙", "workshop", 90])
    sheet.append(["C", "丙", "inspection", None])
    workbook.save(tmp_path / "units.xlsx")
    summary = import_file(
        actor=SYSTEM, session=session, kind="units", path=tmp_path / "units.xlsx", plant_code="P"
    )
    assert summary.created == 2
    units = {u.code: (u.name, u.kind, u.target) for u in session.exec(select(Unit))}
    assert units == {
        "A": ("甲", "store", None),
        "B": ("乙", "workshop", 90.0),
        "C": ("丙", "inspection", None),
    }


def test_a_table_numbers_its_rows_and_reads_columns_at_once():
    data = "\ufeffName,CODE\r\n\r\nA, x \r\n,\r\nB,y,\r\n".encode()
    table = read_table("t.csv", ("code", "name"), ("kind",), data=data)
    assert len(table) == 2
    assert [(row.number, row["code"], row["name"], row["kind"]) for row in table] == [
        (3, "x", "A", ""),
        (5, "y", "B", ""),
    ]
    assert (table[-1].number, [row.number for row in table[:1]]) == (5, [3])
    assert [list(column) for column in table.columns(("kind", "code"))] == [["", ""], ["x", "y"]]
    # every row full (read column by column) or one of spaces, skipped as blank: a cell's
    # edge spaces stripped, inner ones kept
    for blank, last in (("", 4), (" , \r\n", 5)):
        data = f"code,name\r\nx,Sheet metal\r\n y\t,B\r\n{blank}z,\u3000C\r\n".encode()
        table = read_table("t.csv", ("code", "name"), ("kind",), data=data)
        assert [(row.number, row["code"], row["name"], row["kind"]) for row in table] == [
            (2, "x", "Sheet metal", ""),
            (3, "y", "B", ""),
            (last, "z", "C", ""),
        ]
        assert table.columns(("name", "kind")) == [("Sheet metal", "B", "C"), ("", "", "")]


def _read(data: bytes):
    """What ``read_table`` makes of ``data``: its rows and columns, or its errors."""
    try:
        table = read_table("t.csv", ("code", "name"), ("kind",), data=data)
    except ImportRejected as rejected:
        return [(e.row, e.column, e.reason) for e in rejected.errors]
    return table.numbers, table.columns(("code", "name", "kind"))


# pieces of a cell, the treacherous ones included: separators, quotes, line breaks of every
# kind, what str.strip removes (a unit separator, a no-break and an ideographic space)
CELL_PIECES = ["a", "中", ",", '"', "\n", "\r", " ", "\t", "\x1f", "\xa0", "\u3000"]


@st.composite
def csv_files(draw) -> bytes:
    """A header, then rows of mostly the header's width, each cell written as it is or
    quoted (inner quotes doubled), each row ended by any line break: most such files are
    plain, some are broken by what their cells hold."""
    header = draw(st.sampled_from(["code,name", "Code, NAME ,kind", "name,code,kind", "code,code"]))
    width = header.count(",") + 1
    lines = [header]
    for _ in range(draw(st.integers(0, 5))):
        cells = []
        for _ in range(draw(st.sampled_from([width] * 8 + [width - 1, width + 1]))):
            text = "".join(draw(st.lists(st.sampled_from(CELL_PIECES), max_size=4)))
            quoted = draw(st.booleans())
            cells.append('"' + text.replace('"', '""') + '"' if quoted else text)
        lines.append(",".join(cells))
    ends = draw(st.lists(st.sampled_from(["\n"] * 4 + ["\r\n"] * 4 + ["\r"]), min_size=len(lines)))
    return "".join(line + end for line, end in zip(lines, ends, strict=False)).encode()


@settings(max_examples=500, derandomize=True, deadline=None)
@given(csv_files())
def test_a_plain_csv_file_reads_alike_with_arrow_and_row_by_row(data):
    """Arrow reads plain files (``tabular._arrow_columns``), the csv module the rest: on
    any file both give the same rows, cells and row numbers, or the same errors."""
    fast = _read(data)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(tabular, "_arrow_columns", lambda data: None)
        assert _read(data) == fast


def test_a_plain_csv_file_is_read_by_arrow(monkeypatch):
    """The files of the shape most imports have take Arrow's reader; a file it cannot read
    alike goes row by row with the same result."""
    seen = []
    arrow = tabular._arrow_columns
    monkeypatch.setattr(tabular, "_arrow_columns", lambda data: seen.append(arrow(data)))
    plain = 'code,name,kind\nA, Sheet metal ,"store, main"\r\nB,中 ,\n'.encode()
    assert _read(plain) == ([2, 3], [("A", "B"), ("Sheet metal", "中"), ("store, main", "")])
    assert seen[-1] is not None
    blank = b"code,name\nA,x\n\nB,y\n"
    assert _read(blank) == ([2, 4], [("A", "B"), ("x", "y"), ("", "")])
    assert seen[-1] is None


def test_defect_code_origins_must_be_known_categories_or_handling(tmp_path, session, plant_files):
    _load(session, plant_files)
    codes = write_csv(
        tmp_path / "codes.csv",
        "code,name,origins\nCORR,corrosion,storage\nSCR,scratch,handling\nX,bad,painting;storage",
    )
    assert _refused(session, "defect-codes", codes) == [
        (4, "origins", "'painting' is neither 'handling' nor a category any unit performs")
    ]
    assert session.exec(select(RoutingVersion)).all()  # earlier imports untouched


def test_a_defect_codes_file_without_origins_renames_codes_and_keeps_their_origins(
    tmp_path, session, plant_files
):
    """The origins decide where a problem is traced to: a file of codes and names renames
    the codes without taking their origins (an empty cell still clears them)."""
    _load(session, plant_files)
    path = tmp_path / "codes.csv"
    write_csv(path, "code,name,origins\nCORR,corrosion,storage\nSCR,scratch,handling")
    import_file(actor=SYSTEM, session=session, kind="defect-codes", path=path)
    write_csv(path, "code,name\nCORR,corrosion pits\nSCR,scratch\nNEW,new")
    summary = import_file(actor=SYSTEM, session=session, kind="defect-codes", path=path)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 1)
    plant = resolve_plant(session=session, code=None)
    codes = defect_codes_by_code(session=session, plant=plant)
    assert {code: (c.name, c.origins) for code, c in codes.items()} == {
        "CORR": ("corrosion pits", "storage"),
        "NEW": ("new", ""),
        "SCR": ("scratch", "handling"),
    }
    write_csv(path, "code,name,origins\nCORR,corrosion pits,")
    import_file(actor=SYSTEM, session=session, kind="defect-codes", path=path)
    session.refresh(codes["CORR"])
    assert codes["CORR"].origins == ""
