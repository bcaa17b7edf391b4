"""Timeliness dashboard: the statutory clocks a business manager answers for (docs/domain.md §4, §6).

Every number comes from `panel.reports.service.timeliness`, the same call behind
`panel report timeliness --json`, so the page and the returns never disagree.
"""

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from panel.accounts import service as accounts
from panel.reports import service as reports
from panel.reports import timeliness
from panel.ui import cached
from panel.ui.common import actor, day, empty_state, esc, header, today

LATE_LINKS = 100  # links listed per expander; the Excel export has every row
BODY_LABELS = {"national_panel": "National Panel", "ofsted": "Ofsted",
               "safeguarding_partners": "Safeguarding partners",
               "secretary_of_state": "Secretary of State"}
SHORT = {"notifications": "Notifications", "rapid_reviews": "Rapid reviews", "lcsprs": "LCSPRs"}
CLOCKS = {"notifications": "within 5 working days", "rapid_reviews": "within 15 working days",
          "lcsprs": "within 6 months"}

me = actor()
header("Timeliness", ":material/timer:",
       "Statutory timeliness: notifications within 5 working days of the authority becoming aware, "
       "rapid reviews to the National Panel within 15 working days of the notification, LCSPRs "
       "published within 6 months of the decision, and milestones overdue now.")

parts = accounts.partnerships(me, "report.timeliness")
c1, c3, c2 = st.columns([1, 1, 2])
as_of = c1.date_input("As of", value=today(), format="DD/MM/YYYY",
                      help="Every clock is judged as it stood at the end of this date: anything "
                           "dated later (a notification, a milestone, a decision, a closure) "
                           "has not happened yet.")
chosen = None
if len(parts) > 1:
    names = {p.id: f"{p.name} ({p.code})" for p in parts}
    chosen = c2.multiselect("Partnership", list(names), format_func=names.get,
                            placeholder="All your partnerships")
report = cached.timeliness(me, as_of, chosen or None)
# The trend (by_year) has every year whatever the period, so the default report lists them.
years = sorted({g["key"] for k in timeliness.FIGURES for g in report[k]["by_year"]}, reverse=True)
periods = {timeliness.LAST_12_MONTHS: "Last 12 months", timeliness.ALL_TIME: "All time",
           **{str(y): str(y) for y in years}}
period = c3.selectbox("Period", list(periods), format_func=periods.get,
                      help="The period the headline figures, breakdowns and lists cover, by due "
                           "date. The trend by year always shows every year.")
if period != timeliness.DEFAULT_PERIOD:
    report = cached.timeliness(me, as_of, chosen or None, period)
types = report["review_types"]


def type_name(key) -> str:
    return "No decision yet" if key is None else types.get(key, key)


def _day(iso: str | None) -> str:
    return day(date.fromisoformat(iso)) if iso else "-"


if timeliness.is_empty(report):
    empty_state("There is nothing to report yet: no notifications, rapid reviews, LCSPRs or "
                "review milestones in these partnerships up to this date.",
                "Figures appear here as referrals are notified and reviews progress.")
    st.stop()

# -- the three statutory figures and the overdue milestones ----------------------------------
held_total = int(report["lcsprs"]["withheld"])
st.header(esc(f"Headline: {report['period']['label']}"), anchor=False)
st.caption(esc(f"Clocks due {'from ' + _day(report['period']['from']) + ' ' if report['period']['from'] else ''}"
               f"to {_day(report['period']['to'])}, judged as at {_day(report['as_of'])}"
               + (f"; {held_total} LCSPR publication{'s' if held_total != 1 else ''} delayed or "
                  "withheld with a reason, not counted as late" if held_total else "") + "."))
tiles = st.columns(4)
for col, key in zip(tiles, timeliness.FIGURES, strict=False):
    fig = report[key]
    pct = "-" if fig["percent_on_time"] is None else f"{fig['percent_on_time']:.1f}%"
    col.metric(f"{SHORT[key]} on time", esc(pct), help=esc(fig["rule"]), border=True)
    held = int(fig.get("withheld", 0))
    col.caption(esc(f"{CLOCKS[key]}: {int(fig['on_time'])} of {int(fig['total'])} on time · "
                    f"{int(fig['late'])} late · {int(fig['not_yet_due'])} not yet due"
                    + (f" · {held} publication{'s' if held != 1 else ''} delayed or withheld, "
                       "not counted as late" if held else "")))
