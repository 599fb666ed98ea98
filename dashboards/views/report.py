"""Report a quality problem: the handling form (质量问题处理单), traced at once.

Supervisors and inspectors report what their own unit found; the quality
department reports for any unit. The part picker offers the parts whose
routing in force on the date found passes through the unit, the operation
picker that part's operations at the unit. After the report the page shows
the proposed responsible unit, every candidate with its path and escapes,
and the part's routing with the path drawn on it.
"""

from datetime import date

import streamlit as st

from dashboards.context import (
    KEPT,
    db,
    lang,
    page_context,
    plain,
    refusal,
    t,
    while_signed_in,
)
from dashboards.i18n import day, listing
from dashboards.problem_widgets import show_trace
from noac.errors import NoacError
from noac.models import DISPOSITIONS, SEVERITIES
from noac.services.masterdata import defect_codes_by_code, list_units
from noac.services.problems import (
    MAX_ATTACHMENT_BYTES,
    ProblemReport,
    add_attachment,
    check_attachment,
    report_problem,
)
from noac.services.routings import in_force, parts_through, routing_versions

# the last report, what it returned (ref, trace, routing, attachments), and the service's
# refusal of the last submit: the user's own, dropped when he signs out
LAST = f"{KEPT}report.last"
ERROR = f"{KEPT}report.error"
UPLOADS = "report.uploads"  # bumped after a report so the uploader starts empty
NOT_KNOWN = ""


@while_signed_in
def _submit(found_at: str) -> None:
    """Send the form to the service; attach the evidence once the problem exists. Evidence
    that cannot be kept refuses the whole report first, as on the command line, and the
    form keeps everything, files included."""
    ctx = page_context()
    state = st.session_state
    code = state.get("report.code")
    cost = state.get("report.cost")
    report = ProblemReport(
        found_on=state["report.found_on"],
        found_at=found_at,
        part=state.get("report.part") or "",
        severity=state["report.severity"],
        quantity=int(state["report.quantity"]),
        op=state.get("report.op") or None,
        defect_code=code or None,
        description=state.get("report.description", "").strip(),
        disposition=state.get("report.disposition") or None,
        cost=float(cost) if cost is not None else None,
        lot=state.get("report.lot", "").strip() or None,
    )
    files = state.get(f"report.evidence.{state.get(UPLOADS, 0)}") or []
    attached, refused = [], []
    try:
        for upload in files:
            check_attachment(upload.name, upload.getvalue())
        with db() as session:
            problem, result = report_problem(
                session=session, plant=ctx.plant, report=report, actor=ctx.actor
            )
            view = next(
                v
                for v in routing_versions(session=session, plant=ctx.plant, part=report.part)
                if v.version_id == problem.routing_version_id
            )
            for upload in files:
                try:
                    add_attachment(
                        session=session,
                        plant=ctx.plant,
                        ref=problem.ref,
                        filename=upload.name,
                        content=upload.getvalue(),
                        content_type=upload.type or "application/octet-stream",
                        actor=ctx.actor,
                    )
                    attached.append(upload.name)
                except NoacError as error:
                    refused.append(error)
    except NoacError as error:
        state[ERROR] = refusal(error)
        state.pop(LAST, None)
        return
    state[LAST] = {
        "ref": problem.ref,
        "report": report,
        "result": result,
        "view": view,
        "attached": attached,
        "refused": refused,
    }
    # a fresh form for the next report: the same unit, date, part and operation, nothing else
    # (values set here, not deleted, so the browser's widgets show them too)
    state["report.code"] = None
    state["report.severity"] = SEVERITIES[0]
    state["report.disposition"] = NOT_KNOWN
    state["report.description"] = ""
    state["report.lot"] = ""
    state["report.quantity"] = 1
    state["report.cost"] = None
    state["report.trace_candidate"] = 0
    state[UPLOADS] = state.get(UPLOADS, 0) + 1


def _summary(report: ProblemReport) -> str:
    """The report in a line, in the language the page is read in now."""
    return " · ".join(
        str(v)
        for v in (
            report.part,
            t("prob.op", op=report.op) if report.op else None,
            report.defect_code,
            t(f"prob.severity.{report.severity}"),
            t("prob.quantity", quantity=report.quantity),
        )
        if v
    )


