"""Learning explorer: what reviews and other learning found, what was recommended, and whether
practice changed (docs/domain.md §7). Charts come from SQL aggregates; choosing a theme in any chart (or
in the theme list, the accessible alternative) filters the findings and recommendations below."""

import altair as alt
import pandas as pd
import streamlit as st

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.learning import service as learning
from panel.themes.rules import search_terms, theme_from_selection
from panel.ui import cached
from panel.ui.a11y import chart_table, crosstab
from panel.ui.briefing_library import published_briefings
from panel.ui.common import DATE_FORMAT, actor, day, empty_state, esc, header, today
from panel.ui.forms import load_or_stop
from panel.ui.reach import reach_table

TOP_THEMES = 12
PAGE_SIZE = 25
PICK = "theme_pick"  # the selection parameter in every chart
CHARTS = ("lx_chart_year", "lx_chart_type", "lx_chart_agency", "lx_chart_pairs")
THEME_KEY = "lx_theme"
KIND_NAMES = {"finding": "Finding", "recommendation": "Recommendation", "action": "Action"}
ALL = "All themes"

me = actor()
header("Learning explorer", ":material/insights:",
       "What reviews and other learning found, what was recommended, and whether practice changed. "
       "Choose a theme in a chart, or in the theme list, to see its findings and recommendations.")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def items_phrase(n: int) -> str:
    return "1 finding or recommendation" if n == 1 else f"{n} findings and recommendations"


def top(frame: pd.DataFrame, value: str, n: int = TOP_THEMES) -> list[str]:
    if frame.empty:
        return []
    return frame.groupby("theme")[value].sum().sort_values(ascending=False, kind="stable").head(n).index.tolist()


def picker():
    return alt.selection_point(name=PICK, fields=["theme"], on="click", clear="dblclick")


def show(chart, key: str) -> None:
    st.altair_chart(chart, width="stretch", key=key, on_select="rerun", selection_mode=PICK)


def heatmap(frame: pd.DataFrame, x: str, x_title: str, value: str, value_title: str, themes: list[str]):
    sel = picker()
    few = frame[x].nunique() <= 4
    base = alt.Chart(frame, height=alt.Step(26)).encode(
        x=alt.X(f"{x}:N", title=x_title, axis=alt.Axis(labelAngle=0 if few else -35, labelLimit=220 if few else 180,
                                                       labelOverlap=False)),
        y=alt.Y("theme:N", title=None, sort=themes, axis=alt.Axis(labelLimit=260)))
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color(f"{value}:Q", title=value_title, scale=alt.Scale(scheme="blues")),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.35)),
        tooltip=["theme", x, alt.Tooltip(f"{value}:Q", title=value_title)]).add_params(sel)
    labels = base.mark_text(fontSize=11).encode(
        text=f"{value}:Q",
        color=alt.condition(f"datum.{value} > {max(1, frame[value].max()) / 2}", alt.value("white"), alt.value("#1b2a41")))
    return rect + labels


