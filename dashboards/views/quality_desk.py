"""Quality desk (quality department): the queues of open problems and the work on one.

Queues: to rule (undetermined proposals and disputes), overdue, awaiting
verification, all open. The selected problem shows its trace (candidates and
the routing with the path drawn on it), its history and its corrective
action, with the ruling form (responsible units and shares, reason, deadline,
milestones) and the verification form. Every step passes the version of the
problem the user saw; the service refuses a stale one with a message.
"""

from datetime import date

import pandas as pd
import streamlit as st

from dashboards import i18n
from dashboards.context import db, page_context, plain, t
from dashboards.i18n import day, listing, moment, number
from dashboards.problem_widgets import (
    fill_forms,
    problem_label,
    run_step,
    show_evidence,
    show_trace,
)
from noac.models import local_zone
from noac.services.masterdata import list_units
from noac.services.problems import (
    OPEN,
    ProblemSummary,
    get_problem,
    list_problems,
    problem_detail,
    rule_problem,
    trace_problem,
    traced_routing,
    verify_problem,
)

FLASH = "desk.flash"  # (where, kind, text) of the last step
QUEUES = ("rule", "overdue", "verification", "open")
SHARE = "desk.share."
SHOWN = "desk.shown"  # the problem, its version and what the forms took from it


def _from_problem(p: ProblemSummary, candidates: list[str]) -> list[dict[str, object]]:
    """What the forms take from problem ``p``, field by field (the units and their shares
    together): the ruling starts from the current responsibility (its shares as stored, so
    an even split of three still sums to 1), or else the proposal of the trace."""
    picked = list(p.responsible) or candidates[:1]
    return [
        {"desk.trace_candidate": 0},
        {
            "desk.rule_units": picked,
            **{SHARE + u: p.responsible.get(u, 1 / len(picked)) for u in picked},
        },
        {"desk.rule_deadline": date.fromisoformat(p.deadline) if p.deadline else None},
        {"desk.rule_milestones": "\n".join(f"{m['due']}: {m['text']}" for m in p.milestones)},
    ]


def _fresh() -> dict[str, object]:
    """What the forms show of what the user enters, before the user enters anything."""
    return {
        "desk.rule_reason": "",
        "desk.verify_effective": True,
        "desk.verify_on": date.today(),
        "desk.verify_note": "",
    }


def _even_shares() -> None:
    """Split the responsibility evenly among the units picked (two decimals, summing to 1)."""
    picked = st.session_state.get("desk.rule_units") or []
    if not picked:
        return
    even = round(1 / len(picked), 2)
    for unit in picked[:-1]:
        st.session_state[SHARE + unit] = even
    st.session_state[SHARE + picked[-1]] = round(1 - even * (len(picked) - 1), 2)


def _step(where: str, done: str, service, ref: str, version: int, **values) -> None:
    run_step(FLASH, where, done, SHOWN, service, ref, version, **values)


def _rule(ref: str, version: int) -> None:
    state = st.session_state
    units = state.get("desk.rule_units") or []
    _step(
        "rule",
        "desk.ruled",
        rule_problem,
        ref,
        version,
        shares={unit: float(state.get(SHARE + unit) or 0) for unit in units},
        reason=state.get("desk.rule_reason", ""),
        deadline=state.get("desk.rule_deadline"),
        milestones=[
            line for line in state.get("desk.rule_milestones", "").splitlines() if line.strip()
        ],
    )


def _verify(ref: str, version: int) -> None:
    state = st.session_state
    effective = state.get("desk.verify_effective", True)
    _step(
        "verify",
        "desk.closed" if effective else "desk.not_effective",
        verify_problem,
        ref,
        version,
        effective=effective,
        note=state.get("desk.verify_note", ""),
        on=state.get("desk.verify_on"),
    )


def _flash(where: str | None) -> None:
    """Show the outcome of the last step at ``where`` (None: wherever it belongs)."""
    flash = st.session_state.get(FLASH)
    if flash and where in (flash[0], None):
        del st.session_state[FLASH]
        getattr(st, flash[1])(flash[2])


def _default(key: str, value: object) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _shares(p: ProblemSummary, lang: str) -> str:
    return listing((f"{u} {number(s * 100, lang, 0)}%" for u, s in p.responsible.items()), lang)


