"""The plant's units and its supply graph (every role)."""

import pandas as pd
import streamlit as st

from dashboards.charts import supply_graph_figure
from dashboards.context import db, page_context, t
from noac.services.masterdata import list_units
from noac.services.relations import handover_graph
from noac.services.routings import plant_supply_graph
from noac.services.scoring import month_days

ctx = page_context()
with db() as session:
    units = list_units(session=session, plant=ctx.plant)
    S = plant_supply_graph(session=session, plant=ctx.plant, on=month_days(ctx.month)[1])
    handed = handover_graph(session=session, plant=ctx.plant, month=ctx.month)

st.header(ctx.plant.name)
st.subheader(t("plant.supply_graph"))
st.caption(t("plant.supply_caption"))
if S.number_of_edges():
    st.plotly_chart(supply_graph_figure(S), width="stretch")
else:
    st.info(t("plant.no_routing"))
if handed.number_of_edges():
    st.subheader(t("plant.handovers"))
    st.caption(t("plant.handovers_caption"))
    st.plotly_chart(
        supply_graph_figure(handed, weight_label=t("plant.quantity")),
        width="stretch",
        key="handovers",
    )
st.subheader(t("plant.units"))
st.dataframe(
    pd.DataFrame(
        [
            {
                t("col.code"): u.code,
                t("col.name"): u.name,
                t("col.kind"): u.kind,
                t("col.categories"): u.categories.replace(";", ", "),
                t("col.target"): u.target,
            }
            for u in units
        ]
    ),
    hide_index=True,
    width="stretch",
)