od = report["overdue_milestones"]
tiles[3].metric("Overdue milestones now", int(od["total"]), help=esc(od["rule"]), border=True)
tiles[3].caption(f"{int(od['statutory'])} statutory · in {int(od['reviews'])} reviews")

# -- trend by year -------------------------------------------------------------------------------
st.header("Trend by year", anchor=False)
trend = pd.DataFrame(timeliness.trend(report), columns=["figure", "year", "percent_on_time",
                                                       "on_time", "total"])
trend["figure"] = trend["figure"].map(SHORT)
if trend.empty:
    st.caption("No clock has come due yet, so there is no trend to show.")
else:
    chart = (
        alt.Chart(trend)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title="Year (of the due date)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("percent_on_time:Q", title="% on time", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("figure:N", title=None, legend=alt.Legend(orient="bottom")),
            strokeDash=alt.StrokeDash("figure:N", legend=None),
            tooltip=["figure", "year", "percent_on_time", "on_time", "total"],
        )
        .properties(height=280)
    )
    left, right = st.columns([3, 2])
    left.altair_chart(chart, width="stretch")
    table = (trend.pivot_table(index="year", columns="figure", values="percent_on_time")
             .reindex(columns=[SHORT[k] for k in timeliness.FIGURES]).reset_index())
    table["year"] = table["year"].astype(str)
    right.dataframe(table, hide_index=True, width="stretch",
                    column_config={"year": "Year", **{SHORT[k]: st.column_config.NumberColumn(
                        f"{SHORT[k]} %", format="%.1f") for k in timeliness.FIGURES}})
    summary = []
    for key in timeliness.FIGURES:
        years = [g for g in report[key]["by_year"] if g["total"]]
        if years:
            first, last = years[0], years[-1]
            summary.append(f"{SHORT[key]} {CLOCKS[key]}: {first['percent_on_time']:.1f}% on time in "
                           f"{first['key']}, {last['percent_on_time']:.1f}% in {last['key']}")
    st.caption("Chart: percentage on time per year, as in the table beside it (None: nothing came "
               "due that year). " + esc("; ".join(summary)) + ".")

# -- breakdowns ----------------------------------------------------------------------------------
st.header("Breakdowns", anchor=False)
COLUMNS = {"figure": "Figure", "on_time": "On time", "total": "Counted",
           "percent_on_time": st.column_config.NumberColumn("% on time", format="%.1f"),
           "late": "Late", "not_yet_due": "Not yet due"}


def breakdown(dim: str, label: str, fmt) -> pd.DataFrame:
    rows = [{"figure": SHORT[k], label: fmt(g["key"]), **{c: g[c] for c in
             ("on_time", "total", "percent_on_time", "late", "not_yet_due")}}
            for k in timeliness.FIGURES for g in report[k][dim]]
    return pd.DataFrame(rows, columns=["figure", label, "on_time", "total", "percent_on_time",
                                       "late", "not_yet_due"])


part_names = {p["code"]: p["name"] for p in report["partnerships"]}
tabs = st.tabs(["By review type", "By partnership", "By year", "Notifications by body"])
with tabs[0]:
    st.dataframe(breakdown("by_review_type", "Review type", type_name), hide_index=True,
                 width="stretch", column_config=COLUMNS)
    st.caption("A notification counts under the outcome of its referral's signed decision.")
with tabs[1]:
    st.dataframe(breakdown("by_partnership", "Partnership", lambda c: part_names.get(c, c)),
                 hide_index=True, width="stretch", column_config=COLUMNS)
with tabs[2]:
    st.dataframe(breakdown("by_year", "Year", str), hide_index=True, width="stretch",
                 column_config=COLUMNS)
    st.caption("Year of the due date.")
with tabs[3]:
    rows = [{"Body": BODY_LABELS.get(g["key"], g["key"]), **{c: g[c] for c in
             ("on_time", "total", "percent_on_time", "late", "not_yet_due")}}
            for g in report["notifications"]["by_body"]]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config=COLUMNS)

# -- the late items, each opening its record; a list that holds anything is open ---------------------
st.header("Late and overdue", anchor=False)


def open_if_any(name: str, items) -> dict:
    """An expander's arguments: open when its list holds anything. The key changes with that, so a
    list that fills when the period changes opens then too (an expander keeps its first state)."""
    return {"expanded": bool(items), "key": f"tl_{name}_{'open' if items else 'empty'}"}


