"""Routings and master data (administrator): units, routing versions with their
operation graphs, imports, users and the scoring scheme in force."""

from datetime import date

import pandas as pd
import streamlit as st

from dashboards import i18n
from dashboards.context import db, note, page_context, plain, refusal, t
from dashboards.i18n.refusals import row_error
from dashboards.masterdata_charts import operation_graph_figure
from noac.errors import ImportRejected, NoacError
from noac.importers import CHINESE_COLUMNS, KINDS, import_file
from noac.models import ROLES
from noac.services.masterdata import list_units
from noac.services.routings import in_force, routed_parts, routing_versions
from noac.services.schemes import active_scheme
from noac.services.users import (
    add_user,
    change_role,
    disable_user,
    enable_user,
    list_users,
    reset_password,
)
from noac.tabular import heading

ctx = page_context()
today = date.today()


def flash(area: str) -> None:
    """Show the message a change left before the page was run again."""
    if message := st.session_state.pop(f"md_flash_{area}", None):
        st.success(message)


def done(area: str, message: str, *clear: str) -> None:
    """Keep ``message`` for the next run, forget the ``clear`` widgets, run the page again."""
    st.session_state[f"md_flash_{area}"] = message
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


def yes_no(value: bool) -> str:
    return t("md.yes") if value else t("md.no")


with db() as session:
    units = list_units(session=session, plant=ctx.plant)
    declared = routed_parts(session=session, plant=ctx.plant)
    observed = routed_parts(session=session, plant=ctx.plant, source="observed")
    accounts = list_users(session=session, actor=ctx.actor)
    scheme = active_scheme(session=session, plant=ctx.plant)
unit_codes = {u.id: u.code for u in units}

st.header(t("md.title", plant=ctx.plant.name))
tab_units, tab_routings, tab_import, tab_users, tab_scheme = st.tabs(
    [
        t("md.tab.units"),
        t("md.tab.routings"),
        t("md.tab.import"),
        t("md.tab.users"),
        t("md.tab.scheme"),
    ],
    key="md_tabs",
)

# --- units ---------------------------------------------------------------------------
with tab_units:
    if not units:
        st.info(t("md.no_units"))
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("col.code"): u.code,
                        t("col.name"): u.name,
                        t("col.kind"): t(f"unit.kind.{u.kind}"),
                        t("col.categories"): i18n.listing(u.categories.split(";"), ctx.lang),
                        t("col.target"): i18n.target_text(u.target)
                        if u.target is not None
                        else t("md.target_scheme", target=i18n.target_text(scheme.target)),
                        t("md.col.parent"): unit_codes.get(u.parent_id, ""),
                    }
                    for u in units
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(t("md.units_caption", count=len(units)))

# --- routings ------------------------------------------------------------------------
with tab_routings:
    source = "declared"
    if observed:
        # labels made now, in the user's language (a format_func may run outside the page run)
        source_labels = {name: t(f"md.source_{name}") for name in ("declared", "observed")}
        source = st.radio(
            t("md.source"),
            list(source_labels),
            format_func=lambda name: source_labels.get(name, name),
            horizontal=True,
            key="md_source",
        )
    parts = observed if source == "observed" else declared
    if not parts:
        st.info(t("md.no_routings"))
    else:
        part = st.selectbox(t("md.part"), parts, key="md_part")
        with db() as session:  # only the part on show: a plant's 2,000 took 0.3 s to read
            versions = routing_versions(session=session, plant=ctx.plant, part=part, source=source)
        current = in_force(versions, today)
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("md.col.version"): v.version,
                        t("md.col.effective"): i18n.day(v.effective_from, ctx.lang)
                        if v.effective_from
                        else t("md.always"),
                        t("md.col.operations"): len(v.operations),
                        t("md.col.units"): i18n.listing(
                            sorted({o.unit for o in v.operations}), ctx.lang
                        ),
                        t("md.col.in_force"): yes_no(v is current),
                    }
                    for v in versions
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        by_number = {v.version: v for v in versions}
        version_labels = {
            v.version: t("md.version_label", version=v.version)
            + (f" · {t('md.in_force')}" if v is current else "")
            for v in by_number.values()
        }
        number = st.selectbox(
            t("md.version"),
            list(by_number),
            index=len(by_number) - 1,
            format_func=lambda n: version_labels.get(n, str(n)),
            key=f"md_version_{part}",
        )
        view = by_number[number]
        st.plotly_chart(
            operation_graph_figure(view.graph(), t),
            width="stretch",
            key="md_operation_graph",
        )
        st.caption(t("md.graph_caption"))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("md.col.op"): o.op,
                        t("md.col.unit"): o.unit,
                        t("md.col.category"): o.category,
                        t("md.col.after"): i18n.listing(o.after, ctx.lang),
                        t("md.inspection"): yes_no(o.inspection),
                    }
                    for o in view.operations
                ]
            ),
            hide_index=True,
            width="stretch",
        )