# Shared learning across partnerships, anonymised: regional users only. A regional account with
# no role in a partnership has nothing else here, so it sees the shared learning without a toggle.
parts = accounts.partnerships(me, "learning.read")
if me.is_regional and (not parts or st.toggle(
        "Shared learning (all partnerships, anonymised)", key="lx_shared",
        help="Themes, findings and recommendations of every partnership: partnership, "
             "year, review type, themes and text only. Never case or child details.")):
    st.caption("Anonymised: partnership, year, review type, themes and text. No references, referral or child "
               "details are shown.")
    c1, c2, c3 = st.columns([2, 2, 3])
    level = c1.segmented_control("Count by", ["theme", "national"], default="theme", key="lx_r_level",
                                 format_func={"theme": "Theme", "national": "National theme"}.get) or "theme"
    counts = learning.regional_theme_counts(me, level=level)
    if counts.empty:
        empty_state("No partnership has recorded learning yet.")
        st.stop()
    themes_r = top(counts, "items")
    theme_r = c2.selectbox("Theme", [ALL, *sorted(counts["theme"].unique())], key="lx_r_theme")
    query_r = c3.text_input("Search the shared learning", key="lx_r_query", max_chars=200)
    shown = counts[counts["theme"].isin(themes_r)]
    st.altair_chart(heatmap(shown, "partnership", "Partnership", "items", "Items", themes_r),
                    width="stretch")
    lead = counts.groupby("theme")["items"].sum().sort_values(ascending=False)
    st.caption(f"Heatmap of the {len(themes_r)} most frequent themes across {int(counts['partnership'].nunique())} "
               f"partnerships: darker cells hold more findings and recommendations. The most frequent theme "
               f"across the region is “{esc(lead.index[0])}” ({esc(items_phrase(int(lead.iloc[0])))}).")
    chart_table(crosstab(shown, "theme", "partnership", "items", "Theme"), "Themes by partnership")
    df_r, total_r, capped_r = learning.regional_learning(me, theme=None if theme_r == ALL else theme_r,
                                                         query=query_r, level=level, limit=100)
    if capped_r:
        # A search stops counting after SEARCH_CAP matches (withheld text is checked row by row).
        st.markdown(f"**{esc(items_phrase(total_r))}** in the first {learning.SEARCH_CAP:,} matches for "
                    f"“{esc(query_r.strip())}”; there are more: refine your search"
                    + (" (the 100 best matches shown)." if total_r > 100 else "."))
    else:
        st.markdown(f"**{esc(items_phrase(total_r))}** "
                    + (("(the 100 best matches shown)" if query_r.strip() else "(the 100 most recent shown)")
                       if total_r > 100 else ""))
    if df_r.empty:
        empty_state("Nothing matches." if search_terms(query_r) or not query_r.strip()
                    else "Type words to search: punctuation on its own is not searched.")
    else:
        st.dataframe(df_r.assign(kind=df_r["kind"].map(KIND_NAMES)), hide_index=True, width="stretch",
                     column_order=("partnership", "year", "review_type", "kind", "text", "themes"),
                     column_config={"partnership": "Partnership", "year": st.column_config.NumberColumn("Year", format="%d"),
                                    "review_type": "Review type", "kind": "Kind", "themes": "Themes",
                                    "text": st.column_config.TextColumn("Text", width="large")})
    st.stop()

if not parts:
    empty_state("The learning explorer is for panel members, chairs and business managers.",
                "Ask your administrator if you need access.")
    st.stop()
all_years = cached.years(me)
if not all_years:
    empty_state("No learning has been recorded yet.",
                "Findings and recommendations appear here when reviews, or the audits, inspections and other "
                "learning on the Learning sources page, record them.")
    st.stop()

# A theme chosen in a chart becomes the list's theme (read before the theme box is drawn).
for chart_key in CHARTS:
    chosen = theme_from_selection(st.session_state.get(chart_key), PICK)
    if chosen and chosen != st.session_state.get(f"{chart_key}_last"):
        st.session_state[f"{chart_key}_last"] = chosen
        st.session_state[THEME_KEY] = chosen

