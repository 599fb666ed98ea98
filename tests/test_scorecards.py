"""What the scoring pages read: a rater's cards, its missing forms, the forms a unit received.

The plant: STORE -> SHEET -> QC -> ASSY (P1), STORE -> SHEET -> ASSY (P2), STORE -> ASSY (P3).
Supply weights (operation transitions): STORE->SHEET 2, STORE->ASSY 1, SHEET->QC 1,
SHEET->ASSY 1, QC->ASSY 1. Default scheme: weights .40/.25/.20/.15, scale 0..10, target 85.
"""

import math
from datetime import date

import pytest

from noac.errors import NoacError
from noac.importers import import_file
from noac.scheme import DEFAULT_SCHEME
from noac.services import coefficients, scorecards, scoring
from noac.services.plants import resolve_plant
from noac.services.schemes import set_scheme
from tests.conftest import QUALITY, SYSTEM, supervisor, write_csv

UNITS = """
code,name,kind,categories,target
STORE,Store,store,storage,
SHEET,Sheet metal,workshop,cutting;bending,88
QC,Inspection,inspection,inspection,
ASSY,Assembly,workshop,assembly,70
"""
ROUTINGS = """
part,op,unit,category,after,inspection
P1,10,STORE,,,0
P1,20,SHEET,bending,10,0
P1,30,QC,,20,1
P1,40,ASSY,,30,0
P2,10,STORE,,,0
P2,20,SHEET,cutting,10,0
P2,30,ASSY,,20,0
P3,10,STORE,,,0
P3,20,ASSY,,10,0
"""
CRITERIA = ("quality", "delivery", "service", "handover")


@pytest.fixture
def plant(tmp_path, session):
    for kind, text in (("units", UNITS), ("routings", ROUTINGS)):
        import_file(
            actor=SYSTEM, session=session, kind=kind, path=write_csv(tmp_path / f"{kind}.csv", text)
        )
    return resolve_plant(session=session, code=None)


def submit(session, plant, month, rater, ratee, values, comments=None, versions=None):
    return scoring.submit_form(
        session=session,
        plant=plant,
        month=month,
        rater=rater,
        ratee=ratee,
        values=values,
        comments=comments or {},
        actor=supervisor(plant, rater),
        expected_versions=versions,
    )


def test_one_card_per_supplier_before_and_after_a_form(session, plant):
    cards = scorecards.rater_cards(session=session, plant=plant, month="2026-03", rater="ASSY")
    assert [(c.supplier, c.supplier_name, c.weight) for c in cards] == [
        ("QC", "Inspection", 1.0),
        ("SHEET", "Sheet metal", 1.0),
        ("STORE", "Store", 1.0),
    ]
    assert all(c.versions == dict.fromkeys(CRITERIA, 0) for c in cards)
    assert all((c.values, c.complete, c.score) == ({}, False, None) for c in cards)

    values = {"quality": 8, "delivery": 10, "service": 6, "handover": 5}
    submit(session, plant, "2026-03", "ASSY", "STORE", values, {"handover": "dented"})
    store = scorecards.rater_cards(session=session, plant=plant, month="2026-03", rater="ASSY")[2]
    # F = 0.40*80 + 0.25*100 + 0.20*60 + 0.15*50 = 76.5
    assert (store.values, store.complete, store.score) == (values, True, 76.5)
    assert store.comments == {"handover": "dented"}
    assert store.versions == dict.fromkeys(CRITERIA, 1)

    # the versions of the card are what a re-submission must present
    again = values | {"quality": 10}
    submit(
        session, plant, "2026-03", "ASSY", "STORE", again, {"handover": "dented"}, store.versions
    )
    store = scorecards.rater_cards(session=session, plant=plant, month="2026-03", rater="ASSY")[2]
    # F = 76.5 + 0.40*20 = 84.5; only the changed criterion gets a new version
    assert store.score == 84.5
    assert store.versions == {"quality": 2, "delivery": 1, "service": 1, "handover": 1}
    with pytest.raises(NoacError, match="was changed"):
        submit(
            session, plant, "2026-03", "ASSY", "STORE", values, {"handover": "x"}, {"quality": 1}
        )


def test_weights_follow_the_supply_graph(session, plant):
    sheet = scorecards.rater_cards(session=session, plant=plant, month="2026-03", rater="SHEET")
    assert [(c.supplier, c.weight) for c in sheet] == [("STORE", 2.0)]
    assert (
        scorecards.rater_cards(session=session, plant=plant, month="2026-03", rater="STORE") == []
    )
    assert scorecards.customer_weights(
        session=session, plant=plant, month="2026-03", unit="SHEET"
    ) == {"ASSY": 1.0, "QC": 1.0}


def test_cards_of_two_months_read_at_once_keep_each_month_s_forms(session, plant):
    submit(session, plant, "2026-02", "ASSY", "STORE", dict.fromkeys(CRITERIA, 7))
    submit(session, plant, "2026-03", "ASSY", "STORE", dict.fromkeys(CRITERIA, 10))
    both = scorecards.months_rater_cards(
        session=session, plant=plant, months=["2026-02", "2026-03"], rater="ASSY"
    )
    for month, value in [("2026-02", 7), ("2026-03", 10)]:
        alone = scorecards.rater_cards(session=session, plant=plant, month=month, rater="ASSY")
        assert both[month] == alone
        store = next(card for card in alone if card.supplier == "STORE")
        assert (store.month, store.values) == (month, dict.fromkeys(CRITERIA, value))