# --- import --------------------------------------------------------------------------
with tab_import:
    flash("import")
    st.caption(t("md.import_caption", plant=ctx.plant.code))
    # a file's kind in the words the audit trail names its import by, made with the page
    kind_labels = {k: i18n.audit_word("entity", k, ctx.lang) for k in KINDS}
    kind = st.selectbox(
        t("md.import_kind"),
        list(KINDS),
        format_func=lambda k: kind_labels.get(k, k),
        key="md_import_kind",
    )
    spec = KINDS[kind]

    def named(columns: tuple[str, ...]) -> str:
        """Columns as a header may name them: in Chinese, also by their Chinese names."""
        if ctx.lang == "zh":
            columns = tuple(heading(c, CHINESE_COLUMNS) for c in columns)
        return i18n.listing(columns, ctx.lang) or "—"

    st.caption(t("md.import_columns", required=named(spec.required), optional=named(spec.optional)))
    uploaded = st.file_uploader(t("md.import_file"), type=["csv", "xlsx"], key="md_import_file")
    effective = None
    if spec.dated:
        effective = st.date_input(t("md.import_effective"), value=today, key="md_import_effective")
        st.caption(t(f"md.import_effective_help.{kind}"))
    if st.button(t("md.import_button"), key="md_import_submit", type="primary"):
        if uploaded is None:
            st.warning(t("md.import_no_file"))
        else:
            try:
                with db() as session:
                    summary = import_file(
                        session=session,
                        kind=kind,
                        path=uploaded.name,
                        actor=ctx.actor,
                        plant_code=ctx.plant.code,
                        effective=effective,
                        data=uploaded.getvalue(),
                    )
            except ImportRejected as rejected:
                st.error(t("md.import_rejected", file=uploaded.name, count=len(rejected.errors)))
                st.text("\n".join(row_error(e, ctx.lang, scheme.criteria) for e in rejected.errors))
            except NoacError as error:
                st.error(refusal(error, scheme.criteria))
            else:
                done(
                    "import",
                    t(
                        "md.import_done",
                        file=uploaded.name,
                        kind=summary.kind,
                        plant=summary.plant,
                        rows=summary.rows,
                        created=summary.created,
                        updated=summary.updated,
                        unchanged=summary.unchanged,
                    )
                    + "".join(
                        f"\n\n{plain(note(line, scheme.criteria))}" for line in summary.notes
                    ),
                )

# --- users ---------------------------------------------------------------------------
with tab_users:
    flash("users")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("md.col.username"): a.username,
                    t("md.col.display_name"): a.display_name,
                    t("md.col.role"): t(f"role.{a.role}") if a.role in ROLES else a.role,
                    t("md.col.plant"): a.plant or "",
                    t("md.col.unit"): a.unit or "",
                    t("md.col.active"): yes_no(a.active),
                }
                for a in accounts
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    unit_labels = {"": t("md.no_unit"), **{u.code: f"{u.code} · {u.name}" for u in units}}
    role_labels = {role: t(f"role.{role}") for role in ROLES}

    def unit_label(code: str) -> str:
        return unit_labels.get(code, code)

    def role_label(role: str) -> str:
        return role_labels.get(role, role)

    st.markdown(t("md.add_user"))
    with st.form("md_add_user"):
        left, right = st.columns(2)
        username = left.text_input(t("md.col.username"), key="md_user_name")
        display_name = right.text_input(t("md.col.display_name"), key="md_user_display")
        role = left.selectbox(
            t("md.col.role"),
            ROLES,
            format_func=role_label,
            key="md_user_role",
        )
        unit = right.selectbox(
            t("md.col.unit"),
            list(unit_labels),
            format_func=unit_label,
            key="md_user_unit",
            help=t("md.unit_help"),
        )
        password = left.text_input(
            t("md.password"), type="password", key="md_user_password", help=t("md.password_help")
        )
        add = st.form_submit_button(t("md.add_user_button"), key="md_add_user_submit")
    if add:
        try:
            with db() as session:
                added = add_user(
                    session=session,
                    actor=ctx.actor,
                    username=username.strip(),
                    display_name=display_name,
                    role=role,
                    password=password,
                    plant=ctx.plant,
                    unit=unit or None,
                )
        except NoacError as error:
            st.error(refusal(error))
        else:
            done(
                "users",
                t("md.user_added", username=added.username),
                "md_user_name",
                "md_user_display",
                "md_user_password",
            )

    others = [a.username for a in accounts if a.active and a.username != ctx.actor.username]
    disable_column, reset_column = st.columns(2)
    with disable_column:
        st.markdown(t("md.disable_user"))
        with st.form("md_disable_user"):
            who = st.selectbox(t("md.col.username"), others, key="md_disable_who")
            confirmed = st.checkbox(t("md.disable_confirm"), key="md_disable_confirm")
            disable = st.form_submit_button(t("md.disable_button"), key="md_disable_submit")
        if disable and who and not confirmed:
            st.warning(t("md.disable_unconfirmed"))
        elif disable and who:
            try:
                with db() as session:
                    disable_user(session=session, actor=ctx.actor, username=who)
            except NoacError as error:
                st.error(refusal(error))
            else:
                done("users", t("md.user_disabled", username=who), "md_disable_confirm")
        st.markdown(t("md.enable_user"))
        disabled = [a.username for a in accounts if not a.active]
        if not disabled:
            st.caption(t("md.none_disabled"))
        else:
            with st.form("md_enable_user"):
                whom = st.selectbox(
                    t("md.col.username"), disabled, key="md_enable_who", help=t("md.enable_help")
                )
                enable = st.form_submit_button(t("md.enable_button"), key="md_enable_submit")
            if enable and whom:
                try:
                    with db() as session:
                        enable_user(session=session, actor=ctx.actor, username=whom)
                except NoacError as error:
                    st.error(refusal(error))
                else:
                    done("users", t("md.user_enabled", username=whom))
    with reset_column:
        st.markdown(t("md.reset_password"))
        with st.form("md_reset_password"):
            whose = st.selectbox(
                t("md.col.username"), [a.username for a in accounts], key="md_reset_who"
            )
            new_password = st.text_input(
                t("md.new_password"),
                type="password",
                key="md_reset_password_new",
                help=t("md.password_help"),
            )
            reset = st.form_submit_button(t("md.reset_button"), key="md_reset_submit")
        if reset and whose:
            try:
                with db() as session:
                    reset_password(
                        session=session, actor=ctx.actor, username=whose, password=new_password
                    )
            except NoacError as error:
                st.error(refusal(error))
            else:
                done("users", t("md.password_reset", username=whose), "md_reset_password_new")

    st.markdown(t("md.change_role"))
    with st.form("md_change_role"):
        left, middle, right = st.columns(3)
        whose_role = left.selectbox(
            t("md.col.username"),
            [a.username for a in accounts if a.username != ctx.actor.username],
            key="md_role_who",
        )
        new_role = middle.selectbox(
            t("md.col.role"), ROLES, format_func=role_label, key="md_role_role"
        )
        new_unit = right.selectbox(
            t("md.col.unit"),
            list(unit_labels),
            format_func=unit_label,
            key="md_role_unit",
            help=t("md.unit_help"),
        )
        change = st.form_submit_button(t("md.change_role_button"), key="md_role_submit")
    if change and whose_role:
        try:
            with db() as session:
                changed = change_role(
                    session=session,
                    actor=ctx.actor,
                    username=whose_role,
                    role=new_role,
                    plant=ctx.plant,
                    unit=new_unit or None,
                )
        except NoacError as error:
            st.error(refusal(error))
        else:
            done(
                "users",
                t(
                    "md.role_changed",
                    username=changed.username,
                    role=t(f"role.{changed.role}") + (f" · {changed.unit}" if changed.unit else ""),
                ),
            )

