"""Import a tracker: a partnership moving here from a spreadsheet (administrators only).

Download the template, fill it (or export from the old tracker into it), upload, check every
row, then import. Nothing is written unless every row passes.
"""

import hashlib

import pandas as pd
import streamlit as st

from panel import tracker_io
from panel.tracker_io import service as imports
from panel.ui.common import actor, empty_state, esc, header, today
from panel.ui.forms import refusals, submit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MB = tracker_io.MAX_BYTES // 1024 // 1024
GUIDANCE = f"""
The template is an Excel workbook with eight sheets: `referrals`, `notifications`, `reviews`,
`milestones`, `learning_sources` (audits, inspections, child death review learning and the
other learning beside reviews) and the learning of reviews and sources, `findings`,
`recommendations` and `actions`, one example row each (fictional: delete it), and a `guide`
sheet listing every column, the allowed values, your agencies and each partnership's review types
and milestone keys.

- Every row is checked before anything is saved: one problem anywhere and nothing is imported.
  The report names the sheet, the row (as Excel numbers it), the column and the reason.
- Rows are matched by reference (learning sources by kind and reference, or title; findings and
  recommendations by review or source and text, actions by recommendation, text and owner). A row already here with the same values is *unchanged*, so
  importing the same file again changes nothing; different values are a problem to resolve,
  never an overwrite.
- Formulas are never worked out: a cell starting with `=` is read as text.
- Up to {MB} MB and {tracker_io.MAX_ROWS:,} rows per file: split a larger tracker by
  partnership or year.
"""

me = actor()
header("Import a tracker", ":material/upload_file:",
       "Move referrals, notifications, reviews, milestones and their learning from a spreadsheet "
       "tracker into Panel.")
if not imports.can_import(me):
    empty_state("Only an administrator can import a tracker.",
                "Ask your system administrator to import your partnership's spreadsheet.")
    st.stop()

st.header("1. Download the template", anchor=False)
st.markdown(GUIDANCE)
st.download_button("Download the template (.xlsx)", data=lambda: imports.template(me),
                   file_name="panel-tracker-template.xlsx", mime=XLSX, icon=":material/download:")
st.caption("The full format is in docs/import-format.md.")

st.header("2. Check your file", anchor=False)
uploaded = st.file_uploader(f"Tracker workbook (.xlsx, up to {MB} MB)", type=["xlsx"],
                            max_upload_size=MB, key="import_file")


def show(report: tracker_io.ImportReport) -> None:
    if report.ok:
        st.success(esc(report.summary()), icon=":material/check_circle:")
        if lines := report.count_lines():
            st.markdown("\n".join(f"- {esc(line)}" for line in lines))
    else:
        st.error(esc(report.summary()), icon=":material/error:")
        frame = pd.DataFrame([p.as_dict() for p in report.problems],
                             columns=["sheet", "row", "column", "problem"])
        st.dataframe(frame, hide_index=True, width="stretch",
                     column_config={"row": st.column_config.NumberColumn("row", format="%d")})
    for w in report.warnings:
        st.warning(esc(w.line()), icon=":material/info:")


def run_import(data: bytes, name: str, create_agencies: bool) -> None:
    with st.spinner("Importing in one transaction…"):
        result = imports.import_tracker(me, data, name, today(), create_agencies=create_agencies)
    st.session_state.pop("import_check", None)
    if result.imported:
        st.success(f"{esc(result.summary())} {int(result.decisions)} signed decisions were recorded for the "
                   "imported reviews and outcomes. The import is in the audit log.",
                   icon=":material/check_circle:")
        st.markdown("\n".join(f"- {esc(line)}" for line in result.count_lines()))
    elif result.ok:
        st.info("Nothing was imported: every row is already here.", icon=":material/info:")
    else:
        st.error("The data changed since the check: nothing was imported. The problems now:")
        show(result)


def check(data: bytes, name: str, digest: str, create_agencies: bool) -> None:
    # A check the service refuses leaves no report behind: the import stays disabled, and a
    # refused re-check is not run again on the next run.
    st.session_state.pop("import_check", None)
    with st.status("Checking every row…", expanded=False) as status:
        checked = submit("import", lambda: imports.check_file(me, data, name, today(), create_agencies=create_agencies),
                         rerun=False)
        status.update(label=f"Checked {checked.rows:,} rows", state="complete" if checked.ok else "error")
    st.session_state["import_check"] = (digest, create_agencies, checked)


def check_and_import(uploaded) -> None:
    data = uploaded.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    create = bool(st.session_state.get("import_create_agencies"))
    if st.session_state.get("import_go"):  # the Import button was pressed on the last run
        run_import(data, uploaded.name, create)
        return
    stored = st.session_state.get("import_check")
    refusals("import")  # why the file could not be checked
    if st.button("Check file", icon=":material/rule:"):
        check(data, uploaded.name, digest, create)
    elif stored and stored[0] == digest and stored[1] != create:  # the agencies box changed
        check(data, uploaded.name, digest, create)

    stored = st.session_state.get("import_check")
    report = stored[2] if stored and stored[0] == digest else None
    if report is None:
        st.caption("Press Check file: the import is enabled once every row passes.")
    else:
        if report.new_agencies:
            st.warning(f"{len(report.new_agencies)} agencies in this file are not in Panel yet: "
                       + esc("; ".join(report.new_agencies)) + ". Create them with the import (kind "
                       "*other*: set each one's kind on the Agencies page afterwards), or add them there "
                       "first and check again.", icon=":material/domain_add:")
            st.checkbox("Create these agencies with the import", key="import_create_agencies")
        show(report)

    st.header("3. Import", anchor=False)
    ready = bool(report and report.ok and (report.new or report.decisions))
    if report and report.ok and not ready:
        st.caption("Nothing new to import: every row is already here.")
    st.button("Import", type="primary", icon=":material/upload_file:", disabled=not ready, key="import_go")


if uploaded is None:
    st.info("Choose the workbook to check. Nothing is saved until you press Import.",
            icon=":material/info:")
else:
    check_and_import(uploaded)

st.divider()
st.header("Export in the same format", anchor=False)
st.caption("Every referral, notification, review and milestone of your partnerships, as a workbook "
           "this page can import. Exports are a disclosure and are logged.")
if imports.export_scope(me):
    st.download_button("Export the tracker (.xlsx)", data=lambda: imports.export_tracker(me),
                       file_name="panel-tracker.xlsx", mime=XLSX, icon=":material/download:")
else:
    st.caption(imports.EXPORT_REFUSED)
