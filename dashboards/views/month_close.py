"""Month close (quality department): completeness, flags, the coefficients of the
month with their decomposition, close and reopen, the export of a closed month."""

import pandas as pd
import streamlit as st

from dashboards import i18n
from dashboards.context import db, note, page_context, plain, refusal, t
from dashboards.waterfall import is_clamped, unclamped, waterfall_figure
from noac.errors import NoacError
from noac.exports import coefficients_file
from noac.services.coefficients import (
    close_month,
    close_reports,
    reopen_month,
    round4,
    round_half_up,
)
from noac.services.periods import closed_months

FLASH = "close_flash"

ctx = page_context()
month = i18n.month_label(ctx.month, ctx.lang)


def num(value: float | None, digits: int = 2) -> str:
    return i18n.number(value, ctx.lang, digits)


def cell(value: float | None, digits: int = 2) -> float | None:
    """A table's number rounded a half away from zero to the digits its column shows, as
    ``num``, the dashboard and the export round it: the browser would round the binary
    float, and show 2.675 as 2.67."""
    return None if value is None else round_half_up(value, digits)


with db() as session:
    closed = ctx.month in closed_months(session=session, plant=ctx.plant)
    (computation,) = close_reports(session=session, plants=[ctx.plant], month=ctx.month)

names = {r.unit: r.unit_name for r in computation.results}
st.header(t("close.title", month=month))
if message := st.session_state.pop(FLASH, None):
    st.success(message)
if closed:
    st.info(t("close.status_closed", run=computation.run, scheme=computation.scheme_hash[:12]))
else:
    st.info(t("close.status_open"))

# --- completeness: forms owed and the reminders list --------------------------------
st.subheader(t("close.completeness"))
owed, missing = computation.forms_owed, computation.forms_missing
left, middle, right = st.columns(3)
left.metric(t("close.forms_owed"), owed)
middle.metric(t("close.forms_submitted"), owed - missing)
right.metric(t("close.forms_missing"), missing)
if owed:
    st.progress((owed - missing) / owed)
if not owed:
    st.info(t("close.nothing_owed"))
elif not computation.missing:
    st.success(t("close.all_forms_in"))
else:
    st.markdown(t("close.reminders"))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("close.col.rater"): rater,
                    t("col.name"): names.get(rater, ""),
                    t("close.col.missing_count"): len(suppliers),
                    t("close.col.owes_for"): i18n.listing(
                        (f"{s} {names.get(s, '')}".strip() for s in suppliers), ctx.lang
                    ),
                }
                for rater, suppliers in sorted(computation.missing.items())
            ]
        ),
        hide_index=True,
        width="stretch",
    )

# --- flags ---------------------------------------------------------------------------
st.subheader(t("close.flags"))
flag_rows = [
    {
        t("close.col.unit"): r.unit,
        t("col.name"): r.unit_name,
        t("close.col.flag"): i18n.flag_text(flag, "name", ctx.lang),
        t("close.col.meaning"): i18n.flag_text(flag, "help", ctx.lang),
        t("close.col.notes"): "; ".join(map(note, r.decomposition.get("notes", []))),
    }
    for r in computation.results
    for flag in r.flags
]
if flag_rows:
    st.caption(t("close.flags_caption"))
    flag_frame = pd.DataFrame(flag_rows)
    if not flag_frame[t("close.col.notes")].any():
        flag_frame = flag_frame.drop(columns=t("close.col.notes"))
    st.dataframe(flag_frame, hide_index=True, width="stretch")
else:
    st.success(t("close.no_flags"))

# --- the coefficient table -----------------------------------------------------------
st.subheader(t("close.coefficients"))
st.caption(t("close.stored_caption") if closed else t("close.preview_caption"))
K = t("close.col.k")
st.dataframe(
    pd.DataFrame(
        [
            {
                t("close.col.unit"): r.unit,
                t("col.name"): r.unit_name,
                t("close.col.satisfaction"): cell(r.satisfaction),
                t("close.col.raters"): r.raters,
                t("close.col.target"): round4(r.target),
                t("close.col.term"): cell(r.satisfaction_term, 4),
                t("close.col.defect"): cell(r.defect_points),
                t("close.col.overdue"): cell(r.overdue_points),
                t("close.col.escape"): cell(r.escape_points),
                t("close.col.penalty"): cell(r.penalty_points),
                K: cell(r.coefficient, 4),
                t("close.col.flags"): i18n.listing(
                    (i18n.flag_text(f, "name", ctx.lang) for f in r.flags), ctx.lang
                ),
            }
            for r in computation.results
        ]
    ),
    hide_index=True,
    width="stretch",
    height="content",
    column_config={
        t("close.col.satisfaction"): st.column_config.NumberColumn(format="%.2f"),
        t("close.col.target"): st.column_config.NumberColumn(format="plain"),
        t("close.col.term"): st.column_config.NumberColumn(format="%+.4f"),
        t("close.col.defect"): st.column_config.NumberColumn(format="%.2f"),
        t("close.col.overdue"): st.column_config.NumberColumn(format="%.2f"),
        t("close.col.escape"): st.column_config.NumberColumn(format="%.2f"),
        t("close.col.penalty"): st.column_config.NumberColumn(format="%.2f"),
        K: st.column_config.NumberColumn(format="%.4f"),
    },
)
if closed:
    stem = f"coefficients-{computation.plant}-{ctx.month}"
    csv_column, xlsx_column, _ = st.columns([1, 1, 3])
    csv_column.download_button(
        t("close.download_csv"),
        coefficients_file(computation, "csv"),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="close_download_csv",
        on_click="ignore",
    )
    xlsx_column.download_button(
        t("close.download_xlsx"),
        coefficients_file(computation, "xlsx"),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="close_download_xlsx",
        on_click="ignore",
    )

