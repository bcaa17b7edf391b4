"""Row checks: the learning_sources sheet (docs/domain.md §7.1).

Each row is checked by `panel.learning.source_rules.check`, the function the source's page uses,
so an imported source is valid exactly when a typed one would be. A source is matched to one
already stored in its partnership by its kind and reference, or by its kind and title when it has
no reference: the same values are unchanged, different ones an error naming the columns.
"""

from __future__ import annotations

from panel.learning.source_rules import SourceForm, check, cleaned
from panel.tracker_io.checks import RowChecker
from panel.tracker_io.checks_learning import named_ids, refuse_retired
from panel.tracker_io.format import KEYS, SOURCE_SHEET

FIELDS = ("kind", "title", "reference", "topic", "inspectorate", "cases_sampled", "started_on", "completed_on")


def source_key(pid: int | None, kind: str | None, reference: str | None, title: str | None) -> tuple | None:
    """How a source is matched in its partnership: by kind and reference, else kind and title."""
    if pid is None or not kind or not (reference or title):
        return None
    return (pid, kind, "reference", reference.casefold()) if reference else (pid, kind, "title", title.casefold())


def source_name(values: dict) -> str:
    """How findings and recommendations name a source: its reference, or its title if it has none."""
    return values.get("reference") or values.get("title") or ""


def check_sources(ch: RowChecker) -> None:
    """Every row of the sheet; each source is kept by its name (casefolded) in `ch.file_sources`,
    with its row, for the findings and recommendations that name it."""
    ctx = ch.ctx
    sheet = ch.parsed.sheets.get(SOURCE_SHEET)
    seen: dict[tuple, int] = {}
    for n, raw in (sheet.rows if sheet else ()):
        row = ch.cells(SOURCE_SHEET, n, raw)
        c, e = row.clean, row.errors
        code = c["partnership_code"] = (c.get("partnership_code") or "").upper() or None
        pid = ctx.partnerships.get(code) if code else None
        if code and pid is None:
            e.setdefault("partnership_code", f"No partnership with code {code[:12]!r}.")
        elif pid is not None and not ctx.may_import(pid):
            e.setdefault("partnership_code", f"You cannot import into partnership {code}: you are not its administrator.")
            pid = None
        form = SourceForm(kind=c.get("kind"), title=c.get("title") or "", reference=c.get("reference") or "",
                          topic=c.get("topic") or "", inspectorate=c.get("inspectorate"),
                          cases_sampled=c.get("cases_sampled"), started_on=c.get("started_on"),
                          completed_on=c.get("completed_on"))
        for k, msg in check(form, ctx.today).items():
            e.setdefault(k if k in FIELDS else "kind", msg)
        c.update({k: v for k, v in cleaned(form).items() if k in FIELDS})
        c["agencies"] = named_ids(ctx.agencies, c.get("agencies") or (), e, "agencies", "agency")
        key = source_key(pid, c["kind"], c["reference"], c["title"])
        where = "reference" if c["reference"] else "title"
        if key in seen:
            e.setdefault(where, f"Duplicate: the same learning source is also on row {seen[key]}.")
        existing = ctx.sources.get(key) if key else None
        refuse_retired(ctx, c["agencies"], existing and existing["agencies"], e, "agencies")
        record = {**c, "_pid": pid, "_id": existing["_id"] if existing else None, "_row": row}
        if existing is not None:
            if not e:
                ch.compare(SOURCE_SHEET, row, existing)
                if (msg := e.pop(KEYS[SOURCE_SHEET][0], None)) is not None:
                    e[where] = msg  # beside the cell that matched it
        elif not e:
            ch.report.counts[SOURCE_SHEET]["new"] += 1
            ch.plan.sources.append(record)
        ch.finish_row(SOURCE_SHEET, row)
        name = source_name(c).casefold()
        if name and (key is None or key not in seen):  # a row with problems is named too: reported here
            if key is not None:
                seen[key] = n
            ch.file_sources.setdefault(name, []).append(record)