def _show_trace(last: dict) -> None:
    result, view, report = last["result"], last["view"], last["report"]
    st.success(t("report.done", ref=last["ref"], summary=_summary(report)))
    if report.description:
        st.markdown(plain(report.description))
    if last["attached"]:
        st.caption(t("report.attached", files=listing(map(plain, last["attached"]), lang())))
    for error in last["refused"]:
        st.error(refusal(error))
    show_trace(result, view, "report", st.subheader)


ctx = page_context()
today = date.today()
with db() as session:
    units = {u.code: u for u in list_units(session=session, plant=ctx.plant)}
    codes = defect_codes_by_code(session=session, plant=ctx.plant)

st.header(t("page.report"))
st.caption(t("report.intro"))
left, right = st.columns(2)
if ctx.actor.unit is not None:
    found_at = ctx.actor.unit
    left.markdown(t("report.found_at_fixed", unit=found_at, name=plain(units[found_at].name)))
else:
    found_at = left.selectbox(
        t("report.found_at"),
        list(units),
        format_func=lambda code: f"{code} · {units[code].name}",
        key="report.found_at",
    )
found_on = right.date_input(
    t("report.found_on"), value=today, max_value=today, key="report.found_on"
)
with db() as session:
    parts = parts_through(session=session, plant=ctx.plant, unit=found_at, on=found_on)
if not parts:
    st.info(t("report.no_parts", unit=found_at, day=day(found_on, ctx.lang)))
    st.stop()
part = left.selectbox(t("report.part"), parts, key="report.part")
with db() as session:
    view = in_force(routing_versions(session=session, plant=ctx.plant, part=part), found_on)
operations = {o.op: o for o in view.operations if o.unit == found_at}
op_options = [*operations, NOT_KNOWN]
op_labels = {op: f"{op} · {o.category}" for op, o in operations.items()}
op_labels[NOT_KNOWN] = t("report.op_unknown")
# labels made now, in the user's language: a format_func may also run outside the page run,
# and must not fail on a choice the options no longer hold (Streamlit then resets the picker)
code_labels = {code: f"{code} · {c.name}" for code, c in codes.items()}
code_labels[NOT_KNOWN] = t("report.code_unknown")
severity_labels = {s: t(f"prob.severity.{s}") for s in SEVERITIES}
disposition_labels = {d: t(f"prob.disposition.{d}") for d in DISPOSITIONS}
disposition_labels[NOT_KNOWN] = t("report.disposition_none")
right.selectbox(
    t("report.op"),
    op_options,
    format_func=lambda v, labels=op_labels: labels.get(v, str(v)),
    key="report.op",
    help=t("report.op_help", part=part, version=view.version),
)
left.selectbox(
    t("report.code"),
    [*codes, NOT_KNOWN],
    index=None,
    format_func=lambda v, labels=code_labels: labels.get(v, str(v)),
    placeholder=t("report.code_placeholder"),
    key="report.code",
    help=t("report.code_help"),
)
right.selectbox(
    t("report.severity"),
    SEVERITIES,
    format_func=lambda v, labels=severity_labels: labels.get(v, str(v)),
    key="report.severity",
    help=t("report.severity_help"),
)
left.number_input(t("report.quantity"), min_value=1, step=1, key="report.quantity")
right.selectbox(
    t("report.disposition"),
    [NOT_KNOWN, *DISPOSITIONS],
    format_func=lambda v, labels=disposition_labels: labels.get(v, str(v)),
    key="report.disposition",
)
left.number_input(
    t("report.cost"), min_value=0.0, value=None, step=100.0, format="%.2f", key="report.cost"
)
right.text_input(t("report.lot"), max_chars=80, key="report.lot")
st.text_area(t("report.description"), max_chars=4000, key="report.description")
st.file_uploader(
    t("report.evidence"),
    accept_multiple_files=True,
    key=f"report.evidence.{st.session_state.get(UPLOADS, 0)}",
    help=t("report.evidence_help"),
    max_upload_size=MAX_ATTACHMENT_BYTES // (1024 * 1024),
)
if st.session_state.get("report.code", NOT_KNOWN) is None:
    st.caption(t("report.code_missing"))
st.button(
    t("report.submit"),
    type="primary",
    key="report.submit",
    on_click=_submit,
    args=(found_at,),
    disabled=st.session_state.get("report.code", NOT_KNOWN) is None,
)
if ERROR in st.session_state:
    st.error(st.session_state.pop(ERROR))
if LAST in st.session_state:
    st.divider()
    _show_trace(st.session_state[LAST])
    st.caption(t("report.next_step"))