# --- one unit's decomposition --------------------------------------------------------
st.subheader(t("close.decomposition"))
by_unit = {r.unit: r for r in computation.results}
if by_unit:
    chosen = st.selectbox(
        t("close.unit"),
        list(by_unit),
        format_func=lambda code: f"{code} · {by_unit[code].unit_name}",
        key="close_unit",
    )
    result = by_unit[chosen]
    labels = {
        "start": t("close.step.start"),
        "satisfaction": t("close.step.satisfaction"),
        "defect": t("close.step.defect"),
        "overdue": t("close.step.overdue"),
        "escape": t("close.step.escape"),
        "clamp": t("close.step.clamp"),
        "coefficient": t("close.step.coefficient"),
    }
    st.plotly_chart(
        waterfall_figure(result, labels, ctx.lang), width="stretch", key="close_waterfall"
    )
    if result.satisfaction is None:
        st.caption(t("close.no_satisfaction"))
    else:
        st.caption(
            t(
                "close.term_formula",
                satisfaction=num(result.satisfaction),
                target=i18n.target_text(result.target),
                term=i18n.signed(result.satisfaction_term, ctx.lang, 4),
            )
        )
    if is_clamped(result):
        st.warning(
            t(
                "close.clamped",
                raw=num(unclamped(result), 4),
                k=num(result.coefficient, 4),
            )
        )
    raters = result.decomposition.get("raters", [])
    if raters:
        st.markdown(t("close.raters_heading"))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("close.col.rater"): r["rater"],
                        t("col.name"): names.get(r["rater"], ""),
                        t("close.col.weight"): r["weight"],
                        t("close.col.form"): cell(r["form"]),
                        t("close.col.used"): cell(r["used"]),
                    }
                    for r in raters
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                t("close.col.form"): st.column_config.NumberColumn(format="%.2f"),
                t("close.col.used"): st.column_config.NumberColumn(format="%.2f"),
            },
        )
    penalties = i18n.penalty_rows(result.decomposition, ctx.lang)
    if penalties:
        st.markdown(t("close.penalties_heading"))
        st.dataframe(pd.DataFrame(penalties), hide_index=True, width="stretch")
    for line in result.decomposition.get("notes", []):
        st.markdown(f"- {plain(note(line))}")

# --- close or reopen -----------------------------------------------------------------
if not closed:
    st.subheader(t("close.close_heading"))
    st.caption(t("close.close_caption"))
    # keyed by the month: a box ticked for one month is not ticked for the next one shown
    confirmed = st.checkbox(
        t("close.confirm", month=month), key=f"close_confirm_{ctx.plant.code}_{ctx.month}"
    )
    if st.button(
        t("close.close_button", month=month),
        key="close_submit",
        type="primary",
        disabled=not confirmed,
    ):
        try:
            with db() as session:
                done = close_month(
                    session=session, plant=ctx.plant, month=ctx.month, actor=ctx.actor
                )
        except NoacError as error:
            st.error(refusal(error))
        else:
            st.session_state[FLASH] = t("close.closed_done", month=month, run=done.run)
            st.rerun()
else:
    st.subheader(t("close.reopen_heading"))
    st.caption(t("close.reopen_caption"))
    with st.form("close_reopen_form"):
        reason = st.text_area(t("close.reopen_reason"), key="close_reopen_reason")
        reopen = st.form_submit_button(t("close.reopen_button"), key="close_reopen_submit")
    if reopen:
        try:
            with db() as session:
                reopen_month(
                    session=session,
                    plant=ctx.plant,
                    month=ctx.month,
                    reason=reason,
                    actor=ctx.actor,
                )
        except NoacError as error:
            st.error(refusal(error))
        else:
            st.session_state[FLASH] = t("close.reopened_done", month=month)
            st.rerun()