def _late_by(item: dict) -> str:
    n = item["working_days_late"]
    return f"{n} working day{'s' if n != 1 else ''} late"


def links(items: list[dict], page: str, ref_key: str, label) -> None:
    """Each late item opens its record; "None." when there are none, so an empty list is plain."""
    if not items:
        st.caption("None.")
    for item in items[:LATE_LINKS]:
        st.page_link(page, label=esc(label(item)), query_params={"ref": item[ref_key]},
                     icon=":material/open_in_new:")
    if len(items) > LATE_LINKS:
        st.caption(f"And {len(items) - LATE_LINKS} more: the Excel export lists every one.")


late = report["notifications"]["late_items"]
with st.expander(f"Late notifications ({len(late)})", icon=":material/notification_important:", **open_if_any("late_notifications", late)):
    links(late, "pages/referral.py", "referral", lambda i: (
        f"{i['referral']} · {BODY_LABELS.get(i['body'], i['body'])} · due {_day(i['due_on'])} · "
        + (f"recorded as due {_day(i['recorded_due_on'])} · " if i.get("recorded_due_on") else "")
        + (f"sent {_day(i['sent_on'])}, " if i["sent"] else "not sent, ") + _late_by(i)))

late = report["rapid_reviews"]["late_items"]
with st.expander(f"Late rapid reviews ({len(late)})", icon=":material/timer_off:", **open_if_any("late_rapid_reviews", late)):
    links(late, "pages/review.py", "review", lambda i: (
        f"{i['review']} · due {_day(i['due_on'])} · "
        + (f"sent {_day(i['sent_on'])}, " if i["sent"] else "not sent, ") + _late_by(i)))

late = report["lcsprs"]["late_items"]
with st.expander(f"Late LCSPRs ({len(late)})", icon=":material/menu_book:", **open_if_any("late_lcsprs", late)):
    links(late, "pages/review.py", "review", lambda i: (
        f"{i['review']} · decided {_day(i['decided_on'])} · due {_day(i['due_on'])} · "
        + (f"published {_day(i['published_on'])}, " if i["published"] else "not published, ")
        + _late_by(i)))

held = report["lcsprs"]["withheld_items"]
with st.expander(f"LCSPR publications delayed or withheld ({len(held)})", icon=":material/pause_circle:",
                 **open_if_any("held_lcsprs", held)):
    st.caption("Delayed or withheld with a recorded reason (WT2018 ch.4 allows both): not counted as late.")
    links(held, "pages/review.py", "review", lambda i: (
        f"{i['review']} · {i['publication_status']} · due {_day(i['due_on'])} · "
        + (f"published {_day(i['published_on'])}" if i["published"]
           else f"expected {_day(i['expected_on'])}" if i["expected_on"] else "no expected date")
        + f" · {i['reason']}"))

with st.expander(f"Overdue milestones now ({int(od['total'])})", icon=":material/event_busy:",
                 **open_if_any("overdue_milestones", od["items"])):
    links(od["items"], "pages/review.py", "review", lambda i: (
        f"{i['review']} · {i['name']}" + (" (statutory)" if i["statutory"] else "")
        + f" · planned {_day(i['planned_on'])} · {i['working_days_overdue']} working days overdue"))

# -- stage durations -------------------------------------------------------------------------------
st.header("Median working days per stage", anchor=False)
stages = pd.DataFrame(reports.stage_rows(report))
if stages.empty:
    st.caption("No stage has both of its milestones done yet.")
else:
    st.dataframe(stages.drop(columns=["from_milestone", "to_milestone"]), hide_index=True,
                 width="stretch", column_config={
                     "review_type": "Review type", "stage": "Stage (ends with)",
                     "reviews": "Reviews",
                     "median_working_days": st.column_config.NumberColumn("Median working days", format="%.1f"),
                     "min_working_days": "Fewest", "max_working_days": "Most"})
    st.caption(esc(report["stage_durations"]["rule"]))

st.caption("The export has every figure, breakdown and late item; exports are logged.")
st.download_button("Export Excel", data=lambda: reports.timeliness_xlsx(me, as_of, chosen or None, period),
                   file_name=f"timeliness-{as_of.isoformat()}.xlsx", icon=":material/download:",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
