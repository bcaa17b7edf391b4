"""The learning of a review or learning source on its page: findings (their nature, agencies and
themes), recommendations (SMART, their target agencies and findings, accepted or draft, earlier
versions), each recommendation's actions, and the forms to add, edit and accept them for those who
may (docs/domain.md §7.1). Rendering only: every read and write is a call to panel.learning.

`learning_section` draws its own heading and expanders: call it at the top level of a page, not
inside an expander (Streamlit does not nest them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from panel.agencies import service as agency_service
from panel.core.access import Actor
from panel.learning import actions as action_service
from panel.learning import case_detail, findings, overview, recommendations
from panel.learning.actions import short
from panel.learning.findings import NATURES
from panel.models import Review
from panel.themes import service as theme_service
from panel.ui.common import day, empty_state, esc, field_error
from panel.ui.forms import refusals, submit

TITLE = "Learning: findings, recommendations and actions"
FINDING_FIELDS = ("text", "recorded_on", "nature", "agency_ids", "themes")
REC_FIELDS = ("text", "recorded_on", "finding_ids", "agency_ids", "outcome_sought", "measure", "due_on", "themes",
              "reason")
ACTION_FIELDS = ("text", "owner_agency_id", "owner_name", "owner_email", "due_on")
_ROUND = "_le_round_{}"  # bumped on each save, so an add form starts empty again
_DONE = "_le_done_{}"  # the note of a save just made with a form, to show once outside its expander


def _round(key: str) -> int:
    return st.session_state.get(_ROUND.format(key), 0)


def _save(key: str, call: Callable[[], object], fields: tuple[str, ...], done: str) -> None:
    """One service call for the form `key`: refused, its messages beside the fields; saved, the
    form is drawn afresh and the note waits for `_confirm(key)`."""
    submit(key, call, fields=fields, rerun=False)
    st.session_state[_ROUND.format(key)] = _round(key) + 1
    st.session_state[_DONE.format(key)] = done
    st.rerun()


def _confirm(key: str) -> None:
    """The note of a save just made with the form `key`, once: above the form's expander, not in
    it (the expander may be folded after the rerun, or gone, as an accepted recommendation's form
    is), and as a toast, seen wherever the page is scrolled."""
    if done := st.session_state.pop(_DONE.format(key), None):
        st.success(esc(done), icon=":material/check_circle:")
        st.toast(esc(done), icon=":material/check_circle:")


def learning_section(me: Actor, *, review: Review | None = None, source_id: int | None = None,
                     today: date) -> None:
    """The learning of `review` (a Review row) or of the learning source `source_id`."""
    ref = review.reference if review is not None else None
    data = overview.learning_of(me, review_reference=ref, source_id=source_id)
    settled = review is not None and review.status in ("closed", "superseded")
    if settled:  # closing settled every action (docs/domain.md §6.3): its learning stays as it is
        data.can_edit = data.can_accept = False
    key = f"le_{ref}" if ref else f"le_s{source_id}"
    st.markdown(f"### {TITLE}")
    st.caption("Findings say what was found, a concern or good practice. Recommendations ask agencies to change "
               "practice; once the partnership accepts one it is locked, and a change needs a reason. Actions "
               "carry recommendations out and close only with evidence that practice changed.")
    if settled:
        st.caption(f"This review is {esc(review.status)}: its learning is shown as it stands, and no longer changed here.")
    active = agency_service.names(me, include_retired=False)  # forms offer active agencies
    themes = theme_service.theme_names(me)
    _findings(me, data, key, active, themes, today)
    _recommendations(me, data, key, active, themes, today)


# -- findings -------------------------------------------------------------------------------------

def _findings(me: Actor, data: overview.Learning, key: str, active: dict, themes: dict, today: date) -> None:
    st.markdown(f"#### Findings ({len(data.findings)})")
    if not data.findings:
        empty_state("No findings recorded yet.",
                    "Add what was found below: a concern, or good practice to spread." if data.can_edit else None)
    for f in data.findings:
        with st.container(border=True):
            st.markdown(f"**F{int(f.number)}** · {esc(NATURES.get(f.nature, f.nature))} · "
                        f"recorded {day(f.recorded_on)}")
            st.markdown(esc(f.text))
            if f.names_case_detail:
                st.caption(f":warning: {esc(case_detail.FLAG)}")
            st.caption("Agencies it concerns: " + (", ".join(esc(n) for n in f.agencies.values()) or "none named")
                       + " · Themes: " + (", ".join(esc(n) for n in f.themes.values()) or "none"))
            _confirm(f"{key}_f{f.id}")
            if data.can_edit:
                with st.expander(f"Edit F{int(f.number)}", icon=":material/edit:"):
                    _finding_form(me, data, f"{key}_f{f.id}", active, themes, today, f)
    _confirm(f"{key}_fnew")
    if data.can_edit:
        with st.expander("Add a finding", icon=":material/add:", expanded=not data.findings):
            _finding_form(me, data, f"{key}_fnew", active, themes, today)


def _finding_form(me: Actor, data: overview.Learning, key: str, active: dict, themes: dict, today: date,
                  f: overview.FindingView | None = None) -> None:
    errs = refusals(key)
    k = f"{key}_{_round(key)}"
    with st.form(k):
        text = st.text_area("What was found", value=f.text if f else "", key=f"{k}_text",
                            placeholder="e.g. Strategy meetings were held without the police.")
        field_error(errs, "text")
        c1, c2 = st.columns(2)
        with c1:
            natures = list(NATURES)
            nature = st.radio("Nature", natures, format_func=NATURES.get, horizontal=True, key=f"{k}_nature",
                              index=natures.index(f.nature) if f and f.nature in natures else 0)
            field_error(errs, "nature")
        with c2:
            recorded = st.date_input("Recorded on", value=f.recorded_on if f else today, max_value=today,
                                     format="DD/MM/YYYY", key=f"{k}_recorded")
            field_error(errs, "recorded_on")
        agencies = {**active, **(f.agencies if f else {})}
        chosen = st.multiselect("Agencies it concerns", list(agencies), default=list(f.agencies) if f else [],
                                format_func=agencies.get, key=f"{k}_agencies", placeholder="Any number, or none")
        field_error(errs, "agency_ids")
        options = {**themes, **(f.themes if f else {})}
        tagged = st.multiselect("Themes", list(options), default=list(f.themes) if f else [],
                                format_func=options.get, key=f"{k}_themes", placeholder="Choose themes")
        field_error(errs, "themes")
        if st.form_submit_button("Save finding" if f else "Add finding", type="primary"):
            if f:
                _save(key, lambda: findings.edit_finding(
                    me, f.id, expected_version=f.version, text=text, recorded_on=recorded, nature=nature,
                    agency_ids=chosen, theme_ids=tagged, today=today), FINDING_FIELDS, "Finding saved.")
            else:
                _save(key, lambda: findings.add_finding(
                    me, text, recorded, review_reference=data.owner.label if data.owner.review_id else None,
                    source_id=data.owner.source_id, nature=nature, agency_ids=chosen, theme_ids=tagged, today=today),
                    FINDING_FIELDS, "Finding added.")


# -- recommendations ------------------------------------------------------------------------------

def _recommendations(me: Actor, data: overview.Learning, key: str, active: dict, themes: dict,
                     today: date) -> None:
    st.markdown(f"#### Recommendations ({len(data.recommendations)})")
    numbers = {f.id: f.number for f in data.findings}
    if not data.recommendations:
        empty_state("No recommendations recorded yet.",
                    "Add one below: what should change, for which agencies, how you will know and by when, "
                    "linked to the findings it answers." if data.can_edit else None)
    for r in data.recommendations:
        with st.container(border=True):
            st.markdown(f"**R{int(r.number)}** · " + (f"accepted on {day(r.accepted_on)}" if r.accepted_on
                                                     and r.status == "accepted" else "draft, not yet accepted")
                        + f" · version {int(r.version)}")
            st.markdown(esc(r.text))
            if r.names_case_detail:
                st.caption(f":warning: {esc(case_detail.FLAG)}")
            st.markdown("**Outcome sought:** " + (esc(r.outcome_sought) if r.outcome_sought else "not yet said"))
            st.markdown("**Measured by:** " + (esc(r.measure) if r.measure else "not yet said"))
            st.markdown("**Due:** " + (f"{day(r.due_on)}" if r.due_on else "no date yet")
                        + " · **For:** " + ", ".join(esc(n) for n in r.agencies.values()))
            st.caption("Answers: " + (", ".join(f"F{int(numbers[i])}" for i in r.findings if i in numbers)
                                      or "no finding linked") + " · Themes: "
                       + (", ".join(esc(n) for n in r.themes.values()) or "none"))
            if r.revisions:
                _revisions(r)
            _actions(me, data, r, f"{key}_a{r.id}", active, today)
            _confirm(f"{key}_acc{r.id}")
            if data.can_accept and r.status == "draft":
                _accept_form(me, r, f"{key}_acc{r.id}", today)
            _confirm(f"{key}_r{r.id}")
            if data.can_edit:
                with st.expander(f"Edit R{int(r.number)}", icon=":material/edit:"):
                    _rec_form(me, data, f"{key}_r{r.id}", active, themes, today, r)
    _confirm(f"{key}_rnew")
    if data.can_edit:
        with st.expander("Add a recommendation", icon=":material/add:",
                         expanded=bool(data.findings) and not data.recommendations):
            _rec_form(me, data, f"{key}_rnew", active, themes, today)


def _revisions(r: overview.RecommendationView) -> None:
    with st.expander(f"Earlier versions ({len(r.revisions)})", icon=":material/history:"):
        for v in r.revisions:
            st.markdown(f"**Version {int(v.version)}**, replaced on {day(v.changed_at)} by {esc(v.changed_by)}. "
                        f"Why: {esc(v.reason)}")
            st.markdown(esc(v.text))
            st.caption("Outcome sought: " + (esc(v.outcome_sought) if v.outcome_sought else "not said")
                       + " · Measured by: " + (esc(v.measure) if v.measure else "not said")
                       + " · Due: " + (f"{day(v.due_on)}" if v.due_on else "no date")
                       + " · For: " + ", ".join(esc(n) for n in v.agencies))


def _rec_form(me: Actor, data: overview.Learning, key: str, active: dict, themes: dict, today: date,
              r: overview.RecommendationView | None = None) -> None:
    errs = refusals(key)
    k = f"{key}_{_round(key)}"
    with st.form(k):
        text = st.text_area("What should change", value=r.text if r else "", key=f"{k}_text",
                            placeholder="e.g. Police attend every strategy meeting about a child under one.")
        field_error(errs, "text")
        found = {f.id: f"F{f.number}: {short(f.text, 70)}" for f in data.findings}
        linked = st.multiselect("Findings it answers", list(found), default=r.findings if r else [],
                                format_func=found.get, key=f"{k}_findings",
                                placeholder="Choose findings" if found else "No findings recorded yet")
        field_error(errs, "finding_ids")
        agencies = {**active, **(r.agencies if r else {})}
        targets = st.multiselect("Target agencies (at least one)", list(agencies), default=list(r.agencies) if r else [],
                                 format_func=agencies.get, key=f"{k}_agencies", placeholder="Choose the agencies")
        field_error(errs, "agency_ids")
        outcome = st.text_area("Outcome sought", value=(r.outcome_sought or "") if r else "", key=f"{k}_outcome",
                               placeholder="What will be different for children and families")
        field_error(errs, "outcome_sought")
        measure = st.text_area("How it will be measured", value=(r.measure or "") if r else "", key=f"{k}_measure",
                               placeholder="e.g. a re-audit of 20 strategy meetings finds police at all of them")
        field_error(errs, "measure")
        c1, c2 = st.columns(2)
        with c1:
            due = st.date_input("Due by", value=r.due_on if r else None, format="DD/MM/YYYY", key=f"{k}_due")
            field_error(errs, "due_on")
        with c2:
            recorded = st.date_input("Recorded on", value=r.recorded_on if r else today, max_value=today,
                                     format="DD/MM/YYYY", key=f"{k}_recorded")
            field_error(errs, "recorded_on")
        options = {**themes, **(r.themes if r else {})}
        tagged = st.multiselect("Themes", list(options), default=list(r.themes) if r else [], format_func=options.get,
                                key=f"{k}_themes", placeholder="Choose themes",
                                help=None if r else "Left empty, it takes the themes of the findings it answers.")
        field_error(errs, "themes")
        reason = ""
        if r and r.status == "accepted":
            reason = st.text_area("Why it is changing (required: it has been accepted)", key=f"{k}_reason",
                                  help="The version it replaces is kept with this reason.")
            field_error(errs, "reason")
        if st.form_submit_button("Save recommendation" if r else "Add recommendation", type="primary"):
            if r:
                _save(key, lambda: recommendations.edit_recommendation(
                    me, r.id, expected_version=r.version, text=text, recorded_on=recorded, agency_ids=targets,
                    finding_ids=linked, outcome_sought=outcome, measure=measure, due_on=due, theme_ids=tagged,
                    reason=reason, today=today), REC_FIELDS, "Recommendation saved.")
            else:
                _save(key, lambda: recommendations.add_recommendation(
                    me, text, recorded, targets, finding_ids=linked,
                    review_reference=data.owner.label if data.owner.review_id else None,
                    source_id=data.owner.source_id, outcome_sought=outcome, measure=measure, due_on=due,
                    theme_ids=tagged or None, today=today), REC_FIELDS, "Recommendation added.")


def _accept_form(me: Actor, r: overview.RecommendationView, key: str, today: date) -> None:
    with st.expander(f"Accept R{int(r.number)} for the partnership", icon=":material/verified:"), \
            st.form(f"{key}_{_round(key)}"):
        errs = refusals(key)
        st.caption("Accepting it locks it: from then on a change needs a reason, and the version it replaces "
                   "is kept.")
        c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
        with c1:
            on = st.date_input("Accepted on", value=today, max_value=today, format="DD/MM/YYYY",
                               key=f"{key}_{_round(key)}_on")
        if c2.form_submit_button(f"Accept R{int(r.number)}"):
            _save(key, lambda: recommendations.accept_recommendation(
                me, r.id, on, expected_version=r.version, today=today), ("accepted_on",),
                f"R{r.number} accepted.")
        field_error(errs, "accepted_on")


# -- actions --------------------------------------------------------------------------------------

def _actions(me: Actor, data: overview.Learning, r: overview.RecommendationView, key: str, active: dict,
             today: date) -> None:
    st.markdown(f"**Actions ({len(r.actions)})**")
    for a in r.actions:
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.page_link("pages/actions.py", query_params={"id": str(a.id)}, icon=":material/checklist:",
                     label=f"Action {int(a.id)}: {esc(short(a.text, 60))}")
        c2.caption(f"{esc(a.owner_agency)}, {esc(a.owner_name)} · due {day(a.due_on)} · "
                   f"{esc(action_service.STATUSES.get(a.status, a.status))}")
    if not r.actions:
        st.caption("No actions yet." + (" Add the first: what will be done, the agency and the person who own it, "
                                        "and when it is due." if data.can_edit else ""))
    _confirm(key)
    if not data.can_edit:
        return
    with st.expander(f"Add an action to R{int(r.number)}", icon=":material/add_task:"):
        errs = refusals(key)
        k = f"{key}_{_round(key)}"
        start = max(r.recorded_on, r.accepted_on or r.recorded_on)
        with st.form(k):
            text = st.text_area("What will be done", key=f"{k}_text",
                                placeholder="e.g. Audit strategy meeting attendance every quarter.")
            field_error(errs, "text")
            c1, c2 = st.columns(2)
            with c1:
                agency = st.selectbox("Owner agency", list(active), format_func=active.get, index=None,
                                      key=f"{k}_agency", placeholder="Choose the agency")
                field_error(errs, "owner_agency_id")
            with c2:
                owner = st.text_input("Owner (a named person)", key=f"{k}_owner")
                field_error(errs, "owner_name")
            c1, c2 = st.columns(2)
            with c1:
                email = st.text_input("Owner's e-mail (for reminders)", key=f"{k}_email")
                field_error(errs, "owner_email")
            with c2:
                due = st.date_input("Due", value=None, format="DD/MM/YYYY", key=f"{k}_due",
                                    help=f"No earlier than {day(start)}, when the recommendation was "
                                         + ("accepted." if r.accepted_on and start != r.recorded_on else "recorded."))
                field_error(errs, "due_on")
            if st.form_submit_button("Add action", type="primary"):
                _save(key, lambda: action_service.add_action(me, r.id, agency, owner, email, text, due),
                      ACTION_FIELDS, "Action added: it is on the action register.")
