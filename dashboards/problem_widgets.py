"""Pieces the problem pages share: the trace of a problem and a workflow step."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboards.context import db, lang, page_context, plain, refusal, t, while_signed_in
from dashboards.i18n import listing, moment, number
from dashboards.routing_chart import trace_figure
from noac.errors import NoacError
from noac.models import Plant, local_zone
from noac.services.problems import ProblemSummary, evidence_file, get_problem
from noac.services.routings import RoutingView
from routing.trace import TraceResult

TYPED = ("reason", "note", "root_cause", "actions")  # a step's values a user wrote


def show_trace(result: TraceResult, view: RoutingView, key: str, heading: Callable) -> None:
    """The proposal, the ranked candidates, and the routing graph with a candidate's path.

    ``key`` prefixes the widget keys (``{key}.trace_candidate``); ``heading`` draws the
    title of the graph (``st.subheader`` or ``st.caption``).
    """
    if result.undetermined:
        st.warning(t("prob.trace.undetermined"))
    else:
        best = result.proposed
        st.markdown(
            t(
                "prob.trace.proposed",
                unit=best.unit,
                op=best.op,
                category=best.category,
                path=" → ".join(best.path),
                escapes=listing(
                    (t("prob.escape", unit=e.unit, op=e.op) for e in best.escapes), lang()
                )
                or t("prob.trace.no_escape"),
            )
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("prob.col.rank"): rank,
                        t("prob.col.unit"): c.unit,
                        t("prob.col.op"): c.op,
                        t("prob.col.category"): c.category,
                        t("prob.col.distance"): c.distance,
                        t("prob.col.path"): " → ".join(c.path),
                        t("prob.col.escapes"): listing(
                            (f"{e.unit} ({e.op})" for e in c.escapes), lang()
                        ),
                    }
                    for rank, c in enumerate(result.candidates, start=1)
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    heading(t("prob.trace.routing", part=view.part, version=view.version))
    chosen = 0
    if len(result.candidates) > 1:
        # labels made now, in the user's language (a format_func may run outside the page run)
        labels = {i: f"{c.unit} · {t('prob.op', op=c.op)}" for i, c in enumerate(result.candidates)}
        chosen = st.selectbox(
            t("prob.trace.show_path"),
            range(len(result.candidates)),
            format_func=lambda i: labels.get(i, str(i)),
            key=f"{key}.trace_candidate",
        )
    st.plotly_chart(
        trace_figure(view.graph(), result, t, candidate=chosen),
        width="stretch",
        key=f"{key}.chart",
    )


def _changed_since(plant: Plant, ref: str, version: int) -> bool:
    """Whether problem ``ref`` is no longer at ``version`` (or no longer there)."""
    try:
        with db() as session:
            return get_problem(session=session, plant=plant, ref=ref).version != version
    except NoacError:
        return True


@while_signed_in
def run_step(
    flash: str, where: str, done: str, reset: str, service, ref: str, version: int, **values
) -> None:
    """Run a workflow step on ``ref`` as of the version the user saw, while the user is
    signed in (``while_signed_in``).

    What came of it is kept under ``flash`` as ``(where, kind, text)`` for the page to
    show; after a success the forms kept under ``reset`` start afresh. A refusal of a problem
    changed meanwhile repeats the text the user typed, which the form may no longer show (the
    problem left the group), so that it can be copied; any other refusal leaves it in the form.
    """
    ctx = page_context()
    try:
        with db() as session:
            service(
                session=session,
                plant=ctx.plant,
                ref=ref,
                actor=ctx.actor,
                expected_version=version,
                **values,
            )
    except NoacError as error:
        typed = [v.strip() for k, v in values.items() if k in TYPED and v and v.strip()]
        kept = "".join(f"\n\n{t('prob.typed')} {plain(text)}" for text in typed)
        if not _changed_since(ctx.plant, ref, version):
            kept = ""
        st.session_state[flash] = (where, "error", refusal(error) + kept)
        return
    st.session_state[flash] = ("top", "success", t(done, ref=ref))
    st.session_state.pop(reset, None)


def fill_forms(
    shown: str, ref: str, version: int, taken: list[dict[str, object]], fresh: dict[str, object]
) -> None:
    """Fill the forms of problem ``ref`` as of ``version``. Another problem (another
    plant's of the same id too) starts them afresh: the fields the user writes (``fresh``)
    and the groups of fields ``taken`` from the problem (one field, or fields that go
    together: the units ruled and their shares). When the problem changed meanwhile, a
    group the user left as filled takes the change and one the user changed stays as
    entered: nothing entered is lost, and a click never sends a value of an earlier version
    the user did not choose. ``shown`` keeps the problem, its version and what was taken."""
    state, problem = st.session_state, (page_context().plant.id, ref)
    seen = state.get(shown)
    if seen is None or seen[0] != problem:
        state.update(fresh)
        changed: list[dict[str, object]] = taken
    elif seen[1] != version:
        changed = [
            group
            for group, was in zip(taken, seen[2], strict=True)
            if all(state.get(key) == value for key, value in was.items())
        ]
    else:
        return
    for group in changed:  # values set, not deleted, so that the browser's widgets show them too
        state.update(group)
    state[shown] = (problem, version, taken)


def file_size(size: int, lang: str) -> str:
    """A file's size as people read it.

    >>> [file_size(n, "en") for n in (12, 2560, 3 * 1024 * 1024)]
    ['12 B', '2.5 KB', '3.0 MB']
    """
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{number(size / scale, lang, 1)} {unit}"
    return f"{size} B"


def show_evidence(detail: ProblemSummary, key: str) -> None:
    """The evidence kept with the problem, each file to download (read when clicked)."""
    if not detail.evidence:
        st.caption(t("prob.evidence.none"))
        return
    ctx = page_context()
    zone = local_zone()
    for item in detail.evidence:

        def content(evidence_id: int = item["id"]) -> bytes:
            with db() as session:
                return evidence_file(
                    session=session,
                    plant=ctx.plant,
                    ref=detail.ref,
                    evidence_id=evidence_id,
                    actor=ctx.actor,
                ).content

        st.download_button(
            t(
                "prob.evidence.item",
                name=item["filename"],
                size=file_size(item["size"], ctx.lang),
                by=item["uploaded_by"],
                at=moment(item["uploaded_at"]),
                zone=zone,
            ),
            content,
            file_name=item["filename"],
            mime=item["content_type"],
            key=f"{key}.evidence.{item['id']}",
            on_click="ignore",
            icon=":material/attach_file:",
        )


def problem_label(p: ProblemSummary) -> str:
    """A picker's label; it must not change with the problem's state, or the picker resets."""
    return f"{p.ref} · {p.part} · {p.defect_code or '—'} · {p.found_on}"
