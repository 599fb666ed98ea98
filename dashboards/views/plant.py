"""The plant's units and its supply graph (every role)."""

import pandas as pd
import streamlit as st

from dashboards.charts import supply_graph_figure
from dashboards.context import db, page_context, t
from dashboards.i18n import listing
from noac.services.masterdata import list_units
from noac.services.relations import handover_graph, service_graph
from noac.services.routings import plant_supply_graph
from noac.services.scoring import month_days

ctx = page_context()
with db() as session:
    units = list_units(session=session, plant=ctx.plant)
    last_day = month_days(ctx.month)[1]
    S = plant_supply_graph(session=session, plant=ctx.plant, on=last_day)
    handed = handover_graph(session=session, plant=ctx.plant, month=ctx.month)
    served = service_graph(session=session, plant=ctx.plant, day=last_day)

st.header(ctx.plant.name)
st.subheader(t("plant.supply_graph"))
st.caption(t("plant.supply_caption"))
if S.number_of_edges():
    st.plotly_chart(supply_graph_figure(S, t, ctx.lang), width="stretch")
else:
    st.info(t("plant.no_routing"))
# a month's handovers, where it has any, decide who scores whom instead of both graphs above
if served.number_of_edges() and not handed.number_of_edges():
    st.subheader(t("plant.services"))
    st.caption(t("plant.services_caption"))
    st.plotly_chart(
        supply_graph_figure(served, t, ctx.lang, weight_label=t("plant.weight")),
        width="stretch",
        key="services",
    )
if handed.number_of_edges():
    st.subheader(t("plant.handovers"))
    st.caption(t("plant.handovers_caption"))
    st.plotly_chart(
        supply_graph_figure(handed, t, ctx.lang, weight_label=t("plant.quantity")),
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
                t("col.kind"): t(f"unit.kind.{u.kind}"),
                t("col.categories"): listing(u.categories.split(";"), ctx.lang),
                t("col.target"): u.target,
            }
            for u in units
        ]
    ),
    hide_index=True,
    width="stretch",
)
