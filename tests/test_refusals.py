"""A refusal of the services, and a note they give besides (an import's, a month's flags),
reads in Chinese on a Chinese page, as the services' English on an English one
(``dashboards.i18n.refusals``); every refusal and note a page can show has its Chinese."""

import string
import textwrap

import pytest

from dashboards.i18n.refusals import REFUSALS, note, refusal, row_error
from noac.errors import ImportRejected, NoacError, RowError
from noac.scheme import load_scheme_file
from tests.refusal_sources import CLI_ONLY, refusals


def _shape(text: str) -> str:
    return "".join(
        literal + ("{}" if name is not None else "")
        for literal, name, _, _ in string.Formatter().parse(text)
    )


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


CATALOGUE = {_shape(english): english for english in REFUSALS}


def test_every_refusal_a_page_can_show_has_its_chinese():
    """A message or a note added to the services without its Chinese is named here, with
    where it is made; the modules left out reach the command line only (``CLI_ONLY``)."""
    missing = [f"{f.where}: {f.text.shown}" for f in refusals() if f.text.shape not in CATALOGUE]
    assert missing == [], "add these to REFUSALS in dashboards/i18n/refusals.py"


def test_every_text_of_the_catalogue_is_a_refusal_of_the_services():
    """A message changed or taken out of the services takes its old text out of the
    catalogue."""
    made = {f.text.shape for f in refusals()}
    assert sorted(english for shape, english in CATALOGUE.items() if shape not in made) == []


def test_the_modules_left_out_exist():
    from tests.conftest import ROOT

    assert [path for path in CLI_ONLY if not (ROOT / path).is_file()] == []


@pytest.mark.parametrize("english", sorted(REFUSALS))
def test_a_chinese_text_names_what_its_english_names(english):
    chinese = REFUSALS[english]
    assert chinese.strip()
    assert _names(chinese) == _names(english)
    assert "{}{}" not in _shape(english)  # two values side by side could not be told apart


