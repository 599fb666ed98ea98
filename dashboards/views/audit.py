"""The audit trail (quality department, administrator): who changed what, when and
why, with each record's state before and after."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboards.context import db, page_context, t
from noac.importers import KINDS
from noac.services.audit import audit_trail

LIMIT = 1000
# the entity kinds the services record; imports are recorded under their kind
ENTITIES = ("month", "quality_problem", "form", "user", "scheme", "plant", *KINDS)


def when(moment: str) -> str:
    """An ISO timestamp in UTC as people read it: ``2026-11-22 03:13:36``."""
    return moment.replace("T", " ").removesuffix("+00:00")


ctx = page_context()
st.header(t("audit.title"))
st.caption(t("audit.caption"))
left, right = st.columns(2)
entity = left.selectbox(
    t("audit.entity"),
    ["", *sorted(ENTITIES)],
    format_func=lambda e: e or t("audit.all"),
    key="audit_entity",
)
since = right.date_input(
    t("audit.since"), value=date.today() - timedelta(days=30), key="audit_since"
)

with db() as session:
    records = audit_trail(
        session=session, actor=ctx.actor, entity=entity or None, since=since, limit=LIMIT + 1
    )
if len(records) > LIMIT:
    records = records[:LIMIT]
    st.caption(t("audit.truncated", limit=LIMIT))

if not records:
    st.info(t("audit.none"))
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("audit.col.when"): when(r.at),
                    t("audit.col.who"): r.actor,
                    t("audit.col.action"): r.action,
                    t("audit.col.entity"): r.entity,
                    t("audit.col.id"): r.entity_id,
                    t("audit.col.reason"): r.reason,
                }
                for r in records
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.subheader(t("audit.record"))
    index = st.selectbox(
        t("audit.pick"),
        range(len(records)),
        format_func=lambda i: (
            f"{when(records[i].at)} · {records[i].actor} · {records[i].action}"
            f" · {records[i].entity} {records[i].entity_id}"
        ),
        key="audit_record",
    )
    record = records[index]
    if record.reason:
        st.text(t("audit.reason", reason=record.reason))
    before_column, after_column = st.columns(2)
    with before_column:
        st.markdown(t("audit.before"))
        if record.before is None:
            st.caption(t("audit.empty"))
        else:
            st.json(record.before, expanded=2)
    with after_column:
        st.markdown(t("audit.after"))
        if record.after is None:
            st.caption(t("audit.empty"))
        else:
            st.json(record.after, expanded=2)
