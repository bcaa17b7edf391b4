"""User text shows as typed wherever Streamlit renders Markdown: panel.ui.common.esc, as a
property over any text, and through the pages with Markdown planted in the records."""

from __future__ import annotations

import re
import string
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.db import read_session, transaction
from panel.meetings import items as meeting_items
from panel.meetings import service as svc
from panel.models import Agency, Partnership, Referral
from panel.referrals import service as referrals
from panel.ui.common import esc
from tests.apptest import shown, signed_in
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "![x](http://127.0.0.1:9/p.png)"
LINK = "[link](http://example.org)"
NASTY = f"{IMAGE} {LINK} <img src=x> *b* _i_ # h `c` $x^2$ :material/home: :red[red] &lt; | ~~s~~ \\"


def unescaped_punctuation(text: str) -> list[int]:
    """Positions of ASCII punctuation not made literal by a backslash (CommonMark's escapes)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in string.punctuation:
            i += 2
            continue
        if text[i] in string.punctuation:
            out.append(i)
        i += 1
    return out


@given(st.text())
def test_escaped_text_has_no_markdown_control_character_left(text):
    escaped = esc(text)
    assert unescaped_punctuation(escaped) == []
    assert shown(escaped) == text  # and the reader sees exactly what was typed


def test_the_property_check_sees_what_it_should():
    assert unescaped_punctuation("a \\* b") == []
    assert unescaped_punctuation("a * b") == [2]
    assert unescaped_punctuation("\\\\*") == [2]  # an escaped backslash does not escape the star


def test_esc_makes_markdown_literal():
    assert esc(IMAGE) == r"\!\[x\]\(http\:\/\/127\.0\.0\.1\:9\/p\.png\)"
    assert esc(":red[x] :material/home: $1$ <b>") == r"\:red\[x\] \:material\/home\: \$1\$ \<b\>"
    assert esc(42) == "42"


def _bodies(at: AppTest) -> str:
    """Every Markdown source the page sent: elements, and labels of links and widgets."""
    parts = [str(getattr(e, "value", "") or "") for kind in
             ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success") for e in getattr(at, kind)]
    parts += [p.label for p in at.get("page_link")]
    return "\n".join(parts)


def _assert_literal(at: AppTest, *planted: str) -> None:
    body = _bodies(at)
    for text in planted:
        assert esc(text) in body, f"{text!r} not shown escaped"
    for raw in (IMAGE, LINK, "](http"):
        assert raw not in body, f"{raw!r} reached Markdown unescaped"
    assert not re.search(r"(?<!\\)<img", body), "HTML reached Markdown unescaped"


def test_referral_note_and_referrer_name_render_literally(demo_db):
    chair = accounts.actor_for("chair")
    ref = referrals.queue(chair, referrals.QueueFilter(statuses=("new",)), TODAY)[0].iloc[0]["reference"]
    with transaction() as s:
        r = s.exec(select(Referral).where(Referral.reference == ref)).one()
        r.status_note, r.referrer_name = f"Triage note {IMAGE}", f"Referrer {LINK} {NASTY}"
        s.add(r)
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})  # through app.py: its links need the menu
    assert not at.exception, at.exception
    _assert_literal(at, f"Triage note {IMAGE}", f"Referrer {LINK} {NASTY}")


def test_meeting_summary_and_action_render_literally(demo_db):
    chair = accounts.actor_for("chair")
    with read_session() as s:
        pid = s.exec(select(Partnership).where(Partnership.code == "NB")).one().id
        police = s.exec(select(Agency).where(Agency.name == "Police")).one().id
    mid = svc.create_meeting(chair, pid, TODAY, [chair.user_id], TODAY)
    item = meeting_items.add_item(chair, mid, f"Item {LINK}", "other", None)
    meeting_items.record_summary(chair, item, f"Summary {IMAGE}")
    meeting_items.add_action(chair, item, f"Action {IMAGE} {LINK}", police, f"Owner {LINK}", TODAY, TODAY)
    v = svc.get_meeting(chair, mid)
    first = next(i for i, it in enumerate(v.items) if it.id == item)
    at = AppTest.from_file(str(ROOT / "pages" / "meeting.py"), default_timeout=60)
    at.session_state["actor"] = chair
    at.session_state[f"mt_{mid}_idx"] = first
    at.query_params["meeting"] = str(mid)
    at.run()
    assert not at.exception, at.exception
    _assert_literal(at, f"Item {LINK}", f"Summary {IMAGE}", f"Action {IMAGE} {LINK}", f"Owner {LINK}")
