"""Problems of my unit (supervisor): the problems his unit is proposed for or responsible for,
and those it found.

Grouped by what the unit has to do: answer a proposal (accept, or dispute
with a reason), enter the corrective action of a problem it is responsible
for, ask for verification once the action is done; the rest is shown read
only. Every step passes the version of the problem the supervisor saw, so a
problem changed meanwhile is refused with the service's message. The
problems the unit found follow, read only, newest first, with their evidence;
the closed ones only of the months the supervisor chooses.
"""

from datetime import date

import pandas as pd
import streamlit as st

from dashboards.context import db, page_context, plain, t
from dashboards.i18n import day, listing, number
from dashboards.problem_widgets import fill_forms, problem_label, run_step, show_evidence
from noac.services.problems import (
    ProblemSummary,
    accept_problem,
    dispute_problem,
    found_by_unit,
    get_problem,
    plan_action,
    problem_detail,
    proposed_candidate,
    request_verification,
    unit_problems,
)

FLASH = "mine.flash"  # (section, kind, text) of the last step
FOUND_COLUMNS = (  # of the problems the unit found (not where: it found them)
    "ref",
    "found_on",
    "part",
    "op",
    "code",
    "severity",
    "quantity",
    "status",
    "proposed",
    "responsible",
    "deadline",
    "overdue",
    "closed_on",
    "evidence",
)
CLOSED_FOUND = {"none": 0, "3": 3, "12": 12, "all": None}  # closed problems found: months shown


def _from_problem(section: str, p: ProblemSummary) -> list[dict[str, object]]:
    """What a group's form takes from problem ``p``, field by field."""
    if section == "plan":
        return [
            {"mine.deadline": date.fromisoformat(p.deadline) if p.deadline else None},
            {"mine.milestones": "\n".join(f"{m['due']}: {m['text']}" for m in p.milestones)},
        ]
    return []


FRESH = {  # what a group's form shows of what the supervisor types, before he types anything
    "answer": {"mine.dispute_reason": ""},
    "plan": {"mine.root_cause": "", "mine.actions": ""},
    "progress": {"mine.verify_note": ""},
}


def _step(section: str, done: str, service, ref: str, version: int, **values) -> None:
    run_step(FLASH, section, done, f"mine.{section}.shown", service, ref, version, **values)


def _accept(ref: str, version: int) -> None:
    _step("answer", "mine.accepted", accept_problem, ref, version)


def _dispute(ref: str, version: int) -> None:
    reason = st.session_state.get("mine.dispute_reason", "")
    _step("answer", "mine.disputed", dispute_problem, ref, version, reason=reason)


def _plan(ref: str, version: int, unit: str) -> None:
    state = st.session_state
    _step(
        "plan",
        "mine.planned",
        plan_action,
        ref,
        version,
        owner=unit,
        root_cause=state.get("mine.root_cause", ""),
        actions=state.get("mine.actions", ""),
        deadline=state.get("mine.deadline"),
        milestones=[line for line in state.get("mine.milestones", "").splitlines() if line.strip()],
    )


def _revise(ref: str, version: int, unit: str) -> None:
    state = st.session_state
    _step(
        "progress",
        "mine.planned",
        plan_action,
        ref,
        version,
        owner=unit,
        root_cause=state.get("mine.revise.root_cause", ""),
        actions=state.get("mine.revise.actions", ""),
    )


def _ask_verification(ref: str, version: int) -> None:
    note = st.session_state.get("mine.verify_note", "")
    _step("progress", "mine.verification_asked", request_verification, ref, version, note=note)


def _flash(section: str) -> None:
    flash = st.session_state.get(FLASH)
    if flash and flash[0] == section:
        del st.session_state[FLASH]
        getattr(st, flash[1])(flash[2])


def _row(p: ProblemSummary, lang: str) -> dict[str, object]:
    return {
        t("prob.col.ref"): p.ref,
        t("prob.col.found_on"): p.found_on,
        t("prob.col.found_at"): p.found_at,
        t("prob.col.part"): p.part,
        t("prob.col.op"): p.op or "—",
        t("prob.col.code"): p.defect_code or "—",
        t("prob.col.severity"): t(f"prob.severity.{p.severity}"),
        t("prob.col.quantity"): p.quantity,
        t("prob.col.status"): t(f"status.{p.status}"),
        t("prob.col.responsible"): listing(
            (f"{u} {number(s * 100, lang, 0)}%" for u, s in p.responsible.items()), lang
        )
        or "—",
        t("prob.col.deadline"): p.deadline or "—",
        t("prob.col.overdue"): "⚠️" if p.overdue else "",
    }


def _found_row(p: ProblemSummary, lang: str) -> dict[str, object]:
    """A problem the unit found: to whom it was proposed, when it was closed, how many files
    of evidence it has."""
    row = _row(p, lang) | {
        t("prob.col.proposed"): p.proposed or "—",
        t("prob.col.closed_on"): p.closed_on or "—",
        t("prob.col.evidence"): len(p.evidence),
    }
    return {t(f"prob.col.{column}"): row[t(f"prob.col.{column}")] for column in FOUND_COLUMNS}


