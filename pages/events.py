"""Learning events: where the partnership shared learning with practitioners (learning events,
bitesize and briefing sessions, conferences, newsletters), what each shared and how many
attended from each agency (docs/domain.md §7.1). The list, one event's record, and the form to
record or correct one; panel.learning.dissemination checks every answer."""

import pandas as pd
import streamlit as st

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.learning import dissemination
from panel.learning.dissemination_rules import NO_AGENCY
from panel.ui.common import DATE_FORMAT, actor, day, empty_state, esc, field_error, header, today
from panel.ui.forms import load_or_stop, refusals, submit

FIELDS = ("held_on", "kind", "topic", "audience", "links", "attendance")
LABELS = {"held_on": "Held on", "kind": "Kind of event", "topic": "Topic", "audience": "Audience",
          "links": "What it shared", "attendance": "Who attended"}

me = actor()
header("Learning events", ":material/school:",
       "Where learning was shared with practitioners, what each event shared and how many attended from "
       "each agency: the reach the learning explorer counts under each theme.")
parts = accounts.partnerships(me, "learning.read")
if not parts:
    empty_state("There are no learning events for you to see.",
                "Learning events are for panel chairs, members and business managers.")
    st.stop()
names = {p.id: p.name for p in parts}
pid = parts[0].id if len(parts) == 1 else st.selectbox("Partnership", list(names), format_func=names.get,
                                                       key="ev_part")
can_edit = me.can("learning.edit", pid)
agencies = {a.id: a.name for a in agency_service.list_agencies(me)}  # the active ones: what a form offers


def event_form(key: str, initial: dissemination.EventDetail | None) -> None:
    """The whole record of one event, to add (`initial` None) or to correct."""
    errs = refusals(key, LABELS)
    ev = initial.event if initial else None
    choices = dissemination.link_choices(me, pid)
    linked = {(x["entity"], x["id"]) for x in initial.links} if initial else set()
    c1, c2 = st.columns([1, 2])
    held_on = c1.date_input("Held on", value=ev.held_on if ev else None, max_value=today(), format="DD/MM/YYYY",
                            key=f"{key}_held_on")
    field_error(errs, "held_on")
    kinds = list(dissemination.EVENT_KINDS)
    kind = c2.selectbox("Kind of event", kinds, index=kinds.index(ev.kind) if ev and ev.kind in kinds else None,
                        format_func=dissemination.EVENT_KINDS.get, placeholder="Choose the kind", key=f"{key}_kind")
    field_error(errs, "kind")
    topic = st.text_input("Topic", value=ev.topic if ev else "", max_chars=200, key=f"{key}_topic")
    field_error(errs, "topic")
    audience = st.text_area("Audience", value=(ev.audience or "") if ev else "", key=f"{key}_audience",
                            help="Who it was for, e.g. front-line social workers, health visitors and school DSLs.")
    field_error(errs, "audience")
    reviews = st.multiselect("Reviews it shared", list(choices["reviews"]), format_func=choices["reviews"].get,
                             default=[i for e, i in linked if e == "review" and i in choices["reviews"]],
                             key=f"{key}_reviews", placeholder="Choose reviews")
    recs = {r["id"]: r["label"] for r in sorted(choices["recommendations"], key=lambda r: r["review_id"] not in reviews)}
    chosen = st.multiselect("Recommendations it shared", list(recs), format_func=recs.get,
                            default=[i for e, i in linked if e == "recommendation" and i in recs],
                            key=f"{key}_recs", placeholder="Choose recommendations",
                            help="Those of the reviews chosen above come first.")
    field_error(errs, "links")
    kept = [(e, i) for e, i in linked if e not in ("review", "recommendation")]  # briefings and sources stay
    rows = initial.attendance if initial else []
    offered = {**agencies, **{r["agency_id"]: r["agency"] for r in rows if r["agency_id"] is not None}}
    by_name = {v: k for k, v in offered.items()}
    frame = pd.DataFrame({"agency": pd.Series([r["agency"] if r["agency_id"] else None for r in rows], dtype="object"),
                          "role": pd.Series([r["role"] for r in rows], dtype="object"),
                          "attended": pd.Series([r["attended"] for r in rows], dtype="Int64")})
    st.markdown("**Who attended**")
    st.caption(f"One row per agency and role. Leave the agency blank for people from an organisation not on the "
               f"list ({NO_AGENCY.lower()}). For a newsletter, count the practitioners it went to.")
    edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, width="stretch", key=f"{key}_attendance",
                            column_config={
                                "agency": st.column_config.SelectboxColumn("Agency", options=sorted(by_name)),
                                "role": st.column_config.TextColumn("Role", max_chars=100),
                                "attended": st.column_config.NumberColumn("Attended", min_value=0, step=1,
                                                                          format="%d")})
    field_error(errs, "attendance")
    attendance = [{"agency_id": by_name.get(r["agency"]) if isinstance(r["agency"], str) else None,
                   "role": r["role"] if isinstance(r["role"], str) else None,
                   "attended": None if pd.isna(r["attended"]) else r["attended"]} for r in edited.to_dict("records")]
    links = [("review", i) for i in reviews] + [("recommendation", i) for i in chosen] + kept
    if initial is None:
        if st.button("Record event", type="primary", key=f"{key}_go"):
            submit(key, lambda: dissemination.record_event(me, pid, held_on, kind, topic, audience, links, attendance,
                                                           today=today()),
                   fields=FIELDS, done="Learning event recorded.", rerun=False)
            for part in ("held_on", "kind", "topic", "audience", "reviews", "recs", "attendance"):
                st.session_state.pop(f"{key}_{part}", None)  # a fresh form for the next one
            st.rerun()
    elif st.button("Save changes", type="primary", key=f"{key}_go"):
        submit(key, lambda: dissemination.update_event(
            me, ev.id, held_on=held_on, kind=kind, topic=topic, audience=audience, links=links,
            attendance=attendance, expected_version=ev.version, today=today()),
            fields=FIELDS, done="Learning event saved.")