def test_the_missing_forms_are_the_incomplete_ones(tmp_path, session, plant):
    submit(session, plant, "2026-03", "ASSY", "STORE", dict.fromkeys(CRITERIA, 9))
    # an imported partial form (one criterion) is not complete
    partial = write_csv(
        tmp_path / "s.csv", "month,rater,ratee,criterion,value,comment\n2026-03,ASSY,QC,quality,9,"
    )
    import_file(actor=QUALITY, session=session, kind="scores", path=partial)
    cards = scorecards.rater_cards(session=session, plant=plant, month="2026-03", rater="ASSY")
    missing = scorecards.incomplete(cards)
    assert [c.supplier for c in missing] == ["QC", "SHEET"]
    qc = missing[0]
    assert (qc.values, qc.complete, qc.score) == ({"quality": 9}, False, None)
    assert qc.versions == {"quality": 1, "delivery": 0, "service": 0, "handover": 0}


def test_received_forms_say_what_the_satisfaction_counts_of_each(tmp_path, session, plant):
    scheme = tmp_path / "scheme.toml"
    scheme.write_text(
        DEFAULT_SCHEME.read_text().replace('calibration = "none"', 'calibration = "zscore"')
    )
    set_scheme(session=session, plant=plant, path=scheme, actor=SYSTEM)
    for month, value in (("2026-01", 6), ("2026-02", 7), ("2026-03", 8)):
        submit(session, plant, month, "SHEET", "STORE", dict.fromkeys(CRITERIA, value))
        submit(session, plant, month, "ASSY", "STORE", dict.fromkeys(CRITERIA, 10))
    received = scorecards.received_forms(
        session=session, plant=plant, unit="STORE", months=["2026-03"]
    )
    # window forms 60, 70, 80 (SHEET) and 100 three times (ASSY): M = 85,
    # SD = sqrt(1550 / 6); SHEET's 80 counts as 85 + (80 - 70) / sqrt(200 / 3) * SD; ASSY
    # has no spread and keeps its 100
    sheet = 85 + (80 - 70) / math.sqrt(200 / 3) * math.sqrt(1550 / 6)
    assert {f.customer: (f.weight, f.score, f.used) for f in received} == {
        "ASSY": (1.0, 100.0, 100.0),
        "SHEET": (2.0, 80.0, pytest.approx(sheet)),
    }
    (now,) = scorecards.satisfaction_trend(
        session=session, plant=plant, unit="STORE", months=["2026-03"]
    )
    assert now.satisfaction == pytest.approx((2 * sheet + 100) / 3)


def test_received_forms_and_satisfaction(session, plant):
    values = {"quality": 8, "delivery": 10, "service": 6, "handover": 5}
    submit(session, plant, "2026-03", "SHEET", "STORE", values, {"handover": "scratched"})
    submit(session, plant, "2026-03", "ASSY", "STORE", dict.fromkeys(CRITERIA, 10))
    submit(
        session,
        plant,
        "2026-02",
        "ASSY",
        "STORE",
        dict.fromkeys(CRITERIA, 5),
        dict.fromkeys(CRITERIA, "late"),
    )
    received = scorecards.received_forms(
        session=session, plant=plant, unit="STORE", months=["2026-02", "2026-03"]
    )
    assert [(f.month, f.customer, f.customer_name, f.weight, f.score) for f in received] == [
        ("2026-02", "ASSY", "Assembly", 1.0, 50.0),
        ("2026-03", "ASSY", "Assembly", 1.0, 100.0),
        ("2026-03", "SHEET", "Sheet metal", 2.0, 76.5),
    ]
    assert received[2].comments == {"handover": "scratched"}
    assert received[0].comments == dict.fromkeys(CRITERIA, "late")

    months = scorecards.trend_months("2026-03", 3)
    assert months == ["2026-01", "2026-02", "2026-03"]
    trend = scorecards.satisfaction_trend(session=session, plant=plant, unit="STORE", months=months)
    # 2026-02: only ASSY, S = 50; 2026-03: S = (2*76.5 + 1*100) / 3 = 84.33; STORE's target 85
    assert [(m.month, m.closed) for m in trend] == [
        ("2026-01", False),
        ("2026-02", False),
        ("2026-03", False),
    ]
    assert trend[0].satisfaction is None
    assert trend[1].satisfaction == pytest.approx(50.0)
    assert trend[2].satisfaction == pytest.approx(253 / 3)
    assert {m.target for m in trend} == {85.0}

    # a closed month reads the stored result (February, scored too, closes before it)
    for month in ("2026-02", "2026-03"):
        coefficients.close_month(session=session, plant=plant, month=month, actor=QUALITY)
    closed = scorecards.satisfaction_trend(
        session=session, plant=plant, unit="STORE", months=["2026-03"]
    )
    assert closed[0].closed and closed[0].satisfaction == pytest.approx(253 / 3)
    sheet = scorecards.satisfaction_trend(
        session=session, plant=plant, unit="SHEET", months=["2026-03"]
    )
    assert (sheet[0].satisfaction, sheet[0].target) == (None, 88.0)


def test_due_date_is_in_the_next_month():
    assert scorecards.due_date("2026-10", 5) == date(2026, 11, 5)
    assert scorecards.due_date("2026-12", 5) == date(2027, 1, 5)
    assert scorecards.due_date("2026-01", 30) == date(2026, 2, 28)
    with pytest.raises(NoacError):
        scorecards.due_date("2026-13", 5)