def _table(rows: list[ProblemSummary], lang: str) -> None:
    frame = pd.DataFrame(
        [
            {
                t("prob.col.ref"): p.ref,
                t("prob.col.found_on"): p.found_on,
                t("prob.col.found_at"): p.found_at,
                t("prob.col.part"): p.part,
                t("prob.col.code"): p.defect_code or "—",
                t("prob.col.severity"): t(f"prob.severity.{p.severity}"),
                t("prob.col.status"): t(f"status.{p.status}"),
                t("prob.col.proposed"): p.proposed or t("desk.undetermined_short"),
                t("prob.col.responsible"): _shares(p, lang) or "—",
                t("prob.col.deadline"): p.deadline or "—",
                t("prob.col.overdue"): "⚠️" if p.overdue else "",
            }
            for p in rows
        ]
    )
    overdue = [p.overdue for p in rows]
    styled = frame.style.apply(
        lambda row: ["background-color: #fde2e1" if overdue[row.name] else "" for _ in row],
        axis=1,
    )
    st.dataframe(styled, hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 400))


def _history(detail: ProblemSummary) -> None:
    def action(name: str) -> str:
        key = f"prob.event.{name}"
        return t(key) if key in i18n.STRINGS else name

    zone = local_zone()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("prob.col.at", zone=zone): moment(e["at"]),
                    t("prob.col.actor"): e["actor"],
                    t("prob.col.action"): action(e["action"]),
                    t("prob.col.status"): t(f"status.{e['status']}"),
                    t("prob.col.dated"): e["dated"] or "",
                    t("prob.col.note"): e["note"],
                }
                for e in detail.history
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _corrective_action(detail: ProblemSummary) -> None:
    corrective = detail.corrective_action
    if not corrective:
        st.caption(t("desk.no_action"))
        return
    st.markdown(t("prob.action.owner", owner=corrective["owner"] or "—"))
    st.markdown(f"**{t('prob.action.root_cause')}** " + plain(corrective["root_cause"]))
    st.markdown(f"**{t('prob.action.actions')}** " + plain(corrective["actions"]))
    if corrective["verified_by"]:
        st.markdown(
            t("desk.verified_by", who=corrective["verified_by"])
            + " "
            + plain(corrective["verification_note"] or "")
        )


def _rule_form(p: ProblemSummary, version: int, units: dict) -> None:
    """The ruling; folded away unless the problem waits for one (a ruling may still
    overrule an acceptance or change a ruling while the problem is open)."""
    waiting = p.status == "disputed" or (p.status == "proposed" and p.proposed is None)
    with st.expander(t("desk.rule"), expanded=waiting):
        st.caption(t("desk.rule_caption"))
        picked = st.multiselect(
            t("desk.rule_units"),
            list(units),
            format_func=lambda code: f"{code} · {units[code].name}",
            key="desk.rule_units",
            on_change=_even_shares,
            help=t("desk.rule_units_help"),
        )
        if picked:
            columns = st.columns(min(len(picked), 4))
            for i, unit in enumerate(picked):
                _default(SHARE + unit, round(1 / len(picked), 2))
                columns[i % len(columns)].number_input(
                    t("desk.share", unit=unit),
                    min_value=0.0,
                    max_value=1.0,
                    step=0.05,
                    format="%.2f",
                    key=SHARE + unit,
                )
            total = sum(float(st.session_state.get(SHARE + u) or 0) for u in picked)
            st.caption(t("desk.share_total", total=number(total, ctx.lang)))
        st.text_area(t("desk.rule_reason"), max_chars=2000, key="desk.rule_reason")
        left, right = st.columns(2)
        left.date_input(t("desk.rule_deadline"), key="desk.rule_deadline")
        right.text_area(
            t("prob.milestones"), key="desk.rule_milestones", help=t("prob.milestones_help")
        )
        st.button(
            t("desk.rule_submit"),
            type="primary",
            key="desk.rule",
            on_click=_rule,
            args=(p.ref, version),
        )
        _flash("rule")


def _verify_form(p: ProblemSummary, version: int) -> None:
    st.subheader(t("desk.verify"))
    verdicts = {True: t("desk.effective"), False: t("desk.not_effective_option")}
    st.radio(
        t("desk.verify_effective"),
        [True, False],
        format_func=lambda ok, labels=verdicts: labels.get(ok, str(ok)),
        horizontal=True,
        key="desk.verify_effective",
    )
    st.date_input(
        t("desk.verify_on"),
        min_value=date.fromisoformat(p.corrective_action["reported_done_on"]),
        max_value=date.today(),
        key="desk.verify_on",
    )
    st.text_area(t("desk.verify_note"), max_chars=2000, key="desk.verify_note")
    st.button(
        t("desk.verify_submit"),
        type="primary",
        key="desk.verify",
        on_click=_verify,
        args=(p.ref, version),
    )
    _flash("verify")