def test_the_sources_are_read_for_every_way_a_message_is_made(tmp_path):
    """The reader finds messages in the calls that refuse and the lists of errors, and their
    parts in variables, parameters, loops, tables and the functions they call; a month a
    function writes (no word in it) is not a message. Notes are found where an import's summary
    is given them and in the lists (or tables of lists) named ``...notes``."""
    module = tmp_path / "sample.py"
    module.write_text(
        textwrap.dedent(
            """
            NOTHING = "nothing was given"
            WHY = "the rows are read first"
            DESCRIPTIONS = {"a": "do the first thing", "b": "do the second thing"}

            def describe(value, what):
                if not value:
                    return f"{what} is missing"

            def parse(text):
                return None, f"'{text}' is not a count"

            def first_day(month):
                return f"{month}-01"

            def load(rows, action):
                errors = []
                what = DESCRIPTIONS[action]
                for column, name in (("a", "the first column"),):
                    if reason := describe(rows[column], name):
                        errors.append(RowError(1, column, reason))
                count, reason = parse(rows["b"])
                errors.append(("count", reason))
                who = f" by {rows}" if rows else ""
                if errors:
                    raise NoacError(
                        f"cannot {what}{who}: " + "; ".join(f"{n}: {r}" for n, r in errors)
                    )
                if not rows:
                    raise NoacError(f"nothing to read ({WHY})")
                raise NoacError(f"{NOTHING} from {first_day(rows)}")

            def left_out(rows):
                return [f"row {row} is left out" for row in rows]

            def note(summary, rows, notes):
                summary.note(left_out(rows))
                notes[rows].append(f"{rows} were read twice")
                notes = [*notes, f"and {len(notes)} more"]
            """
        )
    )
    assert sorted(f.text.shape for f in refusals([module])) == [
        " by {}",
        "'{}' is not a count",
        "and {} more",
        "cannot {}: {}",
        "count",
        "do the first thing",
        "do the second thing",
        "nothing to read ({})",
        "nothing was given",
        "row {} is left out",
        "the first column",
        "the rows are read first",
        "{} from {}",
        "{} is missing",
        "{} were read twice",
        "{}: {}",
    ]


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("unknown plant 'X' (plants: AERO, GARM)", "未知工厂“X”（现有工厂：AERO、GARM）"),
        (
            "unknown plant 'aero' (plants: AERO, GARM): did you mean AERO?",
            "未知工厂“aero”（现有工厂：AERO、GARM）：您指的是 AERO 吗？",
        ),
        (
            "2026-03 is closed: scores can no longer change unless the quality department"
            " reopens it",
            "2026-03 已关账：除非质量部门重新打开该月，评分不能再修改",
        ),
        (
            "month: 2026-01 is before 2026-03, the last closed month: months close in order, so"
            " it takes no scores",
            "月份：2026-01 早于最后关账的月份 2026-03：月份按顺序关账，因此该月不能再评分",
        ),
        # a part with words of its own: what an action is, a role, the roles allowed
        (
            "aero-assy (supervisor) may not close a month: that is for quality",
            "aero-assy（单位负责人）无权关账：此操作仅限质量部门",
        ),
        (
            "bob (executive) may not manage users: that is for admin",
            "bob（厂领导）无权管理用户：此操作仅限系统管理员",
        ),
        (
            "aero-assy (supervisor of ASSY) may not submit scores for HEAT",
            "aero-assy（ASSY 的单位负责人）无权为 HEAT 提交评分",
        ),
        # statuses, and the step in the problem's workflow
        (
            "problem AERO-000007 is closed: it cannot be ruled (only when proposed or accepted"
            " or disputed)",
            "质量问题 AERO-000007 当前为已关闭状态，不能裁定（仅限待确认、已接受或有争议状态）",
        ),
        # a list the service made, listed as Chinese lists
        (
            "'factory' is not one of workshop, inspection, store, department",
            "“factory”不是 workshop、inspection、store、department 之一",
        ),
        (
            "unknown column (expected: 月份（month）, 分值（value）, 说明（comment）)",
            "未知列（应为：月份（month）、分值（value）、说明（comment））",
        ),
        (
            "'９．５' is not a number; the cell holds full-width characters (９, ．, ５): type"
            " them half-width",
            "“９．５”不是数字；单元格中有全角字符（９、．、５）：请改用半角输入",
        ),
        (
            "the first sheet, '说明', does not name the columns, sheet '单位' does: move it"
            " first (a workbook is read from its first sheet)",
            "第一个工作表“说明”中没有列名，工作表“单位”中有：请把它移到最前"
            "（工作簿只读取第一个工作表）",
        ),
        (
            "unknown unit 'STORE\u200b'; the cell holds invisible characters (U+200B, U+FEFF):"
            " delete them",
            "未知单位“STORE\u200b”；单元格中有不可见字符（U+200B、U+FEFF）：请删除",
        ),
        # a part that may be empty
        (
            "problem AERO-000007 was changed since you loaded it: reload and try again",
            "质量问题 AERO-000007 在您载入后已被修改：请重新载入后再试",
        ),
        (
            "problem AERO-000007 was changed by aero-qa at 2026-03-02 09:15 since you loaded"
            " it: reload and try again",
            "质量问题 AERO-000007 在您载入后已被 aero-qa 于 2026-03-02 09:15 修改："
            "请重新载入后再试",
        ),
        # a message inside a message
        (
            "part BP-01: a first version from 2026-04-20 would change 2026-04, which is closed:"
            " take it in force from 2026-05-01, or reopen the months from 2026-04 first",
            "零件 BP-01：首个版本自 2026-04-20 起生效会改变已关账的 2026-04：请自 2026-05-01"
            " 起生效，或先重新打开 2026-04 及以后的月份",
        ),
        (
            "operation 30 of part BP-01 (routing version 2) is at unit HEAT, not at ASSY",
            "零件 BP-01（工艺路线第 2 版）的工序 30 在单位 HEAT，而不在 ASSY",
        ),
        (
            "STORE->SHEET: an end from 2026-04-20 would change 2026-04, which is closed: take"
            " it in force from 2026-05-01, or reopen the months from 2026-04 first",
            "STORE->SHEET：终止自 2026-04-20 起生效会改变已关账的 2026-04：请自 2026-05-01"
            " 起生效，或先重新打开 2026-04 及以后的月份",
        ),
        (
            "the reason is longer than 2000 characters",
            "原因超过 2000 个字符",
        ),
        # every field of a form, each with its reason
        (
            "date: 2099-01-01 is in the future; qty: the quantity must be a whole number from 1"
            " to 1,000,000; description: the description contains a NUL character",
            "发现日期：2099-01-01 是将来的日期；数量：数量必须是 1 到 1,000,000 之间的整数；"
            "问题描述：问题描述含有 NUL 字符",
        ),
        (
            "Quality (quality), comment: a value below 6 needs a comment saying why; month:"
            " 2026-03 is closed: scores can no longer change unless the quality department"
            " reopens it; ratee: a unit cannot score itself",
            "Quality (quality)·说明：低于 6 分必须填写原因说明；"
            "月份：2026-03 已关账：除非质量部门重新打开该月，评分不能再修改；"
            "被评价单位：单位不能给自己评分",
        ),
        # the same value named twice must be the same
        (
            "2026-05 has not begun: it can be scored from 2026-05-01",
            "2026-05 尚未开始：自 2026-05-01 起才能评分",
        ),
    ],
)
def test_a_refusal_reads_in_chinese(english, chinese):
    assert refusal(NoacError(english), "zh") == chinese
    assert refusal(NoacError(english), "en") == english


