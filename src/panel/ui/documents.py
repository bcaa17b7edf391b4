"""The "Documents" section of the review and referral pages, and the shared documents page
(docs/domain.md §11). Rendering only: who may see, add or change what, the file checks, the
store and the audit are panel.documents'.

A file is read from the store only when the user asks for it ("Prepare download"), so listing a
review's documents never reads every file (and never audits a download nobody made).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from panel.agencies import service as agency_service
from panel.core.access import Actor
from panel.core.clock import moment
from panel.core.config import get_settings
from panel.documents import checks
from panel.documents import service as documents
from panel.documents.rules import ACCEPTED_LABEL, DOCUMENT_KINDS, VISIBILITY, size_label
from panel.ui.common import DATE_FORMAT, child_text, empty_state, esc, field_error
from panel.ui.final_report_sign_off import final_report_sign_offs
from panel.ui.forms import refusals, submit
from panel.ui.reflow import table_or_list

FIRST_FOR_REVIEW = ("Start with what the review works from: each agency's chronology and report "
                    "(uploading one for an agency that was asked marks its request received), and the "
                    "terms of reference.")
FIRST_FOR_REFERRAL = ("Start with what came with the referral: the notification form, an agency's "
                      "first account, or an extract of the minutes that discussed it.")
VISIBILITY_SHORT = {"panel": "Panel only", "lead_reviewer": "Panel and lead reviewer", "partners": "Every partner user"}
UPLOAD_FIELDS = ("file", "kind", "title", "agency_id", "visibility")
HIT_KINDS = {"initials": "Initials", "date_of_birth": "Date of birth", "name": "Name",
             "unreadable": "Could not be read"}


BY_CONTENT = "Panel judges a file by what it is, not by its name: a program is refused whatever it is called."


def _item(r: documents.DocumentRow, with_review: bool) -> str:
    """One document as a line of the list a phone shows in place of the table (panel.ui.reflow)."""
    kind = DOCUMENT_KINDS.get(r.kind, r.kind)
    head = (f"{esc(r.review)}: " if with_review and r.review else "") + f"**{esc(r.title)}** · {kind}" \
        + (f" from {esc(r.agency)}" if r.agency else "")
    return (f"- {head}  \n  Version {int(r.version_no)} · uploaded {moment(r.uploaded_at)} (UTC)"
            + (f" by {esc(r.uploaded_by)}" if r.uploaded_by else "")
            + f" · {size_label(r.size)} · {VISIBILITY_SHORT.get(r.visibility, r.visibility)}")


def _table(rows: list[documents.DocumentRow], with_review: bool = False, key: str = "docs") -> None:
    """The documents as a table on a wide screen, and as a list on a phone, where the table's eight
    columns would show two."""
    table_or_list(key, lambda: _grid(rows, with_review), [_item(r, with_review) for r in rows])


# What a reader looks for first, then the rest, each column its width: together they fit the
# page's content beside the menu at 1280 px (about 820 px), so the last one is never cut off at
# the right. The upload's time and the file's size are in the list a phone shows and beside the
# download; the table gives the day.
GRID_COLUMNS = {
    "review": st.column_config.TextColumn("Review", width=110),
    "title": st.column_config.TextColumn("Title", width=175),
    "kind": st.column_config.TextColumn("Kind", width=105),
    "version": st.column_config.NumberColumn("Version", width=60),
    "who": st.column_config.TextColumn("Who may see it", width=150),
    "agency": st.column_config.TextColumn("Agency", width=115),
    "uploaded": st.column_config.DateColumn("Uploaded", format=DATE_FORMAT, width=105),
    "uploaded_by": st.column_config.TextColumn("Uploaded by", width=100),
}


def grid_columns(rows: list[documents.DocumentRow], with_review: bool) -> list[str]:
    """The table's columns in order: the review's only on the shared page, and who uploaded a
    document only when some row says."""
    return [c for c in GRID_COLUMNS if (c != "review" or with_review)
            and (c != "uploaded_by" or any(r.uploaded_by for r in rows))]


def _grid(rows: list[documents.DocumentRow], with_review: bool) -> None:
    st.dataframe([{
        "review": r.review or "", "title": r.title, "kind": DOCUMENT_KINDS.get(r.kind, r.kind),
        "version": r.version_no, "who": VISIBILITY_SHORT.get(r.visibility, r.visibility), "agency": r.agency or "",
        "uploaded": r.uploaded_at.date(), "uploaded_by": r.uploaded_by or "",
    } for r in rows], hide_index=True, width="stretch", column_order=grid_columns(rows, with_review),
        column_config=GRID_COLUMNS)


def _label(r: documents.DocumentRow) -> str:
    return f"{DOCUMENT_KINDS.get(r.kind, r.kind)}: {r.title} (version {r.version_no})"


def download_picker(me: Actor, rows: list[documents.DocumentRow], key: str) -> None:
    """Choose a document (and, once replaced, which version: earlier ones are kept), prepare it
    (read from the store, hash checked, audited), then download it."""
    names = {r.id: _label(r) for r in rows}
    errs = refusals(f"{key}_dl")
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    pick = c1.selectbox("Document to open", list(names), format_func=names.get, key=f"{key}_pick")
    field_error(errs, "document")
    latest = next(r.version_no for r in rows if r.id == pick)
    version = c2.selectbox("Version", list(range(latest, 0, -1)), key=f"{key}_version_{pick}") \
        if latest > 1 else latest
    ready = st.session_state.get(f"{key}_ready")
    if c3.button("Prepare download", key=f"{key}_prepare"):
        got = submit(f"{key}_dl", lambda: documents.download(me, pick, version), rerun=False)
        ready = st.session_state[f"{key}_ready"] = (pick, version, got)
    if ready and ready[:2] == (pick, version):
        got = ready[2]
        # The file's name goes above the button, not in its label: escaped there, it is read out with backslashes.
        st.caption(f"{esc(got.filename)}, version {int(got.version_no)} ({esc(size_label(len(got.data)))})")
        st.download_button(f"Download version {int(got.version_no)}", data=got.data,
                           file_name=got.filename, mime=got.content_type, key=f"{key}_download",
                           icon=":material/download:")


def _fresh(key: str) -> str:
    """The form's key for this round: a form keeps what was typed when refused (the messages
    beside it), and starts empty after a success (so a file is not sent twice)."""
    return f"{key}_{st.session_state.get(f'{key}_round', 0)}"


def _next_round(key: str) -> None:
    st.session_state[f"{key}_round"] = st.session_state.get(f"{key}_round", 0) + 1
    st.rerun()


def _upload_form(me: Actor, target: documents.Target, key: str, today: date) -> None:
    errs = refusals(key)
    agencies = agency_service.names(me, include_retired=False)
    with st.form(_fresh(key)):
        st.markdown("**Add a document**")
        file = st.file_uploader("The file (a document or an image)", help=f"Accepted: {ACCEPTED_LABEL}, up to {int(get_settings().max_document_mb)} MB. {BY_CONTENT}")
        field_error(errs, "file")
        c1, c2 = st.columns(2)
        kind = c1.selectbox("Kind", list(DOCUMENT_KINDS), format_func=DOCUMENT_KINDS.get, index=None,
                            placeholder="Choose the kind")
        field_error(errs, "kind")
        agency = c2.selectbox("From agency (optional)", list(agencies), format_func=agencies.get, index=None)
        field_error(errs, "agency_id")
        title = st.text_input("Title", max_chars=200, placeholder="e.g. Police chronology")
        field_error(errs, "title")
        visibility = st.radio("Who may see it", list(VISIBILITY), format_func=VISIBILITY.get, index=0)
        field_error(errs, "visibility")
        if st.form_submit_button("Upload", type="primary"):
            submit(key, lambda: documents.upload(
                me, target, kind=kind, title=title, agency_id=agency, visibility=visibility,
                filename=file.name if file else "", data=file.getvalue() if file else b"", today=today),
                fields=UPLOAD_FIELDS, done="Uploaded.", rerun=False)
            _next_round(key)


def _replace_form(me: Actor, rows: list[documents.DocumentRow], key: str, today: date) -> None:
    names = {r.id: _label(r) for r in rows}
    errs = refusals(key)
    with st.form(_fresh(key)):
        st.markdown("**Replace a document with a new version** (earlier versions are kept)")
        pick = st.selectbox("Document", list(names), format_func=names.get)
        file = st.file_uploader("The new version", help=f"Accepted: {ACCEPTED_LABEL}, up to {int(get_settings().max_document_mb)} MB. {BY_CONTENT}")
        field_error(errs, "file")
        note = st.text_input("What changed (optional)", max_chars=500)
        if st.form_submit_button("Upload the new version"):
            current = next(r.version for r in rows if r.id == pick)
            submit(key, lambda: documents.replace(me, pick, filename=file.name if file else "",
                                                  data=file.getvalue() if file else b"", expected_version=current,
                                                  today=today, note=note),
                   fields=("file",), done="New version uploaded.", rerun=False)
            _next_round(key)


def _visibility_form(me: Actor, rows: list[documents.DocumentRow], key: str) -> None:
    names = {r.id: _label(r) for r in rows}
    errs = refusals(key)
    with st.form(key):
        st.markdown("**Change who may see a document**")
        pick = st.selectbox("Document", list(names), format_func=names.get)
        visibility = st.radio("Who may see it", list(VISIBILITY), format_func=VISIBILITY.get)
        field_error(errs, "visibility")
        if st.form_submit_button("Save who may see it"):
            current = next(r.version for r in rows if r.id == pick)
            submit(key, lambda: documents.set_visibility(me, pick, visibility, current),
                   fields=("visibility",), done="Saved.")


def _final_report_check(me: Actor, reference: str, partnership_id: int, key: str) -> None:
    hits = checks.final_report_check(me, reference)
    if not hits:
        return
    still = [h for h in hits if h.status == "open"]
    st.markdown("**The final report's anonymisation check**")
    st.caption("Before publication (docs/domain.md §11): each detail of the case the check found must be gone "
               "from a newer version, or accepted with a reason. Publication is not recorded until then.")
    st.dataframe([{"report": f"{h.title} (version {h.version_no})", "where": h.location,
                   "what": HIT_KINDS.get(h.identifier, h.identifier), "excerpt": child_text(h.excerpt),
                   "status": "Accepted" if h.status == "accepted" else "Open", "reason": h.reason or ""}
                  for h in hits], hide_index=True, width="stretch", column_config={
        "report": "Report", "where": "Where", "what": "What", "excerpt": "Excerpt", "status": "Status",
        "reason": "Reason accepted"})
    if not still:
        st.success("Every finding is accepted: the check does not stop publication.", icon=":material/task_alt:")
        return
    st.warning(f"{len(still)} finding{'s' if len(still) != 1 else ''} still open.", icon=":material/warning:")
    if not me.can("document.manage", partnership_id):
        return
    errs = refusals(key)
    # The excerpt holds the detail found (the child's initials, say): hidden on a shared screen.
    names = {h.id: f"{h.location}: {HIT_KINDS.get(h.identifier, h.identifier)} · {child_text(h.excerpt[:60])}"
             for h in still}
    with st.form(key, clear_on_submit=True):
        pick = st.selectbox("Finding", list(names), format_func=names.get)
        reason = st.text_area("Why it may stay", max_chars=2000,
                              placeholder="e.g. the agency's initials, not the child's")
        field_error(errs, "reason")
        if st.form_submit_button("Accept with this reason"):
            submit(key, lambda: checks.accept_hit(me, reference, pick, reason), fields=("reason",), done="Accepted.")


def documents_section(me: Actor, partnership_id: int, today: date, *, review: str | None = None,
                      referral: str | None = None) -> None:
    """The Documents section of a review's (or a referral's) page."""
    target = documents.Target(review=review, referral=referral)
    key = f"docs_{review or referral}"
    st.markdown("### Documents")
    rows = documents.listing(me, target)
    can_upload = me.can("document.upload", partnership_id)
    if rows:
        _table(rows, key=key)
        download_picker(me, rows, key)
    else:
        empty_state("No documents yet.", FIRST_FOR_REVIEW if review else FIRST_FOR_REFERRAL)
    if review:
        _final_report_check(me, review, partnership_id, f"{key}_hits")
        final_report_sign_offs(me, review, partnership_id, f"{key}_signoffs", today)
    if not can_upload:
        return
    with st.expander("Add or replace a document", icon=":material/upload_file:"):
        _upload_form(me, target, f"{key}_up", today)
        if rows:
            _replace_form(me, rows, f"{key}_replace", today)
            if me.can("document.manage", partnership_id):
                _visibility_form(me, rows, f"{key}_who")


def shared_documents(me: Actor) -> None:
    """The documents shared with every partner user (and a lead reviewer's own review's)."""
    rows = documents.shared(me)
    if not rows:
        empty_state("No documents are shared with you yet.",
                    "A review's published final report and other documents the panel shares with every "
                    "partner user appear here.")
        return
    _table(rows, with_review=True, key="shared_docs")
    download_picker(me, rows, "shared_docs")
