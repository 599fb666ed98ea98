"""Feedback to my unit (supervisor): what the unit's customers scored it, and the trend."""

import pandas as pd
import streamlit as st

from dashboards.charts import feedback_trend_figure
from dashboards.context import db, page_context, plain, refusal, t
from dashboards.i18n import listing, month_label, number, penalty_rows, signed, target_text
from dashboards.waterfall import is_clamped, unclamped
from noac.errors import NoacError
from noac.services import scorecards
from noac.services.coefficients import month_computations, round_half_up
from noac.services.schemes import month_schemes

ctx = page_context()
unit = ctx.actor.unit
st.header(t("page.feedback"))
if not unit:
    st.info(t("score.no_unit"))
    st.stop()

months = scorecards.trend_months(ctx.month)
try:
    with db() as session:
        scheme = month_schemes(session=session, plant=ctx.plant, months=[ctx.month])[ctx.month]
        computed = month_computations(session=session, plant=ctx.plant, months=months)
        received = scorecards.received_forms(
            session=session, plant=ctx.plant, unit=unit, months=months, computations=computed
        )
        customers = scorecards.customer_weights(
            session=session, plant=ctx.plant, month=ctx.month, unit=unit
        )
        trend = scorecards.satisfaction_trend(
            session=session, plant=ctx.plant, unit=unit, months=months, computations=computed
        )
except NoacError as error:
    st.error(refusal(error))
    st.stop()


def _name(code: str) -> str:
    criterion = scheme.criterion(code)
    if criterion is None:
        return code
    return criterion.name(ctx.lang)


month = month_label(ctx.month, ctx.lang)
st.caption(t("feedback.intro", unit=unit, month=month))
this_month = [f for f in received if f.month == ctx.month]
now = next((m for m in trend if m.month == ctx.month), None)

if not this_month:
    st.info(t("feedback.no_forms", unit=unit, month=month))
    if customers:
        st.caption(
            t("feedback.expected_from", month=month, units=listing(sorted(customers), ctx.lang))
        )
    else:
        st.caption(t("feedback.no_customers", unit=unit, month=month))
else:
    left, middle, right = st.columns(3)
    calibrated = scheme.calibration == "zscore"
    left.metric(
        t("feedback.satisfaction"),
        number(now.satisfaction if now else None, ctx.lang, 1),
        help=t(
            "feedback.satisfaction_help_calibrated" if calibrated else "feedback.satisfaction_help"
        ),
    )
    middle.metric(t("feedback.target"), target_text(now.target if now else None))
    done = {f.customer for f in this_month if f.complete and f.customer in customers}
    right.metric(t("feedback.forms"), f"{len(done)} / {len(customers)}")
    pending = sorted(set(customers) - done)
    if pending:
        st.caption(t("feedback.pending", units=listing(pending, ctx.lang)))
    st.subheader(t("feedback.by_customer", month=month))
    table = []
    for form in this_month:
        row = {
            t("col.code"): form.customer,
            t("col.name"): form.customer_name,
            t("feedback.col_weight"): form.weight,
        }
        for criterion in scheme.criteria:
            row[_name(criterion.code)] = form.values.get(criterion.code)
        row[t("score.col_form")] = round_half_up(form.score, 1) if form.score is not None else None
        if calibrated:
            row[t("feedback.col_used")] = (
                round_half_up(form.used, 1) if form.used is not None else None
            )
        table.append(row)
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
    remarks = [
        (form, code, text)
        for form in this_month
        for code, text in sorted(form.comments.items())
        if text.strip()
    ]
    st.subheader(t("feedback.comments"))
    if remarks:
        for form, code, text in remarks:
            st.markdown(
                f"**{form.customer}** · {_name(code)} · {form.values.get(code, '—')}: {plain(text)}"
            )
    else:
        st.caption(t("feedback.no_comments"))

result = next((r for r in computed[ctx.month].results if r.unit == unit), None)
if result is not None:
    st.subheader(t("feedback.coefficient", unit=unit, month=month))
    if not computed[ctx.month].closed:
        st.caption(t("dash.preview"))
    figures = st.columns(3)
    figures[0].metric(t("dash.unit.coefficient"), number(result.coefficient, ctx.lang, 4))
    figures[1].metric(t("dash.unit.satisfaction"), number(result.satisfaction, ctx.lang, 1))
    figures[2].metric(t("dash.unit.penalty"), number(result.penalty_points, ctx.lang, 2))
    if result.satisfaction is None:
        st.caption(t("close.no_satisfaction"))
    else:
        st.caption(
            t(
                "close.term_formula",
                satisfaction=number(result.satisfaction, ctx.lang, 2),
                target=target_text(result.target),
                term=signed(result.satisfaction_term, ctx.lang, 4),
            )
        )
    if is_clamped(result):
        st.caption(
            t(
                "close.clamped",
                raw=number(unclamped(result), ctx.lang, 4),
                k=number(result.coefficient, ctx.lang, 4),
            )
        )
    if penalties := penalty_rows(result.decomposition, ctx.lang):
        st.markdown(t("close.penalties_heading"))
        st.dataframe(pd.DataFrame(penalties), hide_index=True, width="stretch")

st.subheader(t("feedback.trend"))
complete = [f for f in received if f.complete]
if not complete:
    first, last = month_label(months[0], ctx.lang), month_label(months[-1], ctx.lang)
    st.info(t("feedback.no_trend", unit=unit, first=first, last=last))
else:
    customer_scores: dict[str, dict[str, float]] = {}
    for f in complete:
        customer_scores.setdefault(f.customer, {})[f.month] = f.score
    figure = feedback_trend_figure(
        months,
        [computed[m].closed for m in months],
        customer_scores,
        {m.month: m.satisfaction for m in trend},
        {m.month: m.target for m in trend},
        t,
        ctx.lang,
    )
    st.plotly_chart(figure, width="stretch")
    st.caption(t("feedback.trend_caption"))