def _table(rows: list[ProblemSummary], lang: str, row=_row) -> None:
    frame = pd.DataFrame([row(p, lang) for p in rows])
    overdue = [p.overdue for p in rows]
    styled = frame.style.apply(
        lambda row: ["background-color: #fde2e1" if overdue[row.name] else "" for _ in row],
        axis=1,
    )
    st.dataframe(styled, hide_index=True, width="stretch")


def _pick(section: str, rows: list[ProblemSummary]) -> tuple[ProblemSummary, int]:
    """The problem chosen in a group and its version now. Its forms start afresh when another
    one is chosen; when it changed meanwhile, what they took from it and the supervisor left
    as filled is read again, and what he entered stays (``fill_forms``)."""
    by_ref = {p.ref: p for p in rows}
    labels = {r: problem_label(p) for r, p in by_ref.items()}
    ref = st.selectbox(
        t("mine.pick"),
        list(by_ref),
        format_func=lambda r: labels.get(r, str(r)),
        key=f"mine.{section}.pick",
    )
    with db() as session:
        version = get_problem(session=session, plant=page_context().plant, ref=ref).version
    fill_forms(
        f"mine.{section}.shown", ref, version, _from_problem(section, by_ref[ref]), FRESH[section]
    )
    return by_ref[ref], version


def _revise_form(ref: str, version: int, unit: str, corrective: dict) -> None:
    """The unit's own corrective action to revise while in progress, open at once after a
    verification found it not effective."""
    # filled from the stored action for another problem, or when the action changed
    # meanwhile and nothing was typed over the text filled before
    stored = {f"mine.revise.{f}": corrective[f] for f in ("root_cause", "actions")}
    fill_forms("mine.revise.for", ref, version, [stored], {})
    with st.expander(t("mine.revise"), expanded=bool(corrective["verification_note"])):
        st.caption(t("mine.revise_help"))
        st.text_area(t("mine.root_cause"), max_chars=4000, key="mine.revise.root_cause")
        st.text_area(t("mine.actions"), max_chars=4000, key="mine.revise.actions")
        st.button(t("mine.plan"), key="mine.revise", on_click=_revise, args=(ref, version, unit))


def _evidence(section: str, detail: ProblemSummary) -> None:
    with st.expander(t("prob.evidence.title")):
        show_evidence(detail, f"mine.{section}")


def _describe(p: ProblemSummary, lang: str) -> None:
    st.markdown(
        t(
            "mine.found",
            day=day(date.fromisoformat(p.found_on), lang),
            unit=p.found_at,
            part=p.part,
            op=p.op or "—",
            code=p.defect_code or "—",
            severity=t(f"prob.severity.{p.severity}"),
            quantity=p.quantity,
        )
    )
    if p.description:
        st.markdown(plain(p.description))
    if p.deadline:
        deadline = day(date.fromisoformat(p.deadline), lang)
        if p.overdue:
            st.warning(t("mine.overdue", deadline=deadline))
        else:
            st.caption(t("prob.deadline", deadline=deadline))
    for milestone in p.milestones:
        st.markdown(
            "- " + plain(f"{day(date.fromisoformat(milestone['due']), lang)}: {milestone['text']}")
        )


ctx = page_context()
unit = ctx.actor.unit
st.header(t("page.my_problems"))
if unit is None:
    st.info(t("mine.no_unit"))
    st.stop()
st.caption(t("mine.intro", unit=unit))
with db() as session:
    mine = unit_problems(session=session, plant=ctx.plant, unit=unit)
to_answer = [p for p in mine if p.status == "proposed" and p.proposed == unit]
to_plan = [p for p in mine if p.status in ("accepted", "ruled") and unit in p.responsible]
in_progress = [p for p in mine if p.status == "action" and unit in p.responsible]
busy = {p.ref for p in to_answer + to_plan + in_progress}
rest = [p for p in mine if p.ref not in busy]

_flash("top")
columns = st.columns(4)
for column, label, rows in (
    (columns[0], "mine.to_answer", to_answer),
    (columns[1], "mine.to_plan", to_plan),
    (columns[2], "mine.in_progress", in_progress),
    (columns[3], "status.overdue", [p for p in mine if p.overdue]),
):
    column.metric(t(label), len(rows))

st.subheader(t("mine.to_answer_count", count=len(to_answer)))
if not to_answer:
    st.caption(t("mine.nothing"))
else:
    _table(to_answer, ctx.lang)
    chosen, version = _pick("answer", to_answer)
    with db() as session:
        best = proposed_candidate(session=session, plant=ctx.plant, ref=chosen.ref)
        detail = problem_detail(session=session, plant=ctx.plant, ref=chosen.ref)
    _describe(chosen, ctx.lang)
    _evidence("answer", detail)
    if best is not None:
        st.markdown(
            t(
                "mine.why",
                unit=best.unit,
                op=best.op,
                category=best.category,
                path=" → ".join(best.path),
                escapes=listing(
                    (t("prob.escape", unit=e.unit, op=e.op) for e in best.escapes), ctx.lang
                )
                or t("prob.trace.no_escape"),
            )
        )
    st.button(
        t("mine.accept"),
        type="primary",
        key="mine.accept",
        on_click=_accept,
        args=(chosen.ref, version),
    )
    st.text_area(t("mine.dispute_reason"), max_chars=2000, key="mine.dispute_reason")
    st.button(t("mine.dispute"), key="mine.dispute", on_click=_dispute, args=(chosen.ref, version))