@pytest.mark.parametrize(
    "english",
    [
        "a refusal added since",
        # one reason of a list not in the catalogue: the whole list as the service wrote it
        "date: 2099-01-01 is in the future; colour: too loud",
        # a month named twice that is not the same month is not that text
        "2026-05 has not begun: it can be scored from 2026-06-01",
        # a role or status that the app has no word for
        "bob (visitor) may not manage users: that is for admin",
        "problem AERO-000007 is lost: it cannot be ruled (only when proposed)",
    ],
)
def test_a_refusal_the_catalogue_does_not_hold_reads_in_english(english):
    assert refusal(NoacError(english), "zh") == english


def test_a_refused_file_reads_row_by_row_in_chinese():
    rejected = ImportRejected(
        "routings.csv",
        [
            RowError(3, "unit", "unknown unit 'WELD' (import units first)"),
            RowError(None, "", "the file is empty (no header row)"),
            RowError(5, "colour", "too loud"),
        ],
    )
    assert refusal(rejected, "zh") == (
        "routings.csv：3 处错误，未导入任何数据\n"
        "  文件：文件为空（没有表头行）\n"
        "  第 3 行，列“unit”：未知单位“WELD”（请先导入单位）\n"
        "  第 5 行，列“colour”：too loud"
    )
    assert refusal(rejected, "en") == str(rejected)
    assert [row_error(e, "en") for e in rejected.errors] == [str(e) for e in rejected.errors]


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        # a form an import leaves incomplete, or a supply a later import takes away
        (
            "the form of ASSY for HEAT in 2026-03 does not count until it is complete: no value"
            " for Delivery (delivery), Service (service)",
            "ASSY 在 2026-03 对 HEAT 的评分表填写完整前不计入：缺少 Delivery (delivery)、Service"
            " (service) 的分值",
        ),
        (
            "the form of QC for SHEET in 2026-04 no longer counts: SHEET did not supply QC that"
            " month",
            "QC 在 2026-04 对 SHEET 的评分表不再计入：SHEET 当月没有向 QC 交付",
        ),
        ("… and 7 more like these", "……另有 7 条类似说明"),
        # the note of a flag a month's close gives
        (
            "form for SHEET 70.0 against its average 90.0 after SHEET reported a problem ASSY"
            " was made responsible for",
            "对 SHEET 的评分 70.0，低于其平均分 90.0；此前 SHEET 报告的质量问题由 ASSY 承担责任",
        ),
    ],
)
def test_a_note_reads_in_chinese(english, chinese):
    assert note(english, "zh") == chinese
    assert note(english, "en") == english


def test_a_note_the_catalogue_does_not_hold_reads_in_english():
    assert note("a note added since", "zh") == "a note added since"


def test_a_criterion_is_named_as_the_scheme_names_it_in_chinese():
    """A refusal names a criterion by its name with its code; the Chinese page gives the
    name the scheme has in Chinese."""
    criteria = load_scheme_file().criteria
    outside = "11 is outside the scale 0..10 of Quality (quality)"
    assert refusal(NoacError(outside), "zh", criteria) == "11 超出 质量（quality） 的分值范围 0..10"
    assert refusal(NoacError(outside), "en", criteria) == outside
    assert refusal(NoacError(outside), "zh") == "11 超出 Quality (quality) 的分值范围 0..10"
    assert (
        refusal(NoacError("the form has no value for Handover (handover)"), "zh", criteria)
        == "评分表缺少 交接（handover） 的分值"
    )
    assert (
        row_error(RowError(7, "value", outside), "zh", criteria)
        == "第 7 行，列“value”：11 超出 质量（quality） 的分值范围 0..10"
    )
    rejected = ImportRejected("scores.csv", [RowError(7, "value", outside)])
    assert refusal(rejected, "zh", criteria).endswith(
        "第 7 行，列“value”：11 超出 质量（quality） 的分值范围 0..10"
    )
    form = (
        "Quality (quality), comment: a value below 6 needs a comment saying why;"
        " Delivery (delivery), value: 11 is outside the scale 0..10 of Delivery (delivery)"
    )
    assert refusal(NoacError(form), "zh", criteria) == (
        "质量（quality）·说明：低于 6 分必须填写原因说明；"
        "交付（delivery）·分值：11 超出 交付（delivery） 的分值范围 0..10"
    )
    assert refusal(NoacError(form), "en", criteria) == form
    incomplete = (
        "the form of ASSY for HEAT in 2026-03 does not count until it is complete: no value"
        " for Delivery (delivery), Handover (handover)"
    )
    assert note(incomplete, "zh", criteria) == (
        "ASSY 在 2026-03 对 HEAT 的评分表填写完整前不计入：缺少 交付（delivery）、交接（handover）"
        " 的分值"
    )
    assert note(incomplete, "en", criteria) == incomplete
