"""The month close, master-data and audit-trail pages, driven through AppTest."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, delete, select, update

from dashboards import i18n
from dashboards.context import plain
from dashboards.i18n import audit_word
from dashboards.waterfall import is_clamped, waterfall_steps
from noac.db import create_db_engine
from noac.demo import history_months
from noac.models import AuditRecord, MonthResult, Plant, ServiceRelation, Unit, local_time
from noac.services import audit
from noac.services.access import SYSTEM
from noac.services.coefficients import (
    UnitResult,
    close_month,
    close_reports,
    compute_month,
    export_records,
    month_results,
    reopen_month,
)
from noac.services.masterdata import list_units
from noac.services.periods import closed_months, month_of, recent_months
from noac.services.plants import resolve_plant
from noac.services.routings import all_routing_versions
from noac.services.schemes import active_scheme, set_scheme
from noac.services.users import actor_for, disable_user, list_users
from tests.apptest import page, signed_in, texts
from tests.conftest import QUALITY, scheme_with_a_criterion

PAGES = [
    ("quality", "views/month_close.py", "Month close", "月度关账"),
    ("admin", "views/masterdata.py", "Master data", "基础数据"),
    ("quality", "views/audit.py", "Audit trail", "审计记录"),
    ("admin", "views/audit.py", "Audit trail", "审计记录"),
]


@contextmanager
def fresh(url: str) -> Iterator[tuple[Session, Plant]]:
    """A session on a new engine (not the app's) and the demo plant AERO."""
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            yield session, resolve_plant(session=session, code="AERO")
    finally:
        engine.dispose()


def frame_with(at, column: str):
    """The page's dataframe that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("user", "script", "english", "chinese"), PAGES)
def test_pages_render_for_their_roles(demo_url, user, script, english, chinese, lang):
    at = page(signed_in(demo_url, user, lang), script)
    assert not at.exception
    assert (chinese if lang == "zh" else english) in texts(at)


def test_close_the_open_month_through_the_page(demo_url):
    at = page(signed_in(demo_url, "quality"), "views/month_close.py")
    month = at.session_state["month"]
    with fresh(demo_url) as (session, plant):
        assert month not in closed_months(session=session, plant=plant)
    assert "preview" in texts(at)
    assert at.button(key="close_submit").disabled
    assert not at.get("download_button")

    at.checkbox(key=f"close_confirm_AERO_{month}").check().run()
    at.button(key="close_submit").click().run()

    assert not at.exception
    assert "is closed (run 1)" in texts(at)
    with fresh(demo_url) as (session, plant):
        assert month in closed_months(session=session, plant=plant)
        stored = month_results(session=session, plant=plant, month=month)
    table = frame_with(at, "K").set_index("unit")
    assert {r.unit: r.coefficient for r in stored.results} == table["K"].to_dict()
    assert [b.key for b in at.get("download_button")] == [
        "close_download_csv",
        "close_download_xlsx",
    ]
    assert at.get("form")  # the reopen form replaced the close button
    assert not [b for b in at.button if b.key == "close_submit"]


def test_a_month_not_over_yet_is_refused_with_the_service_message(demo_url):
    at = page(signed_in(demo_url, "quality"), "views/month_close.py")
    current = month_of(date.today())
    at.sidebar.selectbox(key="month").select(current).run()
    at.checkbox(key=f"close_confirm_AERO_{current}").check().run()
    at.button(key="close_submit").click().run()
    assert any("is not over yet" in e.value for e in at.error)
    with fresh(demo_url) as (session, plant):
        assert current not in closed_months(session=session, plant=plant)


def test_reopen_needs_a_reason(demo_url):
    at = page(signed_in(demo_url, "quality"), "views/month_close.py")
    with fresh(demo_url) as (session, plant):
        month = max(closed_months(session=session, plant=plant))
    at.sidebar.selectbox(key="month").select(month).run()
    assert "This month is closed" in texts(at)

    at.button(key="close_reopen_submit").click().run()
    assert [e.value for e in at.error] == ["reopening a month needs a reason"]
    with fresh(demo_url) as (session, plant):
        assert month in closed_months(session=session, plant=plant)

    at.text_area(key="close_reopen_reason").input("late scores of LOGI")
    at.button(key="close_reopen_submit").click().run()
    assert [e.value for e in at.error] == []
    assert "is open again" in texts(at)
    with fresh(demo_url) as (session, plant):
        assert month not in closed_months(session=session, plant=plant)


def test_a_refusal_on_the_chinese_close_page_reads_in_chinese(demo_url):
    at = page(signed_in(demo_url, "quality", lang="zh"), "views/month_close.py")
    with fresh(demo_url) as (session, plant):
        month = max(closed_months(session=session, plant=plant))
    at.sidebar.selectbox(key="month").select(month).run()
    at.button(key="close_reopen_submit").click().run()
    assert [e.value for e in at.error] == ["重新打开月份需要填写原因"]


def test_a_penalty_severity_reads_in_chinese_on_the_chinese_close_page(demo_url):
    """A problem behind a unit's defect points is named by its severity in the page's
    language (严重 for major), as on the dashboard's unit page, not as stored."""
    with fresh(demo_url) as (session, plant):
        month = max(closed_months(session=session, plant=plant))
        stored = month_results(session=session, plant=plant, month=month)
    result = next(
        r
        for r in stored.results
        if any(d["severity"] == "major" for d in r.decomposition["defects"])
    )
    at = page(signed_in(demo_url, "quality", lang="zh"), "views/month_close.py")
    at.sidebar.selectbox(key="month").select(month).run()
    at.selectbox(key="close_unit").select(result.unit).run()
    table = frame_with(at, "严重程度或期限")
    defects = table[table["扣分类型"] == "缺陷"]
    assert "严重" in set(defects["严重程度或期限"])
    assert not {"minor", "major", "critical"} & set(defects["严重程度或期限"])


def test_a_flag_note_reads_in_chinese_on_the_chinese_close_page(demo_url):
    """In the demo MACH marks HEAT down the month after HEAT reported a problem MACH was made
    responsible for: the note the close stored in English reads in Chinese, in the flags and
    in MACH's decomposition."""
    month = month_of(history_months(date.today())[9])
    with fresh(demo_url) as (session, plant):
        stored = month_results(session=session, plant=plant, month=month)
    (english,) = next(r for r in stored.results if r.unit == "MACH").decomposition["notes"]
    score, average = re.fullmatch(
        r"form for HEAT (\d+\.\d) against its average (\d+\.\d) after HEAT reported a problem"
        r" MACH was made responsible for",
        english,
    ).groups()
    chinese = (
        f"对 HEAT 的评分 {score}，低于其平均分 {average}；此前 HEAT 报告的质量问题由 MACH 承担责任"
    )
    at = page(signed_in(demo_url, "quality", lang="zh"), "views/month_close.py")
    at.sidebar.selectbox(key="month").select(month).run()
    flags = frame_with(at, "说明").set_index("单位")
    assert flags.loc["MACH", "说明"] == chinese
    at.selectbox(key="close_unit").select("MACH").run()
    assert not at.exception
    assert f"- {plain(chinese)}" in [m.value for m in at.markdown]


def test_the_reminders_list_the_suppliers_as_the_page_s_language_lists_them(demo_url):
    """Nothing is scored yet this month: ASSY owes forms for its five suppliers, listed with
    commas on the English page and with the Chinese enumeration comma on the Chinese page."""
    current = month_of(date.today())
    at = page(signed_in(demo_url, "quality"), "views/month_close.py")
    at.sidebar.selectbox(key="month").select(current).run()
    owes = frame_with(at, "owes forms for").set_index("rater unit")
    assert owes.loc["ASSY", "owes forms for"] == (
        "HEAT 热处理分厂, QC-MA 机加检验站, QC-SM 钣金检验站, STORE 物资管理站, SURF 表面处理分厂"
    )
    at = page(signed_in(demo_url, "quality", lang="zh"), "views/month_close.py")
    at.sidebar.selectbox(key="month").select(current).run()
    owes = frame_with(at, "欠交的被评单位").set_index("评价单位")
    assert owes.loc["ASSY", "欠交的被评单位"] == (
        "HEAT 热处理分厂、QC-MA 机加检验站、QC-SM 钣金检验站、STORE 物资管理站、SURF 表面处理分厂"
    )


def test_decomposition_shows_the_waterfall_and_the_clamp(demo_url):
    at = page(signed_in(demo_url, "quality"), "views/month_close.py")
    assert len(at.get("plotly_chart")) == 1
    table = frame_with(at, "K").set_index("unit")
    clamped = [u for u in table.index if table.loc[u, "K"] in (0.7, 1.2)]
    assert clamped, "the demo month has a unit at a limit"
    at.selectbox(key="close_unit").select(clamped[0]).run()
    assert any("Clamped" in w.value for w in at.warning)


def test_waterfall_steps_add_up_to_k():
    result = UnitResult(
        "HEAT", "", 79.0, 7, 85.0, -0.06, 20.0, 4.0, 1.0, 25.0, 0.7, [], {"unclamped": 0.69}
    )
    steps = waterfall_steps(result)
    assert [s for s, _, _ in steps] == [
        "start",
        "satisfaction",
        "defect",
        "overdue",
        "escape",
        "clamp",
        "coefficient",
    ]
    assert sum(v for _, m, v in steps if m != "total") == pytest.approx(0.7)
    assert is_clamped(result)
    unclamped = UnitResult("A", "", 90.0, 1, 85.0, 0.05, 0, 0, 0, 0, 1.05, [], {"unclamped": 1.05})
    assert not is_clamped(unclamped)
    assert "clamp" not in [s for s, _, _ in waterfall_steps(unclamped)]
    # 0.98625 rounds half away from zero to 0.9863 (binary rounding gives 0.9862): no clamp
    halfway = UnitResult(
        "S", "", None, 0, 85.0, 0, 0, 1.375, 0, 1.375, 0.9863, [], {"unclamped": 0.98625}
    )
    assert not is_clamped(halfway)


BAD_UNITS = b"code,name,kind\nNEWA,New unit A,workshop\nNEWB,New unit B,factory\n"


def test_bad_units_file_is_refused_row_by_row_and_changes_nothing(demo_url):
    with fresh(demo_url) as (session, plant):
        before = [(u.code, u.name, u.kind) for u in list_units(session=session, plant=plant)]
    at = page(signed_in(demo_url, "admin"), "views/masterdata.py")
    at.selectbox(key="md_import_kind").select("units").run()
    at.file_uploader(key="md_import_file").set_value(("units.csv", BAD_UNITS, "text/csv")).run()
    at.button(key="md_import_submit").click().run()

    assert not at.exception
    shown = texts(at)
    assert "units.csv: 1 error(s), nothing was imported" in shown
    assert "row 3, column 'kind': 'factory' is not one of" in shown
    with fresh(demo_url) as (session, plant):
        after = [(u.code, u.name, u.kind) for u in list_units(session=session, plant=plant)]
    assert after == before


def test_the_import_names_a_files_columns_as_its_header_may_name_them(demo_url):
    """A file may head its columns in English or in Chinese: the Chinese page names both."""
    at = page(signed_in(demo_url, "admin"), "views/masterdata.py")
    at.selectbox(key="md_import_kind").select("handovers").run()
    assert "Columns: month, from, to, quantity; optional: —" in texts(at)
    at = page(signed_in(demo_url, "admin", lang="zh"), "views/masterdata.py")
    at.selectbox(key="md_import_kind").select("service-relations").run()
    assert "必填列：服务部门（provider）、服务对象（customer）；可选列：权重（weight）" in texts(at)


def test_the_chinese_master_data_page_takes_a_click(demo_url):
    """Its pickers' labels are made with the page, in Chinese: a picker that made them later
    read the language outside the page's run and no longer found its choice."""
    at = page(signed_in(demo_url, "admin", lang="zh"), "views/masterdata.py")
    at.selectbox(key="md_import_kind").select("routings").run()
    assert not at.exception
    assert at.date_input(key="md_import_effective").label == "生效日期"
    assert at.selectbox(key="md_user_role").format_func("quality") == "质量部门"


def test_the_chinese_import_tab_names_the_kinds_of_file_in_chinese(demo_url):
    at = page(signed_in(demo_url, "admin", lang="zh"), "views/masterdata.py")
    kinds = at.selectbox(key="md_import_kind").options
    assert kinds[:3] == ["单位", "工艺路线", "缺陷代码"]
    assert "服务关系" in kinds


def test_the_chinese_units_tab_names_each_unit_s_kind_in_chinese(demo_url):
    at = page(signed_in(demo_url, "admin", lang="zh"), "views/masterdata.py")
    units = frame_with(at, "上级单位").set_index("代码")
    assert (units.loc["ASSY", "类型"], units.loc["QC-FIN", "类型"]) == ("车间", "检验")
    assert (units.loc["STORE", "类型"], units.loc["PLAN", "类型"]) == ("仓库", "职能部门")


@pytest.mark.parametrize(
    ("lang", "schemes"), [("en", "85 (the scheme's)"), ("zh", "85（评价方案）")]
)
def test_the_units_tab_shows_the_target_a_unit_without_its_own_is_held_to(demo_url, lang, schemes):
    """ASSY has no target of its own: the scheme's 85 applies, not "None"; LOGI's is 80."""
    at = page(signed_in(demo_url, "admin", lang=lang), "views/masterdata.py")
    code, target = (i18n.t(key, lang) for key in ("col.code", "col.target"))
    units = frame_with(at, target).set_index(code)
    assert (units.loc["ASSY", target], units.loc["LOGI", target]) == (schemes, "80")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_with_no_disabled_account_the_users_tab_says_so_in_the_page_s_language(demo_url, lang):
    """Not an empty picker that reads "No options to select" on the Chinese page."""
    at = page(signed_in(demo_url, "admin", lang=lang), "views/masterdata.py")
    assert not [s for s in at.selectbox if s.key == "md_enable_who"]
    assert i18n.t("md.none_disabled", lang) in texts(at)


def test_a_refused_file_reads_in_chinese_on_the_chinese_page(demo_url):
    at = page(signed_in(demo_url, "admin", lang="zh"), "views/masterdata.py")
    assert at.selectbox(key="md_import_kind").value == "units"
    at.file_uploader(key="md_import_file").set_value(("units.csv", BAD_UNITS, "text/csv")).run()
    at.button(key="md_import_submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["units.csv：1 处错误，未导入任何数据"]
    assert [e.value for e in at.text] == [
        "第 3 行，列“kind”：“factory”不是 workshop、inspection、store、department 之一"
    ]


def test_an_import_note_reads_in_chinese_on_the_chinese_page(demo_url):
    """A scores file that leaves a form incomplete is imported with a note naming the form."""
    month = month_of(date.today())
    at = page(signed_in(demo_url, "admin", lang="zh"), "views/masterdata.py")
    at.selectbox(key="md_import_kind").select("scores").run()
    scores = f"month,rater,ratee,criterion,value\n{month},ASSY,HEAT,quality,8\n".encode()
    at.file_uploader(key="md_import_file").set_value(("s.csv", scores, "text/csv")).run()
    at.button(key="md_import_submit").click().run()
    assert not at.exception
    (done,) = [s.value for s in at.success]
    assert done.endswith(
        plain(
            f"ASSY 在 {month} 对 HEAT 的评分表填写完整前不计入："
            "缺少 交付（delivery）、服务（service）、交接（handover） 的分值"
        )
    )


def test_a_score_outside_its_scale_names_the_criterion_in_chinese(demo_url):
    at = page(signed_in(demo_url, "admin", lang="zh"), "views/masterdata.py")
    at.selectbox(key="md_import_kind").select("scores").run()
    scores = f"month,rater,ratee,criterion,value\n{month_of(date.today())},ASSY,HEAT,delivery,11\n"
    at.file_uploader(key="md_import_file").set_value(("s.csv", scores.encode(), "text/csv")).run()
    at.button(key="md_import_submit").click().run()
    assert not at.exception
    assert [e.value for e in at.text] == [
        "第 2 行，列“value”：11 超出 交付（delivery） 的分值范围 0..10"
    ]


def test_good_units_file_is_imported(demo_url):
    at = page(signed_in(demo_url, "admin"), "views/masterdata.py")
    good = BAD_UNITS.replace(b"factory", b"store")
    at.file_uploader(key="md_import_file").set_value(("new-units.csv", good, "text/csv")).run()
    at.button(key="md_import_submit").click().run()
    assert not at.exception
    assert "2 created" in texts(at)
    assert "NEWB" in frame_with(at, "parent")["code"].tolist()


def test_a_service_relation_is_imported_in_force_from_the_date_chosen(demo_url):
    at = page(signed_in(demo_url, "admin"), "views/masterdata.py")
    at.selectbox(key="md_import_kind").select("service-relations").run()
    first_day = date.today().replace(day=1)
    at.date_input(key="md_import_effective").set_value(first_day).run()
    relations = b"provider,customer,weight\nENG,ASSY,2\n"
    at.file_uploader(key="md_import_file").set_value(("eng.csv", relations, "text/csv")).run()
    at.button(key="md_import_submit").click().run()
    assert not at.exception
    assert "1 created" in texts(at)
    with fresh(demo_url) as (session, plant):
        assert closed_months(session=session, plant=plant)  # so not from the beginning
        (entry,) = session.exec(select(ServiceRelation)).all()
    assert (entry.effective_from, entry.weight) == (first_day, 2.0)


def test_routings_tab_draws_the_chosen_version(demo_url):
    at = page(signed_in(demo_url, "admin"), "views/masterdata.py")
    with fresh(demo_url) as (session, plant):
        routed = all_routing_versions(session=session, plant=plant)
    assert at.selectbox(key="md_part").options == sorted(routed)
    part = at.selectbox(key="md_part").options[1]
    at.selectbox(key="md_part").select(part).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    operations = frame_with(at, "operation")
    assert len(operations) > 1
    shown = frame_with(at, "in force today")
    assert len(shown) == len(routed[part])  # one row per version of the part


def test_scheme_tab_shows_the_active_scheme(demo_url):
    at = page(signed_in(demo_url, "admin", "zh"), "views/masterdata.py")
    with fresh(demo_url) as (session, plant):
        scheme = active_scheme(session=session, plant=plant)
    assert scheme.content_hash in [c.value for c in at.code]
    criteria = frame_with(at, "说明")
    assert criteria["名称"].tolist() == [c.name_zh for c in scheme.criteria]
    parameters = frame_with(at, "参数").set_index("参数")
    assert scheme.calibration == "none"
    assert parameters.loc["校准方式", "取值"] == "不校准"


def test_admin_adds_disables_and_resets_users(demo_url):
    at = page(signed_in(demo_url, "admin"), "views/masterdata.py")
    at.text_input(key="md_user_name").input("assy-2")
    at.text_input(key="md_user_display").input("Second supervisor of assembly")
    at.selectbox(key="md_user_role").select("supervisor")
    at.selectbox(key="md_user_unit").select("ASSY")
    at.text_input(key="md_user_password").input("short")
    at.button(key="md_add_user_submit").click().run()
    assert any("at least 8 characters" in e.value for e in at.error)

    at.text_input(key="md_user_password").input("long enough 123")
    at.button(key="md_add_user_submit").click().run()
    assert not at.exception and not at.error
    assert "User assy-2 added." in texts(at)
    with fresh(demo_url) as (session, _):
        admin = actor_for(session=session, username="admin")
        added = {u.username: u for u in list_users(session=session, actor=admin)}["assy-2"]
    assert (added.role, added.plant, added.unit, added.active) == (
        "supervisor",
        "AERO",
        "ASSY",
        True,
    )

    at.selectbox(key="md_disable_who").select("assy-2")
    at.checkbox(key="md_disable_confirm").check()
    at.button(key="md_disable_submit").click().run()
    assert "User assy-2 disabled." in texts(at)
    at.selectbox(key="md_reset_who").select("exec")
    at.text_input(key="md_reset_password_new").input("a new password")
    at.button(key="md_reset_submit").click().run()
    assert "The password of exec is reset." in texts(at)
    with fresh(demo_url) as (session, _):
        users = {u.username: u for u in list_users(session=session, actor=admin)}
    assert not users["assy-2"].active


@pytest.mark.parametrize(
    ("lang", "refused"),
    [
        ("en", "role supervisor belongs to a unit of plant AERO: choose the unit"),
        ("zh", "单位负责人必须属于工厂 AERO 的某个单位：请选择单位"),
    ],
)
def test_a_supervisor_added_without_a_unit_is_told_to_choose_the_unit(demo_url, lang, refused):
    """The form has no plant field (the plant is the sidebar's): the refusal asks for the
    unit alone, and nothing is added."""
    at = page(signed_in(demo_url, "admin", lang), "views/masterdata.py")
    assert at.selectbox(key="md_user_role").value == "supervisor"
    assert at.selectbox(key="md_user_unit").value == ""
    at.text_input(key="md_user_name").input("assy-2")
    at.text_input(key="md_user_display").input("Second supervisor of assembly")
    at.text_input(key="md_user_password").input("long enough 123")
    at.button(key="md_add_user_submit").click().run()
    assert [e.value for e in at.error] == [refused]
    with fresh(demo_url) as (session, _):
        admin = actor_for(session=session, username="admin")
        assert "assy-2" not in {u.username for u in list_users(session=session, actor=admin)}


def test_admin_enables_a_disabled_supervisor_again(demo_url):
    with fresh(demo_url) as (session, _):
        disable_user(session=session, actor=SYSTEM, username="aero-assy")
    at = page(signed_in(demo_url, "admin"), "views/masterdata.py")
    assert at.selectbox(key="md_enable_who").options == ["aero-assy"]
    assert "aero-assy" not in at.selectbox(key="md_disable_who").options

    at.button(key="md_enable_submit").click().run()
    assert not at.exception and not at.error
    assert "User aero-assy enabled again." in texts(at)
    assert "No account is disabled." in texts(at)
    with fresh(demo_url) as (session, _):
        assert actor_for(session=session, username="aero-assy").unit == "ASSY"
        (record,) = audit.audit_trail(session=session, actor=SYSTEM, entity="user", limit=1)
    assert (record.actor, record.action, record.entity_id) == ("admin", "enable", "aero-assy")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_disabling_a_user_asks_to_confirm_first(demo_url, lang):
    """A click on Disable alone signs nobody out: the default pick is the first account."""
    at = page(signed_in(demo_url, "admin", lang), "views/masterdata.py")
    assert at.selectbox(key="md_disable_who").value == "aero-assy"
    at.button(key="md_disable_submit").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == [i18n.t("md.disable_unconfirmed", lang)]
    with fresh(demo_url) as (session, _):
        assert actor_for(session=session, username="aero-assy").unit == "ASSY"  # still active
    at.checkbox(key="md_disable_confirm").check()
    at.button(key="md_disable_submit").click().run()
    assert i18n.t("md.user_disabled", lang, username="aero-assy") in texts(at)


def test_a_session_ended_by_disabling_stays_ended_once_the_account_is_enabled_again(demo_url):
    """A leaver's or a stolen session does not come back when the account is enabled again
    within the idle limit: the user signs in anew."""
    supervisor = page(signed_in(demo_url, "aero-assy"), "views/score.py")
    at = page(signed_in(demo_url, "admin"), "views/masterdata.py")
    at.selectbox(key="md_disable_who").select("aero-assy")
    at.checkbox(key="md_disable_confirm").check()
    at.button(key="md_disable_submit").click().run()
    assert "User aero-assy disabled." in texts(at)
    at.selectbox(key="md_enable_who").select("aero-assy")
    at.button(key="md_enable_submit").click().run()
    assert "User aero-assy enabled again." in texts(at)

    supervisor.run()
    assert "Your account was disabled or changed since you signed in" in texts(supervisor)
    assert "actor" not in supervisor.session_state
    again = page(signed_in(demo_url, "aero-assy"), "views/score.py")
    assert not again.exception and again.session_state["actor"].unit == "ASSY"


def test_admin_moves_a_supervisor_to_another_unit_and_their_session_ends(demo_url):
    supervisor = page(signed_in(demo_url, "aero-assy"), "views/score.py")
    at = page(signed_in(demo_url, "admin"), "views/masterdata.py")
    assert "admin" not in at.selectbox(key="md_role_who").options
    at.selectbox(key="md_role_who").select("aero-assy")
    at.selectbox(key="md_role_role").select("supervisor")
    at.button(key="md_role_submit").click().run()
    assert [e.value for e in at.error] == [
        "role supervisor belongs to a unit of plant AERO: choose the unit"
    ]

    at.selectbox(key="md_role_unit").select("SHEET")
    at.button(key="md_role_submit").click().run()
    assert not at.exception and not at.error
    assert "User aero-assy is now supervisor · SHEET" in texts(at)
    with fresh(demo_url) as (session, _):
        assert actor_for(session=session, username="aero-assy").unit == "SHEET"
        (record,) = audit.audit_trail(session=session, actor=SYSTEM, entity="user", limit=1)
    assert (record.actor, record.action, record.after["unit"]) == ("admin", "change-role", "SHEET")

    supervisor.run()
    assert "Your account was disabled or changed since you signed in" in texts(supervisor)
    assert "actor" not in supervisor.session_state


def test_audit_page_shows_the_close_record(demo_url):
    month = recent_months(date.today(), 2)[1]
    with fresh(demo_url) as (session, plant):
        quality = actor_for(session=session, username="quality")
        closed = close_month(session=session, plant=plant, month=month, actor=quality)

    at = page(signed_in(demo_url, "admin"), "views/audit.py")
    at.selectbox(key="audit_entity").select("month").run()
    assert not at.exception
    records = frame_with(at, "action")
    assert set(records["kind of record"]) == {"month"}
    newest = records.iloc[0]
    assert (newest["who"], newest["action"], newest["kind of record"], newest["record"]) == (
        "quality",
        "close month",
        "month",
        f"AERO/{month}",
    )
    after = json.loads(at.json[0].value)  # the newest record is chosen; nothing before it
    assert after["coefficients"] == {r.unit: r.coefficient for r in closed.results}


def test_the_chinese_audit_page_names_actions_and_entities_in_chinese(demo_url):
    """The filter still selects by the code ``noac audit --entity`` takes."""
    month = recent_months(date.today(), 2)[1]
    with fresh(demo_url) as (session, plant):
        quality = actor_for(session=session, username="quality")
        close_month(session=session, plant=plant, month=month, actor=quality)

    at = page(signed_in(demo_url, "admin", "zh"), "views/audit.py")
    entity = at.selectbox(key="audit_entity")
    assert {"全部", "月份", "工厂", "质量问题", "工艺路线"} <= set(entity.options)
    entity.select("month").run()
    assert not at.exception
    assert at.selectbox(key="audit_entity").value == "month"
    newest = frame_with(at, "操作").iloc[0]
    assert (newest["操作人"], newest["操作"], newest["对象类型"], newest["对象"]) == (
        "quality",
        "关账",
        "月份",
        f"AERO/{month}",
    )
    picked = at.selectbox(key="audit_record").options[0]
    assert picked.endswith(f"quality · 关账 · 月份 AERO/{month}")


def test_audit_page_shows_a_bare_value_as_json(demo_url):
    # a plant's record holds its name alone, a JSON string, which st.json would read as JSON
    # text and fail to parse in the browser
    at = page(signed_in(demo_url, "admin"), "views/audit.py")
    at.selectbox(key="audit_entity").select("plant").run()
    assert not at.exception
    assert frame_with(at, "action").iloc[0]["kind of record"] == "plant"
    assert json.loads(at.json[0].value) == "服装厂 Garment plant"  # the newest, GARM


def test_audit_page_offers_every_entity_the_trail_holds(demo_url):
    with fresh(demo_url) as (session, _):
        audit.record(session, SYSTEM, "restore", "database", "noac.backup")
        session.commit()
    at = page(signed_in(demo_url, "admin"), "views/audit.py")
    options = at.selectbox(key="audit_entity").options
    assert {"database", "month", "plant", "quality problem", "routings"} <= set(options)
    at.selectbox(key="audit_entity").select("database").run()
    assert list(frame_with(at, "action")["action"]) == ["restore backup"]


def test_audit_page_shows_times_and_days_on_the_servers_clock(demo_url, server_zone):
    """In Shanghai (UTC+8), a record written at 23:30 UTC on 1 March shows at 7:30 on 2 March
    in a column naming the zone, and is listed since 2 March."""
    server_zone("Asia/Shanghai")
    with fresh(demo_url) as (session, _):
        audit.record(session, SYSTEM, "restore", "database", "noac.backup")
        session.commit()
        session.exec(
            update(AuditRecord)
            .where(AuditRecord.entity == "database")
            .values(at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
        )
        session.commit()
    at = page(signed_in(demo_url, "admin"), "views/audit.py")
    at.selectbox(key="audit_entity").select("database")
    at.date_input(key="audit_since").set_value(date(2026, 3, 2)).run()
    shown = frame_with(at, "action")
    assert list(shown["when (CST)"]) == ["2026-03-02 07:30:00"]


def test_audit_page_reaches_records_older_than_its_first_page(demo_url):
    with fresh(demo_url) as (session, _):
        oldest = session.exec(
            select(AuditRecord)
            .where(AuditRecord.entity == "quality_problem")
            .order_by(AuditRecord.id)
        ).first()
        total = len(
            session.exec(
                select(AuditRecord.id).where(AuditRecord.entity == "quality_problem")
            ).all()
        )
    assert total > 1000  # the demo's history: more than one page
    at = page(signed_in(demo_url, "quality"), "views/audit.py")
    at.selectbox(key="audit_entity").select("quality_problem").run()
    at.date_input(key="audit_since").set_value(local_time(oldest.at).date()).run()
    assert len(frame_with(at, "action")) == 1000
    assert at.number_input(key="audit_page").max == 2
    at.number_input(key="audit_page").set_value(2).run()
    assert not at.exception
    older = frame_with(at, "action")
    assert len(older) == total - 1000
    assert tuple(older.iloc[-1][["record", "action"]]) == (
        oldest.entity_id,
        audit_word("action", oldest.action, "en"),
    )
    assert set(older["kind of record"]) == {"quality problem"}
    assert f"Records 1001–{total} of {total}" in texts(at)
    # fewer records match another entity: the page comes back to the only one there is
    at.selectbox(key="audit_entity").select("month").run()
    assert not at.exception
    assert at.number_input(key="audit_page").value == 1
    assert set(frame_with(at, "action")["kind of record"]) == {"month"}


def metric(at, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label))


def test_a_closed_months_completeness_is_that_of_the_scheme_it_was_closed_with(demo_url, tmp_path):
    with fresh(demo_url) as (session, plant):
        month = max(closed_months(session=session, plant=plant))
        stored = month_results(session=session, plant=plant, month=month)
        extended = scheme_with_a_criterion(tmp_path)
        set_scheme(session=session, plant=plant, path=extended, actor=SYSTEM)
    assert not [r.unit for r in stored.results if "missing-forms" in r.flags]

    at = page(signed_in(demo_url, "quality"), "views/month_close.py")
    at.sidebar.selectbox(key="month").select(month).run()

    assert not at.exception
    # every form of the month was in on its four criteria; the fifth came after the close
    assert metric(at, "Forms missing") == 0
    assert metric(at, "Forms submitted") == metric(at, "Forms owed") > 0
    assert "Every form owed this month is in." in texts(at)


def test_the_close_confirmation_is_for_the_month_shown(demo_url):
    with fresh(demo_url) as (session, plant):
        other = max(closed_months(session=session, plant=plant))
        reopen_month(session=session, plant=plant, month=other, reason="check", actor=QUALITY)
    at = page(signed_in(demo_url, "quality"), "views/month_close.py")
    shown = at.session_state["month"]
    at.checkbox(key=f"close_confirm_AERO_{shown}").check().run()
    assert not at.button(key="close_submit").disabled

    at.sidebar.selectbox(key="month").select(other).run()

    assert not at.checkbox(key=f"close_confirm_AERO_{other}").value
    assert at.button(key="close_submit").disabled


def test_a_units_target_is_shown_as_stored(demo_url):
    with fresh(demo_url) as (session, plant):
        month = recent_months(date.today(), 2)[1]
        assert month not in closed_months(session=session, plant=plant)
        unit = session.exec(
            select(Unit).where(Unit.plant_id == plant.id, Unit.code == "ASSY")
        ).one()
        unit.target = 82.25
        session.add(unit)
        session.commit()
        result = next(
            r
            for r in compute_month(session=session, plant=plant, month=month).results
            if r.unit == "ASSY"
        )
    at = page(signed_in(demo_url, "quality"), "views/month_close.py")
    at.sidebar.selectbox(key="month").select(month).run()
    at.selectbox(key="close_unit").select("ASSY").run()

    assert frame_with(at, "K").set_index("unit").loc["ASSY", "target"] == 82.25
    # alpha x (S - target) / 100 with the target the term was computed with (alpha 1.0)
    term = 1.0 * (result.satisfaction - 82.25) / 100
    caption = next(c.value for c in at.caption if "Satisfaction term" in c.value)
    assert f"target 82.25) / 100 = {term:+.4f}" in caption


def test_audit_page_verifies_the_trail_and_names_a_changed_record(demo_url):
    with fresh(demo_url) as (session, _):
        ids = session.exec(select(AuditRecord.id).order_by(AuditRecord.id)).all()
        head = audit.trail_end(session)["head"]
    at = page(signed_in(demo_url, "quality"), "views/audit.py")
    assert not at.success and not at.error
    at.button(key="audit_verify").click().run()
    assert not at.exception
    verified = f"The audit trail verifies: {len(ids)} records, head `{head[:16]}`."
    assert [s.value for s in at.success] == [verified]
    with fresh(demo_url) as (session, _):
        session.exec(update(AuditRecord).where(AuditRecord.id == ids[1]).values(reason="x"))
        session.commit()
    at.button(key="audit_verify").click().run()
    changed = f"The audit trail does not verify: record {ids[1]} was changed after it was written."
    assert [e.value for e in at.error] == [changed] and not at.success


def test_audit_page_finds_a_head_written_down_earlier(demo_url):
    with fresh(demo_url) as (session, _):
        ids = session.exec(select(AuditRecord.id).order_by(AuditRecord.id)).all()
        head = audit.trail_end(session)["head"][:16]
    at = page(signed_in(demo_url, "quality"), "views/audit.py")
    at.text_input(key="audit_head").input(head)
    at.button(key="audit_verify").click().run()
    assert [s.value for s in at.success][1:] == [
        f"Head `{head}` is record {ids[-1]}: the trail since follows from it."
    ]
    with fresh(demo_url) as (session, _):
        session.exec(delete(AuditRecord).where(AuditRecord.id == ids[-1]))
        session.commit()
    at.button(key="audit_verify").click().run()
    assert [e.value for e in at.error] == [
        f"No record has the head `{head}` written down earlier: the trail was cut or rewritten"
        " since."
    ]
    at.text_input(key="audit_head").input("not a head")
    at.button(key="audit_verify").click().run()
    assert "'not a head' is not a head of the audit trail" in at.error[0].value


def test_the_close_table_rounds_a_half_away_from_zero_as_the_dashboard_and_the_export(demo_url):
    """80.005 and 2.675 are a hair below the half as binary floats: the browser's own
    formatting would show 80.00 and 2.67 where the dashboard shows P 2.68 and the export
    80.005 and 2.675."""
    month = recent_months(date.today(), 2)[1]
    with fresh(demo_url) as (session, plant):
        quality = actor_for(session=session, username="quality")
        close_month(session=session, plant=plant, month=month, actor=quality)
        assy = session.exec(
            select(Unit.id).where(Unit.plant_id == plant.id, Unit.code == "ASSY")
        ).one()
        session.exec(
            update(MonthResult)
            .where(MonthResult.unit_id == assy, MonthResult.month == month)
            .values(
                satisfaction=80.005,
                defect_points=2.675,
                penalty_points=2.675,
                satisfaction_term=-0.01005,
            )
        )
        session.commit()
        (computation,) = close_reports(session=session, plants=[plant], month=month)
    exported = next(row for row in export_records(computation) if row["unit"] == "ASSY")
    assert (exported["satisfaction"], exported["penalty_points"]) == (80.005, 2.675)
    assert i18n.number(2.675, "en") == "2.68"

    at = page(signed_in(demo_url, "quality"), "views/month_close.py")
    at.sidebar.selectbox(key="month").select(month).run()
    row = frame_with(at, "K").set_index("unit").loc["ASSY"]
    shown = row[["satisfaction S", "defect points", "penalty points", "satisfaction term"]]
    assert tuple(shown) == (80.01, 2.68, 2.68, -0.0101)


@pytest.mark.parametrize(
    ("lang", "flag_column", "uniform"),
    [("en", "flags", "uniform scores (as a rater)"), ("zh", "标记", "评分雷同（作为评价单位）")],
)
def test_a_rater_s_flag_reads_as_about_its_scoring_not_its_own_coefficient(
    demo_url, lang, flag_column, uniform
):
    """TEST gave every supplier the maximum three months running: the flag on its row is
    about the forms it gave, not about its own K."""
    month = recent_months(date.today(), 2)[1]
    with fresh(demo_url) as (session, plant):
        result = next(
            r
            for r in compute_month(session=session, plant=plant, month=month).results
            if r.unit == "TEST"
        )
    assert result.flags == ["uniform-scores"]
    at = page(signed_in(demo_url, "quality", lang), "views/month_close.py")
    at.sidebar.selectbox(key="month").select(month).run()
    assert not at.exception
    table = frame_with(at, "K" if lang == "en" else "系数 K")
    unit = table.columns[0]
    assert table.set_index(unit).loc["TEST", flag_column] == uniform
    assert i18n.t("close.flags_caption", lang) in texts(at)