# --- scheme --------------------------------------------------------------------------
with tab_scheme:
    zh = ctx.lang == "zh"
    st.markdown(t("md.criteria"))
    total = sum(c.weight for c in scheme.criteria)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("col.code"): c.code,
                    t("col.name"): c.name_zh if zh else c.name_en,
                    t("md.col.description"): c.description_zh if zh else c.description_en,
                    t("md.col.weight"): c.weight,
                    t("md.col.weight_share"): c.weight / total,
                    t("md.col.scale"): f"{c.min}–{c.max}",
                }
                for c in scheme.criteria
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            t("md.col.weight_share"): st.column_config.NumberColumn(format="percent"),
        },
    )
    left, right = st.columns(2)
    with left:
        st.markdown(t("md.parameters"))
        st.dataframe(
            pd.DataFrame(
                [
                    (t("md.param.target"), f"{scheme.target:g}"),
                    (t("md.param.alpha"), f"{scheme.alpha:g}"),
                    (t("md.param.k_range"), f"{scheme.k_min:g} – {scheme.k_max:g}"),
                    (t("md.param.comment_below"), f"{scheme.comment_below}"),
                    (t("md.param.calibration"), t(f"md.calibration.{scheme.calibration}")),
                ],
                columns=[t("md.col.parameter"), t("md.col.value")],
            ),
            hide_index=True,
            width="stretch",
        )
    with right:
        st.markdown(t("md.penalties"))
        points = scheme.penalties
        st.dataframe(
            pd.DataFrame(
                [
                    (t("md.penalty.minor"), points.minor),
                    (t("md.penalty.major"), points.major),
                    (t("md.penalty.critical"), points.critical),
                    (t("md.penalty.overdue"), points.overdue),
                    (t("md.penalty.escape"), points.escape),
                ],
                columns=[t("md.col.penalty"), t("md.col.points")],
            ),
            hide_index=True,
            width="stretch",
        )
    own_targets = [u for u in units if u.target is not None]
    st.markdown(t("md.unit_targets"))
    if own_targets:
        st.dataframe(
            pd.DataFrame(
                [
                    {t("col.code"): u.code, t("col.name"): u.name, t("col.target"): u.target}
                    for u in own_targets
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(t("md.no_unit_targets", target=f"{scheme.target:g}"))
    st.markdown(t("md.scheme_hash"))
    st.code(scheme.content_hash, language=None)
    st.caption(t("md.scheme_caption"))