with st.expander("Filters", icon=":material/filter_list:", expanded=True):
    several = len(parts) > 1
    c1, c2, c3, c4, c5 = st.columns([2, 3, 2, 2, 2]) if several else [None, *st.columns([3, 2, 2, 2])]
    chosen_parts = None
    if several:
        names = {p.id: p.name for p in parts}
        chosen_parts = c1.multiselect("Partnership", list(names), format_func=names.get, key="lx_parts") or None
    if len(all_years) > 1:
        y0, y1 = c2.select_slider("Years", options=all_years, value=(all_years[0], all_years[-1]), key="lx_years")
    else:
        y0 = y1 = all_years[0]
        c2.caption(f"Learning recorded in {int(y0)}.")
    agencies = agency_service.names(me)  # a filter: retired agencies still hold learning
    agency = c3.selectbox("Agency", [None, *agencies], format_func=lambda a: "All agencies" if a is None else agencies[a],
                          key="lx_agency", help="Recommendations for this agency, their findings, and its actions.")
    level = c4.segmented_control("Count by", ["theme", "national"], default="theme", key="lx_level",
                                 format_func={"theme": "Theme", "national": "National theme"}.get,
                                 help="National theme: each local theme counted under the national theme it maps to.")
    level = level or "theme"

    source = c5.selectbox("Source", [None, *learning.SOURCE_KINDS], key="lx_source",
                          format_func=lambda k: "All sources" if k is None else learning.SOURCE_KINDS[k],
                          help="Learning from reviews, or from one kind of other learning source (an audit, an "
                               "inspection, child death review learning…).")
f = learning.LearningFilter(partnership_ids=chosen_parts, year_from=y0, year_to=y1, agency_id=agency, level=level,
                            source_kind=source)
by_year = cached.theme_by_year(me, f)
tot = cached.totals(me, f, today())
m1, m2, m3, m4 = st.columns(4)
m1.metric("Findings", int(tot.findings))
m2.metric("Recommendations", int(tot.recommendations))
m3.metric("Actions closed", f"{int(tot.actions_closed)} of {int(tot.actions)}",
          help="Closed with evidence of impact: an action stays open until a chair or business manager records "
               "evidence that practice changed.")
m4.metric("Overdue actions", int(tot.actions_overdue))

if by_year.empty:
    empty_state("No learning matches these filters.", "Widen the years, or choose all agencies and every source.")
    st.stop()

themes = top(by_year, "items")
t_year, t_type, t_agency, t_pairs, t_reach = st.tabs(["Themes by year", "By review type", "By agency",
                                                      "Themes together", "Found, done and shared"])
with t_year:
    shown = by_year[by_year["theme"].isin(themes)]
    sel = picker()
    chart = alt.Chart(shown).mark_bar().encode(
        x=alt.X("year:O", title="Year recorded", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("sum(items):Q", title="Findings and recommendations"),
        color=alt.Color("theme:N", title="Theme", sort=themes, scale=alt.Scale(scheme="tableau20"),
                        legend=alt.Legend(labelLimit=260)),
        order=alt.Order("theme:N"),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.3)),
        tooltip=["year:O", "theme:N", "findings:Q", "recommendations:Q", "reviews:Q"],
    ).add_params(sel).properties(height=360)
    show(chart, CHARTS[0])
    per_year = by_year.groupby("year")["items"].sum()
    lead = by_year.groupby("theme")["items"].sum().sort_values(ascending=False)
    latest = by_year[by_year["year"] == by_year["year"].max()].sort_values("items", ascending=False)
    st.caption(
        f"Stacked bars of the {len(themes)} most frequent themes per year, {int(y0)}–{int(y1)}. Over the period "
        f"“{esc(lead.index[0])}” occurs most ({esc(items_phrase(int(lead.iloc[0])))}). "
        f"The busiest year is {int(per_year.idxmax())}; in {int(latest['year'].iloc[0])} the most frequent theme is "
        f"“{esc(latest['theme'].iloc[0])}”. Click a bar to list that theme below; double-click to clear.")
    chart_table(crosstab(shown, "theme", "year", "items", "Theme"), "Themes by year")
with t_type:
    by_type = cached.theme_by_review_type(me, f)
    shown = by_type[by_type["theme"].isin(themes)]
    show(heatmap(shown, "review_type", "Review type or source", "items", "Items", themes), CHARTS[1])
    if not shown.empty:
        best = shown.sort_values("items", ascending=False).iloc[0]
        types_ = by_type.groupby("review_type")["items"].sum().sort_values(ascending=False)
        st.caption(f"Heatmap of themes by the kind of review (or other learning source) that recorded them; darker "
                   f"cells hold more findings and recommendations, and each cell shows its number. Most learning "
                   f"comes from {esc(types_.index[0])}s ({int(types_.iloc[0])}); the largest cell is "
                   f"“{esc(best['theme'])}” in {esc(best['review_type'])} ({int(best['items'])}).")
        chart_table(crosstab(shown, "theme", "review_type", "items", "Theme"), "Themes by review type")
