"""The review page's drafted documents (docs/domain.md §11): a rapid review's agency summaries and
report, an LCSPR's terms of reference, each partner's sign-off and the date sent to the National
Panel; and the administrator's headings. Rendering only: what is allowed and what a draft says
are panel.drafting's."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from panel.core.access import Actor
from panel.drafting import rules
from panel.drafting import service as drafting
from panel.models import Review
from panel.ui.common import day, esc, field_error, first_view, mark_viewed
from panel.ui.forms import refusals, submit

NO_SUMMARIES = ("No agency has been asked for a summary: ask for one under \"Chronologies and agency reports\" "
                "above, choosing \"Agency summary\" under \"Asked for\" and pressing \"Add request\", and the "
                "report draws on it.")
WHAT = {"rapid_review": "Draft the rapid review report", "terms_of_reference": "Draft the terms of reference"}


def drafting_section(me: Actor, rv: Review, type_key: str, today: date) -> None:
    """The documents this review's type has: nothing for a type Panel drafts nothing for."""
    kind = rules.KIND_OF_TYPE.get(type_key)
    if kind is None:
        return
    st.markdown(f"### {rules.KINDS[kind]}")
    if kind == "rapid_review":
        _summaries(me, rv, today)
    _draft(me, rv, kind, today)


def _summaries(me: Actor, rv: Review, today: date) -> None:
    rows = drafting.agency_summaries(me, rv.reference)
    if not rows:  # said plainly, not as an expander holding "0 of 0"
        st.caption(NO_SUMMARIES)
        return
    with st.expander(f"Agency summaries ({sum(1 for r in rows if r['summary'])} of {len(rows)} in)",
                     icon=":material/summarize:"):
        for r in rows:
            st.markdown(f"**{esc(r['agency'])}** (" + (f"received {day(r['received_on'])}" if r["received_on"]
                                                          else f"due {day(r['due_on'])}") + ")")
            if r["summary"]:
                st.text(r["summary"])
        may = rv.status == "open" and (me.can("review.edit", rv.partnership_id)
                                        or me.can("screening.edit", rv.partnership_id))
        if not may:
            return
        key = f"sum_{rv.reference}"
        errs = refusals(key)
        names = {r["id"]: r["agency"] for r in rows}
        rid = st.selectbox("Agency", list(names), format_func=names.get, key=f"{key}_pick")
        chosen = next(r for r in rows if r["id"] == rid)
        with st.form(f"{key}_{rid}"):
            text = st.text_area("The agency's summary", value=chosen["summary"], height=160,
                                help="As the agency told the rapid review. Name no one: the report draws on it.")
            field_error(errs, "summary")
            got_on = st.date_input("Received on", value=chosen["received_on"], max_value=today,
                                   format="DD/MM/YYYY")
            field_error(errs, "received_on")
            if st.form_submit_button("Save the summary"):
                submit(key, lambda: drafting.save_agency_summary(me, rv.reference, rid, text, got_on, rv.version, today),
                       fields=("summary", "received_on"), done="Summary saved.")


def _draft(me: Actor, rv: Review, kind: str, today: date) -> None:
    view_key = f"{kind}_draft"
    v = drafting.draft(me, rv.reference, kind, record_view=first_view(view_key, rv.reference))
    mark_viewed(view_key, rv.reference)
    key = f"dr_{kind}_{rv.reference}"
    errs = refusals(key)
    if not v.exists:
        st.caption("Panel drafts it from what the record holds, under the partnership's headings, for the "
                   "panel to edit; the child's initials, date of birth and names are left out.")
        if v.can_draft and st.button(WHAT[kind], key=f"{key}_make", type="primary"):
            submit(key, lambda: drafting.create_draft(me, rv.reference, kind), done="Drafted from the record.")
        field_error(errs, "kind")
        return
    st.caption(f"{rules.STATUSES[v.status]} · drafted {day(v.drafted_on)}")
    editable = v.can_draft and v.status == "draft"
    if v.status != "draft":
        st.info(esc(rules.SIGNED_OFF.format(what=rules.KINDS[kind].lower())), icon=":material/verified:")
    field_error(errs, "draft")
    with st.form(f"{key}_edit"):
        texts = {}
        for n, sec in enumerate(v.sections, 1):
            if sec.get("derived"):  # written from the record each time it is shown: read, never sent back
                st.markdown(f"**{esc(sec['heading'])}**", help=rules.DERIVED_HELP)
                st.markdown("\n".join(f"- {esc(line[2:])}" if line.startswith("- ") else esc(line)
                                       for line in sec["text"].splitlines()))
                continue
            # The heading shows above its box. The box's own label, hidden, is what a screen reader
            # reads: the heading itself when escaping leaves it as it is, else fixed words (escaped
            # user text in a label is read out with its backslashes).
            st.markdown(f"**{esc(sec['heading'])}**", help=esc(sec["guidance"]) if sec.get("guidance") else None)
            plain = esc(sec["heading"]) == sec["heading"]
            texts[sec["key"]] = st.text_area(esc(sec["heading"]) if plain else f"Text of section {int(n)}",
                                             value=sec["text"], height=180,
                                             disabled=not editable, label_visibility="collapsed",
                                             key=f"{key}_{v.version}_{sec['key']}")
            field_error(errs, f"section_{sec['key']}")
        if st.form_submit_button("Save the draft", type="primary", disabled=not editable):
            submit(key, lambda: drafting.save_draft(me, rv.reference, kind, texts, v.version),
                   fields=[f"section_{s['key']}" for s in v.sections if not s.get("derived")], done="Draft saved.")
    _download(me, rv, kind, key)
    if editable:
        with st.expander("Re-fill from the record", icon=":material/restart_alt:"):
            with st.form(f"{key}_refill"):
                st.caption("Starts every section again from the record and the current headings.")
                sure = st.checkbox("I understand this replaces every edit made to the draft")
                field_error(errs, "confirm")
                if st.form_submit_button("Re-fill from the record"):
                    submit(key, lambda: drafting.refill_draft(me, rv.reference, kind, sure, v.version),
                           fields=("confirm",), done="Re-filled from the record.")
    _sign_offs(me, rv, kind, v, key, today)