ctx = page_context()
with db() as session:
    open_problems = list_problems(session=session, plant=ctx.plant, status=OPEN)
    units = {u.code: u for u in list_units(session=session, plant=ctx.plant)}
queues = {
    "rule": [
        p
        for p in open_problems
        if p.status == "disputed" or (p.status == "proposed" and p.proposed is None)
    ],
    "overdue": [p for p in open_problems if p.overdue],
    "verification": [p for p in open_problems if p.status == "verification"],
    "open": open_problems,
}

st.header(t("page.quality_desk"))
st.caption(t("desk.intro"))
_flash("top")
for column, queue in zip(st.columns(len(QUEUES)), QUEUES, strict=True):
    column.metric(t(f"desk.queue.{queue}"), len(queues[queue]))
queue_labels = {q: t(f"desk.queue.{q}") for q in QUEUES}  # no counts: a label must stay put
queue = st.radio(
    t("desk.queue"),
    QUEUES,
    format_func=lambda q: queue_labels.get(q, str(q)),
    horizontal=True,
    key="desk.queue",
)
rows = queues[queue]
if not rows:
    st.info(t("desk.queue_empty"))
    _flash(None)  # a refused step whose problem has left the queue
    st.stop()
_table(rows, ctx.lang)
by_ref = {p.ref: p for p in rows}
pick_labels = {r: problem_label(p) for r, p in by_ref.items()}
ref = st.selectbox(
    t("desk.pick"),
    list(by_ref),
    format_func=lambda r: pick_labels.get(r, str(r)),
    key="desk.pick",
)
with db() as session:
    problem = get_problem(session=session, plant=ctx.plant, ref=ref)
    detail = problem_detail(session=session, plant=ctx.plant, ref=ref)
    result = trace_problem(session=session, plant=ctx.plant, ref=ref)
    view = traced_routing(session=session, plant=ctx.plant, ref=ref)
version = problem.version
candidates = list(dict.fromkeys(c.unit for c in result.candidates))
fill_forms(SHOWN, ref, version, _from_problem(detail, candidates), _fresh())

st.divider()
st.subheader(f"{detail.ref} · {detail.part} · {t(f'status.{detail.status}')}")
found = date.fromisoformat(detail.found_on)
st.markdown(
    t(
        "desk.found",
        day=day(found, ctx.lang),
        unit=detail.found_at,
        op=detail.op or "—",
        code=detail.defect_code or "—",
        severity=t(f"prob.severity.{detail.severity}"),
        quantity=detail.quantity,
        disposition=t(f"prob.disposition.{detail.disposition}") if detail.disposition else "—",
        cost=number(detail.cost, ctx.lang),
        lot=plain(detail.lot or "—"),
    )
)
if detail.description:
    st.markdown(plain(detail.description))
st.markdown(
    t(
        "desk.responsibility",
        proposed=detail.proposed or t("desk.undetermined_short"),
        responsible=_shares(detail, ctx.lang) or "—",
        escapes=listing(detail.escapes, ctx.lang) or "—",
        month=i18n.month_label(detail.counted_month, ctx.lang) if detail.counted_month else "—",
    )
)
if detail.deadline:
    deadline = day(date.fromisoformat(detail.deadline), ctx.lang)
    if detail.overdue:
        st.warning(t("desk.overdue", deadline=deadline))
    else:
        st.caption(t("prob.deadline", deadline=deadline))
for milestone in detail.milestones:
    due = day(date.fromisoformat(milestone["due"]), ctx.lang)
    st.markdown("- " + plain(f"{due}: {milestone['text']}"))

trace_tab, history_tab, action_tab, evidence_tab = st.tabs(
    [t("desk.tab.trace"), t("desk.tab.history"), t("desk.tab.action"), t("desk.tab.evidence")]
)
with trace_tab:
    now = result.proposed.unit if result.proposed else None
    if now != detail.proposed and not detail.responsible:
        st.info(
            (t("desk.retraced.to", unit=now) if now else t("desk.retraced.none"))
            + "\n\n"
            + (
                t("desk.retraced.was", unit=detail.proposed)
                if detail.proposed
                else t("desk.retraced.was_none")
            )
        )
    show_trace(result, view, "desk", st.caption)
with history_tab:
    _history(detail)
with action_tab:
    _corrective_action(detail)
with evidence_tab:
    show_evidence(detail, "desk")

if detail.status != "closed":
    _rule_form(detail, version, units)
if detail.status == "verification":
    _verify_form(detail, version)
_flash(None)  # a refused step whose form is no longer shown