with t_agency:
    by_agency = cached.theme_by_agency(me, f)
    shown = by_agency[by_agency["theme"].isin(themes)]
    if shown.empty:
        st.info("No recommendations name a target agency for these filters.")
    else:
        show(heatmap(shown, "agency", "Target agency", "recommendations", "Recommendations", themes), CHARTS[2])
        best = shown.sort_values("recommendations", ascending=False).iloc[0]
        ag = by_agency.groupby("agency")["recommendations"].sum().sort_values(ascending=False)
        st.caption(f"Heatmap of recommendations by theme and the agency they are for; each cell shows its number. "
                   f"{esc(ag.index[0])} is asked to act most often ({esc(plural(int(ag.iloc[0]), 'recommendation'))}); the "
                   f"largest cell is “{esc(best['theme'])}” for {esc(best['agency'])} ({int(best['recommendations'])}).")
        chart_table(crosstab(shown, "theme", "agency", "recommendations", "Theme"), "Recommendations by agency")
with t_pairs:
    pairs = cached.cooccurrence(me, f)
    pairs = pairs[pairs["theme_a"].isin(themes) & pairs["theme_b"].isin(themes)]
    if pairs.empty:
        st.info("No finding or recommendation carries two of these themes.")
    else:
        both = pd.concat([pairs.rename(columns={"theme_a": "theme", "theme_b": "with"}),
                          pairs.rename(columns={"theme_b": "theme", "theme_a": "with"})], ignore_index=True)
        show(heatmap(both, "with", "Occurs with", "items", "Items with both", themes), CHARTS[3])
        best = pairs.sort_values("items", ascending=False).iloc[0]
        st.caption(f"Heatmap of pairs of themes recorded on the same finding or recommendation (the grid is "
                   f"symmetrical). The pair seen together most often is “{esc(best['theme_a'])}” with "
                   f"“{esc(best['theme_b'])}” ({esc(plural(int(best['items']), 'item'))}).")
        chart_table(pairs.rename(columns={"theme_a": "Theme", "theme_b": "Occurs with", "items": "Items with both"}),
                    "Themes together")

with t_reach:  # per theme, found, recommended, done and practitioners reached (docs/domain.md §7.1)
    reach_table(cached.theme_reach(me, f))

lead_order = by_year.groupby("theme")["items"].sum().sort_values(ascending=False, kind="stable").index.tolist()
current = st.session_state.get(THEME_KEY)
options = [ALL, *lead_order] + ([current] if current and current not in lead_order and current != ALL else [])
if current not in options:
    st.session_state[THEME_KEY] = ALL
# The briefings of the learning shown: the theme is the one the theme box below holds.
published_briefings(me, f, None if st.session_state.get(THEME_KEY) in (None, ALL) else st.session_state[THEME_KEY])

st.header("Findings and recommendations", anchor=False)
c1, c2 = st.columns([2, 3])
theme = c1.selectbox("Theme", options, key=THEME_KEY,
                     help="The same as choosing a theme in a chart: lists its findings and recommendations.")
query = c2.text_input("Search findings, recommendations and actions", key="lx_query", max_chars=200,
                      placeholder="for example: bruising, escalation, health visiting")
theme = None if theme == ALL else theme
if query.strip() and not search_terms(query):
    empty_state("Type words to search: punctuation on its own is not searched.")
    st.stop()
