"""Score my suppliers (supervisor): one form per unit that supplied his unit in the month."""

from datetime import date

import pandas as pd
import streamlit as st

from dashboards.context import (
    KEPT,
    PageContext,
    db,
    page_context,
    page_fragment,
    plain,
    refusal,
    t,
    while_signed_in,
)
from dashboards.i18n import day, listing, month_label, number, quantity
from noac.errors import NoacError
from noac.scheme import Criterion, Scheme
from noac.services import scorecards, scoring
from noac.services.coefficients import previous_months, round_half_up
from noac.services.periods import months_closed_to_writes
from noac.services.schemes import month_schemes
from noac.settings import get_settings

WHOLE_PAGE = "score.whole_page"  # set by a card's submit or reload: run the page, not the card


def _score_key(month: str, supplier: str, code: str) -> str:
    return f"score-{month}-{supplier}-{code}"


def _comment_key(month: str, supplier: str, code: str) -> str:
    return f"comment-{month}-{supplier}-{code}"


def _shown_key(month: str, supplier: str) -> str:
    """Versions of the values the widgets were filled with (the stale-form check)."""
    return f"{KEPT}shown-{month}-{supplier}"


def _draft_key(month: str, supplier: str) -> str:
    return f"{KEPT}draft-values-{month}-{supplier}"


def _entered_key(month: str, supplier: str) -> str:
    """What was entered on a card and differs from its saved form, kept outside the widgets,
    which Streamlit forgets when the supervisor opens another page."""
    return f"{KEPT}entered-{month}-{supplier}"


def _said_key(month: str, supplier: str) -> str:
    return f"{KEPT}said-{month}-{supplier}"


def _help(criterion: Criterion, lang: str) -> str:
    return (criterion.description_zh if lang == "zh" else criterion.description_en) or ""


def _start(criterion: Criterion, scheme: Scheme) -> int:
    """Value of a criterion not scored yet: the lowest that needs no comment."""
    return max(criterion.min, min(criterion.max, scheme.comment_below))


def _fill(card: scorecards.Card, scheme: Scheme) -> None:
    """Put the draft, else what was entered before another page was opened, else the saved
    values, into the widgets of a card not shown yet, and of a criterion the scheme gained
    while the card was shown (what was entered stays)."""
    month, supplier = card.month, card.supplier
    unfilled = [
        c for c in scheme.criteria if _score_key(month, supplier, c.code) not in st.session_state
    ]
    if not unfilled:
        return
    saved = {"values": card.values, "comments": card.comments, "versions": card.versions}
    source = (
        st.session_state.get(_draft_key(month, supplier))
        or st.session_state.get(_entered_key(month, supplier))
        or saved
    )
    for c in unfilled:
        value = source["values"].get(c.code, _start(c, scheme))
        st.session_state[_score_key(month, supplier, c.code)] = max(c.min, min(c.max, value))
        st.session_state[_comment_key(month, supplier, c.code)] = source["comments"].get(c.code, "")
    versions = dict(source["versions"])
    if len(unfilled) < len(scheme.criteria):  # the others keep the versions they were filled with
        versions |= st.session_state[_shown_key(month, supplier)]
    st.session_state[_shown_key(month, supplier)] = versions


def _entered(card: scorecards.Card, scheme: Scheme) -> tuple[dict[str, int], dict[str, str]]:
    month, supplier = card.month, card.supplier
    values = {
        c.code: int(st.session_state[_score_key(month, supplier, c.code)]) for c in scheme.criteria
    }
    comments = {
        c.code: st.session_state[_comment_key(month, supplier, c.code)] for c in scheme.criteria
    }
    return values, comments


def _forget(card: scorecards.Card, scheme: Scheme) -> None:
    """Drop the widgets' values and the draft: the next run shows the saved form."""
    month, supplier = card.month, card.supplier
    for c in scheme.criteria:
        st.session_state.pop(_score_key(month, supplier, c.code), None)
        st.session_state.pop(_comment_key(month, supplier, c.code), None)
    st.session_state.pop(_shown_key(month, supplier), None)
    st.session_state.pop(_draft_key(month, supplier), None)
    st.session_state.pop(_entered_key(month, supplier), None)


