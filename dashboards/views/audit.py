"""The audit trail (quality department, administrator): who changed what, when and
why, with each record's state before and after; a button verifies the trail's chain, and finds
the record of a head written down earlier."""

import json
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboards.context import db, page_context, refusal, t
from dashboards.i18n import audit_word, moment
from noac.errors import NoacError
from noac.models import local_zone
from noac.services.audit import audit_count, audit_entities, audit_trail, verify_trail

LIMIT = 1000


def shown(value: object) -> str:
    """A record's state as JSON text (``st.json`` reads a bare string as JSON text)."""
    return json.dumps(value, ensure_ascii=False)


ctx = page_context()


def action_word(code: str) -> str:
    return audit_word("action", code, ctx.lang)


def entity_word(code: str) -> str:
    return audit_word("entity", code, ctx.lang)


st.header(t("audit.title"))
st.caption(t("audit.caption"))


def _verify(head: str) -> None:
    """Check the trail's chain, and find the record of a ``head`` written down earlier."""
    try:
        with db() as session:
            check = verify_trail(
                session=session, actor=ctx.actor, heads=[head] if head.strip() else []
            )
    except NoacError as error:
        st.error(refusal(error))
        return
    if check.verifies:
        st.success(t("audit.verified", records=check.records, head=check.head[:16]))
    elif check.reason == "changed":
        st.error(t("audit.changed", id=check.broken_id))
    elif not check.previous_id:
        st.error(t("audit.missing_first", id=check.broken_id))
    else:
        st.error(t("audit.missing", id=check.broken_id, previous=check.previous_id))
    for given, record in check.heads.items():
        if record is None:
            st.error(t("audit.head_missing", head=given))
        else:
            st.success(t("audit.head_found", head=given, id=record))


head = st.text_input(t("audit.head"), help=t("audit.head_help"), key="audit_head")
if st.button(t("audit.verify"), help=t("audit.verify_help"), key="audit_verify"):
    _verify(head)
with db() as session:
    entities = audit_entities(session=session, actor=ctx.actor)
left, middle, right = st.columns(3)
entity = left.selectbox(
    t("audit.entity"),
    ["", *entities],
    format_func=lambda e: entity_word(e) if e else t("audit.all"),
    key="audit_entity",
)
since = middle.date_input(
    t("audit.since"), value=date.today() - timedelta(days=30), key="audit_since"
)
with db() as session:
    total = audit_count(session=session, actor=ctx.actor, entity=entity or None, since=since)
pages = max(1, -(-total // LIMIT))
if st.session_state.get("audit_page", 1) > pages:  # the filters now match fewer records
    st.session_state["audit_page"] = pages
number = right.number_input(
    t("audit.page", pages=pages), min_value=1, max_value=pages, key="audit_page"
)
with db() as session:
    records = audit_trail(
        session=session,
        actor=ctx.actor,
        entity=entity or None,
        since=since,
        limit=LIMIT,
        offset=(number - 1) * LIMIT,
    )
if pages > 1 and records:
    first = (number - 1) * LIMIT + 1
    st.caption(t("audit.paged", first=first, last=first + len(records) - 1, total=total))

if not records:
    st.info(t("audit.none"))
else:
    zone = local_zone()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("audit.col.when", zone=zone): moment(r.at),
                    t("audit.col.who"): r.actor,
                    t("audit.col.action"): action_word(r.action),
                    t("audit.col.entity"): entity_word(r.entity),
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
            f"{moment(records[i].at)} · {records[i].actor} · {action_word(records[i].action)}"
            f" · {entity_word(records[i].entity)} {records[i].entity_id}"
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
            st.json(shown(record.before), expanded=2)
    with after_column:
        st.markdown(t("audit.after"))
        if record.after is None:
            st.caption(t("audit.empty"))
        else:
            st.json(shown(record.after), expanded=2)
