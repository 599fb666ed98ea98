"""Every text of the app in English and Simplified Chinese.

Each module of this package holds the texts of one part of the app as
``STRINGS = {key: (english, chinese)}``; keys are unique across modules.
Unit and part names are data and are shown as stored. The services' refusals are not
looked up by key but matched by their English text (``refusals.py``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from datetime import date, datetime

from noac.services.coefficients import round4, round_half_up

LANGUAGES = {"en": "English", "zh": "中文"}


def _load() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "refusals":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, texts in module.STRINGS.items():
            if key in merged:
                raise KeyError(f"text key '{key}' is defined twice (in {info.name})")
            merged[key] = texts
    return merged


STRINGS = _load()


def t(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` with ``{placeholders}`` filled in.

    >>> t("login.submit", "zh")
    '登录'
    """
    english, chinese = STRINGS[key]
    text = chinese if lang == "zh" else english
    return text.format(**values) if values else text


def listing(items: Iterable[str], lang: str) -> str:
    """Items named in a sentence or a cell (units, flags, columns…) listed as people of each
    language list them: with commas in English, with the enumeration comma in Chinese.

    >>> listing(["HEAT", "QC-MA", "STORE"], "en"), listing(["HEAT", "QC-MA", "STORE"], "zh")
    ('HEAT, QC-MA, STORE', 'HEAT、QC-MA、STORE')
    """
    return ("、" if lang == "zh" else ", ").join(items)


def flag_text(code: str, part: str, lang: str) -> str:
    """A coefficient flag's name (``part="name"``) or meaning (``"help"``) in ``lang``;
    an unknown flag as stored.

    >>> flag_text("no-scores", "name", "zh"), flag_text("odd", "name", "zh")
    ('无评分', 'odd')
    """
    key = f"close.flag.{code}.{part}"
    return t(key, lang) if key in STRINGS else code


def audit_word(part: str, code: str, lang: str) -> str:
    """An audit record's action (``part="action"``) or entity (``"entity"``) in ``lang``;
    an unknown one as stored.

    >>> audit_word("action", "close", "zh"), audit_word("entity", "month", "zh")
    ('关账', '月份')
    >>> audit_word("entity", "quality_problem", "en"), audit_word("action", "odd", "zh")
    ('quality problem', 'odd')
    """
    key = f"audit.{part}.{code}"
    return t(key, lang) if key in STRINGS else code


def number(value: float | None, lang: str, digits: int = 2) -> str:
    """A number for people: thousands separated, rounded a half away from zero as K and the
    exports are (``round_half_up``); an empty value shown as a dash.

    >>> number(12345.678, "en"), number(88.25, "en", 1), number(-0.125, "zh"), number(None, "zh")
    ('12,345.68', '88.3', '-0.13', '—')
    """
    if value is None:
        return "—"
    return f"{round_half_up(value, digits):,.{digits}f}"


def severity_text(code: str, lang: str) -> str:
    """A problem's severity in ``lang``; one the app has no words for as stored.

    >>> severity_text("major", "zh"), severity_text("major", "en"), severity_text("odd", "zh")
    ('严重', 'major', 'odd')
    """
    key = f"dash.severity.{code}"
    return t(key, lang) if key in STRINGS else code


def penalty_detail(row: dict, lang: str) -> str:
    """What a penalty row of a month's decomposition is for: a defect's severity in ``lang``,
    an overdue problem's deadline (an escape has neither).

    >>> (penalty_detail({"severity": "critical"}, "zh"),
    ... penalty_detail({"deadline": "2026-01-26"}, "en"))
    ('致命', '2026-01-26')
    """
    if "severity" in row:
        return severity_text(row["severity"], lang)
    return row.get("deadline", "")


# the parts of a month's decomposition that list penalties, as K's waterfall orders them
PENALTY_KINDS = (
    ("defects", "close.step.defect"),
    ("overdue", "close.step.overdue"),
    ("escapes", "close.step.escape"),
)


def penalty_rows(decomposition: dict, lang: str) -> list[dict]:
    """The problems behind a unit's penalty points in a month's decomposition, a row each
    (kind, problem, severity or deadline, share, points), as the month close and the
    dashboard list them.

    >>> overdue = {"problem": "P-1", "deadline": "2026-01-26", "points": 2}
    >>> [list(row.values()) for row in penalty_rows({"overdue": [overdue]}, "zh")]
    [['超期', 'P-1', '2026-01-26', None, 2]]
    """
    return [
        {
            t("close.col.penalty_kind", lang): t(label, lang),
            t("close.col.problem", lang): row.get("problem", ""),
            t("close.col.detail", lang): penalty_detail(row, lang),
            t("close.col.share", lang): row.get("share"),
            t("close.col.points", lang): row.get("points"),
        }
        for part, label in PENALTY_KINDS
        for row in decomposition.get(part, [])
    ]


def target_text(value: float | None) -> str:
    """A unit's satisfaction target as stored (any number from 0 to 100, to 4 decimals as the
    export writes it), without trailing zeros: the same on every page, in either language.

    >>> target_text(85.0), target_text(82.5), target_text(None)
    ('85', '82.5', '—')
    """
    return "—" if value is None else f"{round4(value):g}"


def signed(value: float | None, lang: str, digits: int = 2) -> str:
    """A change (a delta, a step of K) as ``number`` writes it, with its sign; one that rounds
    to nothing with a plus.

    >>> signed(0.125, "en"), signed(-0.125, "zh"), signed(0.0, "en", 4), signed(None, "en")
    ('+0.13', '-0.13', '+0.0000', '—')
    """
    shown = number(value, lang, digits)
    return shown if value is None or shown.startswith("-") else f"+{shown}"


def quantity(value: float, lang: str) -> str:
    """A supply weight in full: an operation count or a quantity handed over (1,234,567, not
    1.23457e+06), with decimals only where it has them.

    >>> quantity(1234567.0, "en"), quantity(2.5, "zh")
    ('1,234,567', '2.50')
    """
    return number(value, lang, 0 if float(value).is_integer() else 2)


def day(value: date | None, lang: str) -> str:
    """A date as people of each language write it.

    >>> day(date(2026, 3, 9), "en"), day(date(2026, 3, 9), "zh")
    ('9 Mar 2026', '2026年3月9日')
    """
    if value is None:
        return "—"
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {value:%b %Y}"


def moment(value: str) -> str:
    """A moment a service gives (ISO, on the server's clock) as people read it; a table of
    them names the zone (``noac.models.local_zone``) once.

    >>> moment("2026-03-02T07:30:00+08:00")
    '2026-03-02 07:30:00'
    """
    return f"{datetime.fromisoformat(value):%Y-%m-%d %H:%M:%S}"


def month_label(month: str, lang: str) -> str:
    """A month as people of each language write it.

    >>> month_label("2026-03", "zh"), month_label("2026-03", "en")
    ('2026年3月', 'Mar 2026')
    """
    year, number_ = int(month[:4]), int(month[5:])
    if lang == "zh":
        return f"{year}年{number_}月"
    return f"{date(year, number_, 1):%b %Y}"