page_no = max(1, int(st.session_state.get("lx_page", 1)))
df, total = learning.learning_list(me, f, theme=theme, query=query, include_actions=bool(query.strip()),
                                   limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
if total and df.empty:  # the filters changed under a later page
    page_no = 1
    df, total = learning.learning_list(me, f, theme=theme, query=query, include_actions=bool(query.strip()),
                                       limit=PAGE_SIZE)
what = "results" if query.strip() else "findings and recommendations"
scope = (f" about “{theme}”" if theme else "") + (f" matching “{query.strip()}”" if query.strip() else "")
if df.empty:
    empty_state(f"No {esc(what)}{esc(scope)} for these filters.", "Choose all themes, widen the years, or search other words.")
    st.stop()
pages = max(1, -(-total // PAGE_SIZE))
if st.session_state.get("lx_page", 1) > pages:
    st.session_state["lx_page"] = page_no
st.caption(f"{esc(plural(total, 'item'))}{esc(scope)}, newest first" + (" (best match first)" if query.strip() else "")
           + (f"; page {int(page_no)} of {int(pages)}." if pages > 1 else "."))
view = df.assign(kind=df["kind"].map(KIND_NAMES))
columns = ["kind", "year", "source", "text", "themes", "agencies", "follow_up"]
if len(parts) > 1:
    columns.insert(1, "partnership")
event = st.dataframe(
    view[columns], hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="lx_list",
    column_config={"kind": "Kind", "partnership": "Partnership", "year": st.column_config.NumberColumn("Year", format="%d"),
                   "source": "Review or source", "text": st.column_config.TextColumn("Text", width="large"),
                   "themes": st.column_config.TextColumn("Themes", width="medium"),
                   "agencies": st.column_config.TextColumn("Agencies", width="medium"),
                   "follow_up": st.column_config.TextColumn("What happened next", width="medium")})
st.caption("Select a recommendation's row to see its actions and their evidence of impact.")
if pages > 1:
    st.number_input("Page", min_value=1, max_value=pages, step=1, key="lx_page")

rows = event.selection.rows if event and event.selection else []
# The grid is a canvas: keyboard and screen-reader users open a recommendation here instead.
recs = df[df["kind"] == "recommendation"]
rec_labels = {int(r.id): f"Recommendation {r.id} · {r.source} · {str(r.text)[:70]}" for r in recs.itertuples()}
picked = st.selectbox("Open a recommendation", list(rec_labels), index=None, format_func=rec_labels.get,
                      placeholder="Choose a recommendation from this list", key="lx_open")
if rows or picked is not None:
    row = df.iloc[rows[0]] if rows else recs[recs["id"] == picked].iloc[0]
    if row["kind"] == "recommendation":
        d = load_or_stop(lambda: learning.recommendation_detail(me, int(row["id"])))
        with st.container(border=True):
            st.markdown(f"**Recommendation {int(d.id)}** · {esc(d.partnership)} · {esc(d.source)} · "
                        f"{day(d.recorded_on)}")
            st.text(d.text)
            if d.finding:
                st.caption(f"Finding: {esc(d.finding)}")
            st.caption(f"Themes: {esc(', '.join(d.themes) or 'none')} · For: {esc(', '.join(d.agencies) or 'no agency')}")
            if d.actions:
                st.dataframe(pd.DataFrame(d.actions), hide_index=True, width="stretch",
                             column_config={"id": "Action", "action": "What will be done", "owner_agency": "Agency",
                                            "owner": "Owner", "due": st.column_config.DateColumn("Due", format=DATE_FORMAT),
                                            "status": "Status", "evidence_of_impact": "Evidence of impact"})
                for a in d.actions:
                    st.page_link("pages/actions.py", label=f"Action {int(a['id'])}: record progress or close",
                                 query_params={"id": str(a["id"])}, icon=":material/checklist:")
            else:
                st.info("No actions recorded for this recommendation yet.")
    else:
        st.caption(f"{KIND_NAMES[row['kind']]} {int(row['id'])}: {esc(row['follow_up'])}")