def _download(me: Actor, rv: Review, kind: str, key: str) -> None:
    """The Word file is made (and the export audited) when asked for, not on every run."""
    held = f"{key}_file"
    if st.button("Prepare the Word file", key=f"{key}_prep", icon=":material/description:"):
        st.session_state[held] = submit(key, lambda: drafting.download_draft(me, rv.reference, kind), rerun=False)
    if held in st.session_state:
        name, data = st.session_state[held]
        st.download_button("Download the Word file", data=data, file_name=name, key=f"{key}_dl",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


def _sign_offs(me: Actor, rv: Review, kind: str, v: drafting.DraftView, key: str, today: date) -> None:
    st.markdown("**The safeguarding partners' sign-off**")
    for partner in rules.PARTNERS:
        s = v.sign_offs.get(partner)
        st.markdown(f"- {rules.PARTNERS[partner]}: " + (f"signed by {esc(s['signed_by'])} on {day(s['signed_on'])}"
                                      if s else "not yet signed"))
    waiting = {p: label for p, label in rules.PARTNERS.items() if p not in v.sign_offs}
    if v.can_draft and v.status == "draft" and waiting:
        errs = refusals(f"{key}_s")
        with st.form(f"{key}_sign"):
            c1, c2, c3 = st.columns([1, 2, 1])
            partner = c1.selectbox("Partner", list(waiting), format_func=waiting.get, index=None)
            field_error(errs, "partner")
            who = c2.text_input("Signed by (name and role)")
            field_error(errs, "signed_by")
            on = c3.date_input("Signed on", value=None, max_value=today, format="DD/MM/YYYY")
            field_error(errs, "signed_on")
            if st.form_submit_button("Record the sign-off"):
                submit(f"{key}_s", lambda: drafting.record_sign_off(me, rv.reference, kind, partner, who, on,
                                                                     v.version, today),
                       fields=("partner", "signed_by", "signed_on"), done="Sign-off recorded.")
    if kind != "rapid_review" or v.status == "draft":
        return
    if v.sent_on:
        st.success(f"Sent to the National Panel on {day(v.sent_on)}.", icon=":material/send:")
    if v.can_draft:
        errs = refusals(f"{key}_sent")
        with st.form(f"{key}_sent"):
            sent = st.date_input("Date the report was sent", value=v.sent_on, max_value=today,
                                 format="DD/MM/YYYY")
            field_error(errs, "sent_on")
            if st.form_submit_button("Record the date sent to the National Panel", type="primary"):
                submit(f"{key}_sent", lambda: drafting.record_sent(me, rv.reference, sent, v.version, today),
                       fields=("sent_on",), done="Recorded: sent to the National Panel.")


# --- the administrator's headings ---------------------------------------------------------------

HEADING_COLUMNS = {
    "order": st.column_config.NumberColumn("Order", min_value=1, step=1, help="Change the numbers to reorder"),
    "key": st.column_config.TextColumn("Key", help="Stays when the heading is renamed; new rows get one"),
    "heading": st.column_config.TextColumn("Heading", required=True, max_chars=rules.HEADING_MAX),
    "guidance": st.column_config.TextColumn("Guidance for the panel", max_chars=rules.GUIDANCE_MAX),
}


def headings_section(me: Actor, partnership_id: int) -> None:
    """The partnership's headings for the documents Panel drafts, in order (docs/domain.md §11)."""
    st.header("Headings of the documents Panel drafts", anchor=False)
    st.caption("The National Panel's template headings vary by version and locality, so each partnership "
               "sets its own. Reorder by changing the numbers; a renamed heading keeps its key. Drafts already "
               "made keep their sections.")
    kind = st.radio("Document", list(rules.KINDS), format_func=rules.KINDS.get, horizontal=True, key="hd_kind")
    t = drafting.template(me, partnership_id, kind)
    if t.version == 0:
        st.caption("Panel's defaults: not changed yet.")
    key = "hd"
    errs = refusals(key)
    with st.form(f"hd_{partnership_id}_{kind}_{t.version}"):
        frame = pd.DataFrame(t.headings, columns=["key", "heading", "guidance"])
        frame.insert(0, "order", range(1, len(frame) + 1))
        edited = st.data_editor(frame, num_rows="dynamic",
                                hide_index=True, width="stretch", column_config=HEADING_COLUMNS,
                                key=f"hd_editor_{partnership_id}_{kind}_{t.version}")
        field_error(errs, "headings")
        for field, msg in errs.items():  # each row's problem beneath the table, named by its row
            if field.startswith("headings["):
                st.error(f"Heading {int(field[9:field.index(']')]) + 1} in order: {esc(msg)}", icon=":material/error:")
        if st.form_submit_button("Save headings", type="primary"):
            ordered = edited.assign(_at=range(len(edited))).sort_values(["order", "_at"], na_position="last")
            rows = [{k: ("" if pd.isna(row[k]) else str(row[k])) for k in ("key", "heading", "guidance")}
                    for row in ordered.to_dict("records")]
            fields = {"headings", *(f"headings[{i}].{f}" for i in range(len(rows)) for f in ("key", "heading", "guidance"))}
            submit(key, lambda: drafting.save_template(me, partnership_id, kind, rows, t.version), fields=fields,
                   done="Headings saved.")
