"""Every text of the app exists in English and Chinese, with the same placeholders."""

import re
import string

import pytest

from dashboards import i18n
from noac.models import UNIT_KINDS
from noac.services.audit import ACTIONS, ENTITIES
from tests.conftest import ROOT

KEY_USE = re.compile(r"""\bt\(\s*["']([a-z0-9_.-]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(i18n.STRINGS))
def test_both_languages_with_the_same_placeholders(key):
    english, chinese = i18n.STRINGS[key]
    assert english.strip() and chinese.strip()
    assert _placeholders(english) == _placeholders(chinese)


def test_every_text_the_app_asks_for_exists():
    used = set()
    for path in (ROOT / "dashboards").rglob("*.py"):
        used |= set(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert sorted(used - set(i18n.STRINGS)) == []


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (88.25, 1, "88.3"),
        (6.25, 1, "6.3"),
        (-0.125, 2, "-0.13"),
        (0.84625, 4, "0.8463"),
        (1234567.5, 0, "1,234,568"),
        (2.5, 0, "3"),
        (12345.678, 2, "12,345.68"),
    ],
)
def test_a_number_is_rounded_a_half_away_from_zero_as_k_and_the_exports(value, digits, shown):
    """As by hand, a spreadsheet, K and the exports (``round4``): Python's format would show
    88.2 for 88.25 and -0.12 for -0.125 (a half to even, or the binary float below it)."""
    assert i18n.number(value, "en", digits) == i18n.number(value, "zh", digits) == shown


def test_every_kind_of_unit_has_a_name():
    """The plant page names a unit's kind in the reader's language (``unit.kind.<kind>``)."""
    assert [i18n.t(f"unit.kind.{kind}", "zh") for kind in UNIT_KINDS] == [
        "车间",
        "检验",
        "仓库",
        "职能部门",
    ]


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (0.125, 2, "+0.13"),
        (-0.125, 2, "-0.13"),
        (1234.5, 0, "+1,235"),
        (0.0, 4, "+0.0000"),
        (-0.00001, 4, "+0.0000"),
    ],
)
def test_a_change_is_signed_and_rounded_a_half_away_from_zero(value, digits, shown):
    """A delta or a step of K reads with its sign, rounded as ``number`` rounds (Python's
    format would show +0.12 for 0.125); a change that rounds to nothing reads +0, not -0."""
    assert i18n.signed(value, "en", digits) == i18n.signed(value, "zh", digits) == shown
    assert i18n.number(-0.001, "en") == "0.00"


def test_every_action_and_entity_the_trail_records_has_its_words():
    """The audit page names each in the reader's language, in English in words (no code such
    as ``quality_problem`` or ``change-role``); a label no record can carry is taken out."""
    labelled = {key for key in i18n.STRINGS if re.match(r"audit\.(action|entity)\.", key)}
    recorded = {f"audit.action.{a}" for a in ACTIONS} | {f"audit.entity.{e}" for e in ENTITIES}
    assert labelled == recorded
    coded = [key for key in recorded if re.search(r"[_-]", key.split(".", 2)[2])]
    assert not [key for key in coded if i18n.t(key, "en") == key.split(".", 2)[2]]
    assert i18n.t("audit.entity.quality_problem", "en") == "quality problem"
    assert i18n.t("audit.action.change-role", "en") == "change role"
    assert all(i18n.t(key, "zh") != i18n.t(key, "en") for key in recorded)
