"""A learning source on the Learning sources page: its details with its agencies and grades, and
the form that adds or changes one, asking only for what its kind records (docs/domain.md §7.1).
Rendering only: every read and write is a call to panel.learning.sources.

The form is drawn without st.form so that choosing the kind, or an agency, shows at once the
fields that go with it (a grade for each agency an audit looked at); nothing is saved until
its button is pressed."""

from __future__ import annotations

from datetime import date

import streamlit as st

from panel.core.access import Actor
from panel.learning import source_rules as rules
from panel.learning import sources
from panel.learning.source_rules import GRADES, INSPECTORATES, SOURCE_KINDS, SourceForm
from panel.ui.common import child_text, day, esc, field_error
from panel.ui.forms import note_done, refusals, submit

FIELDS = ("kind", "title", "reference", "topic", "inspectorate", "cases_sampled", "started_on", "completed_on",
          "agencies", "grades")
LABELS = {"kind": "Kind", "title": "Title", "reference": "Reference", "topic": "Topic",
          "inspectorate": "Inspectorate", "cases_sampled": "Cases sampled", "started_on": "Started",
          "completed_on": "Completed", "agencies": "Agencies", "grades": "Grades"}
_ROUND = "_src_round_{}"  # bumped on each save, so the form is drawn afresh


def _round(key: str) -> int:
    return st.session_state.get(_ROUND.format(key), 0)


def source_fields(key: str, agencies: dict[int, str], initial: SourceForm | None = None) -> SourceForm:
    """The fields of a source, for its kind (chosen first), filled from `initial` when editing.
    `agencies`: id -> name of the agencies that may be chosen."""
    errs = refusals(key, LABELS)
    k = f"{key}_{_round(key)}"
    start = initial or SourceForm()
    kinds = list(SOURCE_KINDS)
    kind = st.selectbox("Kind of learning", kinds, format_func=SOURCE_KINDS.get, key=f"{k}_kind",
                        index=kinds.index(start.kind) if start.kind in kinds else None,
                        placeholder="Choose what kind of learning this is")
    field_error(errs, "kind")
    if kind is None:
        return SourceForm()
    shows = set(rules.KIND_FIELDS[kind])
    form = SourceForm(kind=kind)
    form.title = st.text_input("Title", value=start.title, max_chars=rules.TITLE_MAX, key=f"{k}_title",
                               placeholder="e.g. Neglect: multi-agency case file audit, March 2026")
    field_error(errs, "title")
    if "inspectorate" in shows:
        names = list(INSPECTORATES)
        form.inspectorate = st.selectbox("Inspectorate", names, format_func=INSPECTORATES.get, key=f"{k}_insp",
                                         index=names.index(start.inspectorate) if start.inspectorate in names else None,
                                         placeholder="Choose the inspectorate")
        field_error(errs, "inspectorate")
    if "reference" in shows:
        form.reference = st.text_input(esc(rules.reference_label(kind)), value=start.reference,
                                       max_chars=rules.REFERENCE_MAX, key=f"{k}_ref")
        field_error(errs, "reference")
    if "topic" in shows:
        form.topic = st.text_area(esc(rules.topic_label(kind)), value=start.topic, max_chars=rules.TOPIC_MAX,
                                  key=f"{k}_topic")
        field_error(errs, "topic")
    c1, c2, c3 = st.columns(3)
    with c1:
        form.started_on = st.date_input("Started", value=start.started_on, format="DD/MM/YYYY", key=f"{k}_start")
        field_error(errs, "started_on")
    with c2:
        form.completed_on = st.date_input("Completed", value=start.completed_on, format="DD/MM/YYYY",
                                          key=f"{k}_done", help="Leave empty while it is still going on.")
        field_error(errs, "completed_on")
    if "cases_sampled" in shows:
        with c3:
            n = st.number_input("Cases sampled", min_value=1, max_value=rules.CASES_MAX, step=1,
                                value=start.cases_sampled, key=f"{k}_cases")
            form.cases_sampled = int(n) if n is not None else None
            field_error(errs, "cases_sampled")
    offered = {**agencies, **{a: f"Agency {a}" for a in start.agencies if a not in agencies}}
    chosen = st.multiselect("Agencies", list(offered), default=[a for a in start.agencies if a in offered],
                            format_func=offered.get, key=f"{k}_agencies",
                            placeholder="The agencies it looked at, or that took part")
    field_error(errs, "agencies")
    grades = list(GRADES)
    form.agencies = {}
    for a in chosen:
        grade = None
        if "grades" in shows:
            was = start.agencies.get(a)
            grade = st.selectbox(f"Grade: {esc(offered[a])}", grades, format_func=GRADES.get, key=f"{k}_g{a}",
                                 index=grades.index(was) if was in grades else None, placeholder="Not graded")
        form.agencies[a] = grade
    field_error(errs, "grades")
    return form


