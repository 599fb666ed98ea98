"""The app rendered by Streamlit's AppTest on a demo database."""

import pytest
from streamlit.testing.v1 import AppTest

from noac.demo import build
from tests.conftest import ROOT

APP = str(ROOT / "dashboards" / "app.py")


@pytest.fixture
def demo_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    list(build(url))
    monkeypatch.setenv("NOAC_DATABASE_URL", url)
    return url


def test_plant_page_draws_the_supply_graph(demo_url):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.header[0].value == "航空装配厂 Aerospace assembly plant"
    assert len(at.get("plotly_chart")) == 1
    at.sidebar.selectbox(key="plant").select_index(1).run()
    assert at.header[0].value == "服装厂 Garment plant"
    assert len(at.get("plotly_chart")) == 1


def test_uninitialised_database_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("NOAC_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "run `noac init` first" in at.error[0].value