def _keep_entered(card: scorecards.Card, scheme: Scheme) -> None:
    """Keep what the card shows while it differs from what it was filled with from the saved
    form; a card left so reads the saved form anew when the page is opened again."""
    key = _entered_key(card.month, card.supplier)
    values, comments = _entered(card, scheme)
    saved_values = {c.code: card.values.get(c.code, _start(c, scheme)) for c in scheme.criteria}
    saved_comments = {c.code: card.comments.get(c.code, "") for c in scheme.criteria}
    if values == saved_values and comments == saved_comments:
        st.session_state.pop(key, None)
        return
    st.session_state[key] = {
        "values": values,
        "comments": comments,
        "versions": st.session_state[_shown_key(card.month, card.supplier)],
    }


def _save_draft(card: scorecards.Card, scheme: Scheme) -> None:
    values, comments = _entered(card, scheme)
    st.session_state[_draft_key(card.month, card.supplier)] = {
        "values": values,
        "comments": comments,
        "versions": st.session_state[_shown_key(card.month, card.supplier)],
    }
    st.session_state[_said_key(card.month, card.supplier)] = ("info", t("score.draft_kept"))


def _reload(card: scorecards.Card, scheme: Scheme) -> None:
    _forget(card, scheme)
    st.session_state[WHOLE_PAGE] = True
    st.session_state[_said_key(card.month, card.supplier)] = ("info", t("score.reloaded"))


@while_signed_in
def _submit(ctx: PageContext, card: scorecards.Card, scheme: Scheme) -> None:
    st.session_state[WHOLE_PAGE] = True
    values, comments = _entered(card, scheme)
    shown = st.session_state[_shown_key(card.month, card.supplier)]
    try:
        with db() as session:
            scoring.submit_form(
                session=session,
                plant=ctx.plant,
                month=card.month,
                rater=card.rater,
                ratee=card.supplier,
                values=values,
                comments=comments,
                actor=ctx.actor,
                expected_versions={c.code: shown.get(c.code, 0) for c in scheme.criteria},
            )
            saved = next(
                c
                for c in scorecards.rater_cards(
                    session=session, plant=ctx.plant, month=card.month, rater=card.rater
                )
                if c.supplier == card.supplier
            )
    except NoacError as error:
        st.session_state[_said_key(card.month, card.supplier)] = (
            "error",
            refusal(error, scheme.criteria),
        )
        return
    st.session_state[_shown_key(card.month, card.supplier)] = dict(saved.versions)
    st.session_state.pop(_draft_key(card.month, card.supplier), None)
    st.session_state[_said_key(card.month, card.supplier)] = (
        "success",
        t(
            "score.submitted",
            supplier=f"{saved.supplier} · {plain(saved.supplier_name)}",
            score=number(saved.score, ctx.lang, 1),
        ),
    )


def _status(card: scorecards.Card, lang: str) -> str:
    if card.complete:
        return t("score.status_submitted", score=number(card.score, lang, 1))
    if card.values:
        return t("score.status_incomplete")
    return t("score.status_new")


@page_fragment
def _editable_card(ctx: PageContext, card: scorecards.Card, scheme: Scheme) -> None:
    """One supplier's form, a fragment: moving a slider or typing a comment runs this card
    again, not the page with every other card (a unit scoring 46 suppliers waited 1-2 s a
    move). After a submit or a reload, or when the session ended, the whole page runs: it
    reads the saved forms anew and its notice of the missing forms follows."""
    if st.session_state.get(WHOLE_PAGE):
        st.rerun(scope="app")
    _fill(card, scheme)
    month, supplier = card.month, card.supplier
    with st.container(border=True):
        st.subheader(f"{supplier} · {plain(card.supplier_name)}", anchor=False)
        st.caption(
            t("score.card_caption", weight=quantity(card.weight, ctx.lang))
            + " · "
            + _status(card, ctx.lang)
        )
        if st.session_state.get(_draft_key(month, supplier)):
            st.caption(t("score.draft_loaded"))
        for criterion in scheme.criteria:
            left, right = st.columns([2, 3])
            with left:
                value = st.slider(
                    criterion.name(ctx.lang),
                    min_value=criterion.min,
                    max_value=criterion.max,
                    step=1,
                    help=_help(criterion, ctx.lang) or None,
                    key=_score_key(month, supplier, criterion.code),
                )
                if value < scheme.comment_below:
                    comment = st.session_state[_comment_key(month, supplier, criterion.code)]
                    hint = "score.needs_comment" if not comment.strip() else "score.has_comment"
                    st.caption(t(hint, threshold=scheme.comment_below))
            with right:
                st.text_area(
                    t("score.comment_label", criterion=criterion.name(ctx.lang)),
                    max_chars=2000,
                    height=68,
                    key=_comment_key(month, supplier, criterion.code),
                )
        _keep_entered(card, scheme)
        values, _ = _entered(card, scheme)
        st.caption(
            t("score.entered_score", score=number(scoring.form_score(scheme, values), ctx.lang, 1))
        )
        with st.container(horizontal=True):
            st.button(
                t("score.submit"),
                key=f"submit-{month}-{supplier}",
                type="primary",
                on_click=_submit,
                args=(ctx, card, scheme),
            )
            st.button(
                t("score.save_draft"),
                key=f"draft-{month}-{supplier}",
                help=t("score.draft_help"),
                on_click=_save_draft,
                args=(card, scheme),
            )
            st.button(
                t("score.reload"),
                key=f"reload-{month}-{supplier}",
                help=t("score.reload_help"),
                on_click=_reload,
                args=(card, scheme),
            )
        said = st.session_state.pop(_said_key(month, supplier), None)
        if said:
            kind, text = said
            {"success": st.success, "error": st.error, "info": st.info}[kind](text)


