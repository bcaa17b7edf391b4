"""One way for a page to run a service call and show what the service refused.

A service refuses in one of two ways: `ValidationFailed` names the fields that are wrong, and the
page shows each message directly beneath its field (`field_error`); anything else it refuses
(`PermissionDenied`, `NotFound`, `StaleEdit`, `AlreadySaved`, any other `PanelError`) is one
plain message, shown in one error box. Fields are drawn before the submit button is known to
have been pressed, so the messages are kept in the session and the page is drawn again:

    errs = forms.refusals("mt_act")              # the box, if any, shows here
    with st.form("mt_act"):
        text = st.text_area("Action")
        field_error(errs, "text")
        if st.form_submit_button("Add action"):
            forms.submit("mt_act", lambda: svc.add_action(me, ...), fields={"text"})

Anything other than a PanelError is a fault, not a refusal: it goes on to the page's error
handler (panel.ui.errors), which never shows a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import streamlit as st

from panel.core.errors import NotFound, PanelError, ValidationFailed
from panel.ui.common import esc, field_error, first_view, mark_viewed, query_given, query_ref

T = TypeVar("T")

_FIELDS = "_form_fields_{}"
_BOX = "_form_box_{}"
_DONE = "_form_done_{}"


def refusals(key: str, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """Show the one error box (and the success note) kept from the last submit under `key`, here;
    return the field messages to show beneath their fields with `field_error`.

    With `labels` (field name to its label) the box also lists each field's message under its
    label: on a long form the box at the top says where every problem is (the GOV.UK summary)."""
    beside = st.session_state.get(_FIELDS.format(key), {})
    if msg := st.session_state.pop(_BOX.format(key), None):
        st.error(esc(msg) + ("\n" if labels and beside else "")
                 + "".join(f"\n- {esc(labels.get(f, f))}: {esc(m)}" for f, m in beside.items() if labels),
                 icon=":material/error:")
    if done := st.session_state.pop(_DONE.format(key), None):
        st.success(esc(done), icon=":material/check:")
    return beside


def submit(key: str, call: Callable[..., T], *args: Any, fields: Collection[str] = (), done: str | None = None,
           rerun: bool = True) -> T:
    """Run `call(*args)` (one service call) for the form `key` and return its result.

    Refused, the page is drawn again with the messages kept for `refusals(key)`: a
    ValidationFailed message whose field is in `fields` beneath that field, every other message
    in one box. Accepted, earlier messages are cleared, `done` (if given) is kept to show once,
    and the page goes on (rerun=False) or is drawn again (rerun=True) so it shows the change."""
    try:
        result = call(*args)
    except ValidationFailed as e:
        beside = {f: m for f, m in e.errors.items() if f in fields}
        rest = [m for f, m in e.errors.items() if f not in fields]
        st.session_state[_FIELDS.format(key)] = beside
        st.session_state[_BOX.format(key)] = (
            "; ".join(rest) if rest else f"There is a problem with {len(beside)} answer(s). Nothing has been saved.")
        st.rerun()
    except PanelError as e:
        st.session_state[_FIELDS.format(key)] = {}
        st.session_state[_BOX.format(key)] = str(e)
        st.rerun()
    st.session_state[_FIELDS.format(key)] = {}
    if done:
        note_done(key, done)
    if rerun:
        st.rerun()
    return result


def note_done(key: str, message: str) -> None:
    """A success note to show once, where the page next calls `refusals(key)`."""
    st.session_state[_DONE.format(key)] = message


def or_none(call: Callable[[], T]) -> T | None:
    """The service's answer, or None when it refuses: for what a page offers only when the service
    can give it (the meeting's outcomes, when the referral's facts can be assessed). The refusal
    is not about anything the user did, so nothing is shown for it."""
    try:
        return call()
    except PanelError:
        return None


def load_or_stop(call: Callable[[], T]) -> T:
    """The record a page is about, loaded by its service; when the service says it is not there
    (or not this user's to see: the same answer), the service's plain message and nothing else."""
    try:
        return call()
    except NotFound as e:
        st.error(esc(e), icon=":material/search_off:")
        st.stop()


def stop_if_malformed(name: str, message: str) -> None:
    """An address that names the parameter with a malformed reference asks for a record that
    cannot exist: the service's "not found" message, not the page's start for no reference."""
    if query_given(name) and query_ref(name) is None:
        st.error(esc(message), icon=":material/search_off:")
        st.stop()


def load_viewed(kind: str, reference: str, load: Callable[[bool], T]) -> T:
    """The record a page is about, as load_or_stop; `load` is told whether to audit the view,
    which it should only the first time in this session (a rerun is not a new view)."""
    found = load_or_stop(lambda: load(first_view(kind, reference)))
    mark_viewed(kind, reference)
    return found


def decision_fields(fmt: Mapping[Any, str], errs: dict[str, str]) -> tuple[Any, str, str]:
    """The outcome, rationale and departure of a panel decision, inside the caller's form: the
    screening page and the meeting's agenda item record the same decision."""
    outcome = st.selectbox("Outcome", list(fmt), index=None, format_func=fmt.get, placeholder="Choose the outcome")
    field_error(errs, "review_type_id")
    rationale = st.text_area("Rationale", help="The panel's reasons, citing the criteria.")
    field_error(errs, "rationale")
    departure = st.text_area("Departs from the criteria because…",
                             help="Required only when the outcome departs from what the criteria say.")
    field_error(errs, "departure_rationale")
    return outcome, rationale, departure