df = dissemination.list_events(me, [pid])
m1, m2 = st.columns(2)
m1.metric("Events", len(df))
m2.metric("Practitioners reached", int(df["attended"].sum()) if not df.empty else 0)
picked = None
if df.empty:
    empty_state("No learning events recorded yet.",
                "Record one below: when it was held, what it shared and how many attended from each agency."
                if can_edit else "The panel's chairs, members and business managers record them.")
else:
    table = st.dataframe(
        df, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="ev_table",
        column_order=["held_on", "kind", "topic", "shared", "agencies", "attended"],
        column_config={"held_on": st.column_config.DateColumn("Held on", format=DATE_FORMAT), "kind": "Kind",
                       "topic": st.column_config.TextColumn("Topic", width="medium"),
                       "shared": st.column_config.TextColumn("What it shared", width="large"),
                       "agencies": st.column_config.NumberColumn("Agencies", format="%d"),
                       "attended": st.column_config.NumberColumn("Attended", format="%d")})
    labels = {int(r.id): f"{day(r.held_on)} · {r.kind} · {r.topic[:60]}" for r in df.itertuples()}
    chosen_row = table.selection.rows if table and table.selection else []
    picked = st.selectbox("Open an event", list(labels), index=None, format_func=labels.get,
                          placeholder="Choose an event", key="ev_open")
    if chosen_row:
        picked = int(df.iloc[chosen_row[0]]["id"])

if picked is not None:
    d = load_or_stop(lambda: dissemination.get_event(me, picked))
    with st.container(border=True):
        st.header(f"{dissemination.EVENT_KINDS.get(d.event.kind, '')} on {day(d.event.held_on)}", anchor=False)
        st.text(d.event.topic)
        if d.event.audience:
            st.caption(f"Audience: {esc(d.event.audience)}")
        st.markdown("**What it shared**")
        st.text("\n".join(x["label"] for x in d.links) or "Nothing Panel holds (a general session).")
        st.markdown(f"**Who attended: {int(d.attended)}**")
        st.dataframe(pd.DataFrame(d.attendance, columns=["agency", "role", "attended"]), hide_index=True,
                     width="stretch", column_config={"agency": "Agency", "role": "Role",
                                                     "attended": st.column_config.NumberColumn("Attended", format="%d")})
    if d.can_edit:
        with st.expander("Correct this event", icon=":material/edit:"):
            event_form(f"ev_{d.event.id}_{d.event.version}", d)

if can_edit:
    st.divider()
    st.header("Record a learning event", anchor=False)
    event_form("ev_add", None)