def _values_table(cards: list[scorecards.Card], scheme: Scheme, lang: str) -> pd.DataFrame:
    rows = []
    for card in cards:
        row = {t("col.code"): card.supplier, t("col.name"): card.supplier_name}
        for criterion in scheme.criteria:
            row[criterion.name(lang)] = card.values.get(criterion.code)
        row[t("score.col_form")] = round_half_up(card.score, 1) if card.score is not None else None
        row[t("score.col_status")] = t(
            "score.status_done"
            if card.complete
            else "score.status_incomplete"
            if card.values
            else "score.status_new"
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _closed_card(ctx: PageContext, card: scorecards.Card, scheme: Scheme) -> None:
    with st.container(border=True):
        st.subheader(f"{card.supplier} · {plain(card.supplier_name)}", anchor=False)
        st.caption(
            t("score.card_caption", weight=quantity(card.weight, ctx.lang))
            + " · "
            + _status(card, ctx.lang)
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("score.col_criterion"): c.name(ctx.lang),
                        t("score.col_value"): card.values.get(c.code),
                        t("score.col_comment"): card.comments.get(c.code, ""),
                    }
                    for c in scheme.criteria
                ]
            ),
            hide_index=True,
            width="stretch",
        )


ctx = page_context()
st.session_state.pop(WHOLE_PAGE, None)
unit = ctx.actor.unit
st.header(t("page.score"))
if not unit:
    st.info(t("score.no_unit"))
    st.stop()

previous = previous_months(ctx.month, 1)[0]
month, previous_label = month_label(ctx.month, ctx.lang), month_label(previous, ctx.lang)
with db() as session:
    schemes = month_schemes(session=session, plant=ctx.plant, months=[previous, ctx.month])
    closed = months_closed_to_writes(session=session, plant=ctx.plant)
    both = scorecards.months_rater_cards(
        session=session, plant=ctx.plant, months=[previous, ctx.month], rater=unit
    )
scheme = schemes[ctx.month]
cards, before = both[ctx.month], both[previous]
missing = scorecards.incomplete(cards)

st.caption(t("score.intro", unit=unit, month=month))
due = scorecards.due_date(ctx.month, get_settings().scores_due_day)

if not cards:
    st.info(t("score.no_suppliers", unit=unit, month=month))
elif ctx.month in closed:
    if ctx.month in closed.months:
        st.info(t("score.closed", month=month))
    else:
        st.info(t("score.before_closed", month=month, last=month_label(closed.last, ctx.lang)))
    for card in cards:
        _closed_card(ctx, card, scheme)
else:
    late = date.today() > due
    st.markdown(
        t("score.due", month=month, day=day(due, ctx.lang))
        + (" " + t("score.due_passed") if late and missing else "")
    )
    if missing:
        names = listing((f"{c.supplier} · {plain(c.supplier_name)}" for c in missing), ctx.lang)
        notice = st.warning if late else st.info
        notice(t("score.missing", count=len(missing), total=len(cards), units=names))
    else:
        st.success(t("score.all_done", count=len(cards), month=month))
    st.caption(t("score.rules", threshold=scheme.comment_below))
    for card in cards:
        _editable_card(ctx, card, scheme)

st.subheader(t("score.previous", month=previous_label))
if any(card.values for card in before):
    st.dataframe(
        _values_table(before, schemes[previous], ctx.lang), hide_index=True, width="stretch"
    )
else:
    st.info(t("score.previous_none", unit=unit, month=previous_label))