def add_source(me: Actor, partnerships: dict[int, str], agencies: dict[int, str], today: date) -> None:
    """The form to record a new source; saved, the page opens it."""
    key = "src_add"
    pid = next(iter(partnerships))
    if len(partnerships) > 1:
        pid = st.selectbox("Partnership", list(partnerships), format_func=partnerships.get, key="src_add_pid")
    form = source_fields(key, agencies)
    if form.kind is not None and st.button("Record the learning source", type="primary", key="src_add_go"):
        new = submit(key, lambda: sources.create_source(me, pid, form, today), fields=FIELDS, rerun=False)
        st.session_state[_ROUND.format(key)] = _round(key) + 1
        note_done(f"src_{new}", "Learning source recorded. Add its findings and recommendations below.")
        st.query_params["id"] = str(new)
        st.rerun()


def edit_source(me: Actor, v: sources.SourceView, agencies: dict[int, str], today: date) -> None:
    """The source's form, filled in; saved only if nobody changed it since it was drawn."""
    src = v.source
    key = f"src_edit_{src.id}_{src.version}"
    named = {a["agency_id"]: a["agency"] for a in v.agencies}
    form = source_fields(key, {**agencies, **named}, v.form)
    if form.kind is not None and st.button("Save changes", type="primary", key=f"{key}_go"):
        submit(key, lambda: sources.update_source(me, src.id, form, src.version, today), fields=FIELDS,
               rerun=False)
        note_done(f"src_{src.id}", "Changes saved.")
        st.rerun()


def details(v: sources.SourceView) -> None:
    """What the source is: its kind's fields, its agencies and (for an audit) their grades."""
    src = v.source
    st.markdown(f"**Kind:** {SOURCE_KINDS.get(src.kind, esc(src.kind))}")
    if src.inspectorate:
        st.markdown(f"**Inspectorate:** {INSPECTORATES.get(src.inspectorate, esc(src.inspectorate))}")
    if src.reference:  # may be a case's number (a CDOP's): hidden when presenting
        st.markdown(f"**{esc(rules.reference_label(src.kind))}:** {esc(child_text(src.reference))}")
    if src.cases_sampled is not None:
        st.markdown(f"**Cases sampled:** {int(src.cases_sampled)}")
    st.markdown(f"**Started:** {f'{day(src.started_on)}' if src.started_on else 'not recorded'} · "
                f"**Completed:** {f'{day(src.completed_on)}' if src.completed_on else 'not yet completed'}")
    if src.topic:
        st.markdown(f"**{esc(rules.topic_label(src.kind))}**")
        st.text(src.topic)
    if v.agencies:
        graded = src.kind in rules.AUDIT_KINDS
        st.dataframe([{"agency": a["agency"], **({"grade": a["grade"] or "Not graded"} if graded else {})}
                      for a in v.agencies], hide_index=True, width="stretch",
                     column_config={"agency": "Agency", "grade": "Grade"})
    else:
        st.caption("No agencies recorded.")
    st.caption(f"Recorded{f' by {esc(v.created_by)}' if v.created_by else ''} on {day(src.created_at)} · "
               f"{int(v.findings)} finding(s), {int(v.recommendations)} recommendation(s).")
