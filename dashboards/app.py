"""Entry script of the NOAC app: `streamlit run dashboards/app.py`."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from dashboards.charts import supply_graph_figure
from noac.db import check_schema, create_db_engine
from noac.errors import NoacError
from noac.services.masterdata import list_units
from noac.services.plants import list_plants
from noac.services.routings import plant_supply_graph
from noac.settings import get_settings


@st.cache_resource
def _engine(url: str) -> Engine:
    return create_db_engine(url)


def engine() -> Engine:
    """The configured database's engine, shared by every session of the app."""
    return _engine(get_settings().database_url)


def plant_page() -> None:
    with Session(engine()) as session:
        plants = list_plants(session=session)
        if not plants:
            st.info("The database holds no plant yet. Import units with `noac import units FILE`.")
            return
        plant = st.sidebar.selectbox(
            "Plant", plants, format_func=lambda p: f"{p.code} · {p.name}", key="plant"
        )
        on = st.sidebar.date_input("Routings in force on", value=date.today(), key="on")
        units = list_units(session=session, plant=plant)
        S = plant_supply_graph(session=session, plant=plant, on=on)
    st.header(plant.name)
    st.subheader("Supply graph")
    st.caption(
        "Each arrow points from a supplying unit to its internal customer; "
        "thicker arrows carry more operation transitions."
    )
    if S.number_of_edges():
        st.plotly_chart(supply_graph_figure(S), width="stretch")
    else:
        st.info("No routing is in force on this date, so no unit supplies another yet.")
    st.subheader("Units")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "code": u.code,
                    "name": u.name,
                    "kind": u.kind,
                    "categories": u.categories.replace(";", ", "),
                    "target": u.target,
                }
                for u in units
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def main() -> None:
    st.set_page_config(page_title="NOAC", layout="wide")
    try:
        check_schema(engine())
    except NoacError as error:
        st.error(str(error))
        return
    navigation = st.navigation([st.Page(plant_page, title="Plant", url_path="plant")])
    navigation.run()


main()