_flash("answer")  # also when the problem has left the group

st.subheader(t("mine.to_plan_count", count=len(to_plan)))
if not to_plan:
    st.caption(t("mine.nothing"))
else:
    _table(to_plan, ctx.lang)
    chosen, version = _pick("plan", to_plan)
    with db() as session:
        detail = problem_detail(session=session, plant=ctx.plant, ref=chosen.ref)
    _describe(chosen, ctx.lang)
    _evidence("plan", detail)
    if len(chosen.responsible) > 1:
        shares = listing(
            (f"{u} {number(s * 100, ctx.lang, 0)}%" for u, s in chosen.responsible.items()),
            ctx.lang,
        )
        st.caption(t("mine.shared", shares=shares))
    st.text_area(t("mine.root_cause"), max_chars=4000, key="mine.root_cause")
    st.text_area(t("mine.actions"), max_chars=4000, key="mine.actions")
    left, right = st.columns(2)
    left.date_input(t("mine.deadline"), key="mine.deadline", help=t("mine.deadline_help"))
    right.text_area(
        t("prob.milestones"), key="mine.milestones", help=t("prob.milestones_help"), height=100
    )
    st.button(
        t("mine.plan"),
        type="primary",
        key="mine.plan",
        on_click=_plan,
        args=(chosen.ref, version, unit),
    )
_flash("plan")  # also when the problem has left the group

st.subheader(t("mine.in_progress_count", count=len(in_progress)))
if not in_progress:
    st.caption(t("mine.nothing"))
else:
    _table(in_progress, ctx.lang)
    chosen, version = _pick("progress", in_progress)
    with db() as session:
        action = problem_detail(session=session, plant=ctx.plant, ref=chosen.ref)
    _describe(chosen, ctx.lang)
    _evidence("progress", action)
    if action.corrective_action:
        corrective = action.corrective_action
        st.markdown(t("prob.action.owner", owner=corrective["owner"] or "—"))
        st.markdown(f"**{t('prob.action.root_cause')}** " + plain(corrective["root_cause"]))
        st.markdown(f"**{t('prob.action.actions')}** " + plain(corrective["actions"]))
        if corrective["verification_note"]:
            st.warning(t("mine.not_effective") + " " + plain(corrective["verification_note"]))
        if corrective["owner"] == unit:  # only the owner revises it and reports it done
            _revise_form(chosen.ref, version, unit, corrective)
            st.text_area(t("mine.verify_note"), max_chars=2000, key="mine.verify_note")
            st.button(
                t("mine.request_verification"),
                type="primary",
                key="mine.request_verification",
                on_click=_ask_verification,
                args=(chosen.ref, version),
            )
        else:
            st.caption(t("mine.owner_asks", owner=corrective["owner"]))
_flash("progress")  # also when the problem has left the group

st.subheader(t("mine.rest_count", count=len(rest)))
st.caption(t("mine.rest_caption"))
show_closed = st.checkbox(t("mine.show_closed"), key="mine.show_closed")
shown = [p for p in rest if show_closed or p.status != "closed"]
if shown:
    _table(shown, ctx.lang)
else:
    st.caption(t("mine.nothing"))

st.subheader(t("mine.found_by_us"))
st.caption(t("mine.found_caption", unit=unit))
labels = {key: t(f"mine.found_closed.{key}") for key in CLOSED_FOUND}
closed_shown = st.selectbox(
    t("mine.found_closed"),
    list(CLOSED_FOUND),
    index=1,
    format_func=lambda key: labels.get(key, key),
    key="mine.found.closed",
)
with db() as session:
    found = found_by_unit(
        session=session, plant=ctx.plant, unit=unit, closed_months=CLOSED_FOUND[closed_shown]
    )
if found.left_out:
    if found.closed_since:
        since = day(found.closed_since, ctx.lang)
        st.caption(t("mine.found_left_out_before", count=found.left_out, day=since))
    else:
        st.caption(t("mine.found_left_out", count=found.left_out))
if not found.problems:
    st.caption(t("mine.nothing"))
else:
    _table(found.problems, ctx.lang, _found_row)
    by_ref = {p.ref: p for p in found.problems}
    found_labels = {ref: problem_label(p) for ref, p in by_ref.items()}
    chosen = by_ref[
        st.selectbox(
            t("mine.pick"),
            list(by_ref),
            format_func=lambda ref: found_labels.get(ref, str(ref)),
            key="mine.found.pick",
        )
    ]
    _describe(chosen, ctx.lang)
    if chosen.closed_on:
        st.caption(t("mine.closed_on", day=day(date.fromisoformat(chosen.closed_on), ctx.lang)))
    _evidence("found", chosen)
