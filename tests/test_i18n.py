"""Every text of the app exists in English and Chinese, with the same placeholders."""

import re
import string

import pytest

from dashboards import i18n
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
