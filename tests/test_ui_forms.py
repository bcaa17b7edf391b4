"""AppTest of panel.ui.forms: a field's message is drawn beneath that field, any other refusal in
one error box, and a record the service does not find stops the page with its plain message."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _form_page() -> None:
    import streamlit as st

    from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
    from panel.ui.common import field_error
    from panel.ui.forms import refusals, submit

    def service(kind: str) -> str:
        if kind == "field":
            raise ValidationFailed({"name": "Enter a name.", "status": "The item is closed."})
        if kind == "denied":
            raise PermissionDenied("Only the panel chair can do this.")
        if kind == "missing":
            raise NotFound("No such record.")
        if kind == "stale":
            raise StaleEdit("action")
        return "ok"

    st.markdown("top")
    errs = refusals("f")
    with st.form("f"):
        st.text_input("Name")
        field_error(errs, "name")
        st.text_input("Age")
        field_error(errs, "age")
        kind = st.selectbox("Kind", ["field", "denied", "missing", "stale", "ok"])
        if st.form_submit_button("Save"):
            submit("f", service, kind, fields=("name", "age"), done="Saved.")


def _load_page() -> None:
    import streamlit as st

    from panel.core.errors import NotFound
    from panel.ui.forms import load_or_stop

    def get(found: bool) -> str:
        if not found:
            raise NotFound("No referral with that reference is open to you.")
        return "the record"

    st.write(load_or_stop(lambda: get(st.session_state.get("found", False))))
    st.write("after the record")


def _save(kind: str) -> AppTest:
    at = AppTest.from_function(_form_page, default_timeout=60)
    at.run()
    at.selectbox[0].set_value(kind)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _after(at: AppTest, label: str) -> str:
    """The type of the element drawn straight after the widget labelled `label` in the form."""
    form = list(at.get("form")[0].children.values())
    i = next(n for n, el in enumerate(form) if getattr(el, "label", None) == label)
    return form[i + 1].type


def test_a_field_message_is_drawn_beneath_its_field_and_the_rest_in_one_box() -> None:
    at = _save("field")
    assert [e.value for e in at.error if "Enter a name" in e.value] and _after(at, "Name") == "error"
    assert _after(at, "Age") != "error"  # no message for a field that had none
    boxes = [e.value for e in at.error if "Enter a name" not in e.value]
    assert len(boxes) == 1 and "closed" in boxes[0]  # the message for a field not on the form


def test_each_other_refusal_is_one_box_above_the_form() -> None:
    for kind, words in (("denied", "Only the panel chair"), ("missing", "No such record"),
                        ("stale", "changed by someone else")):
        at = _save(kind)
        assert len(at.error) == 1, (kind, [e.value for e in at.error])
        assert words in at.error[0].value.replace("\\", "")
        assert _after(at, "Name") != "error"


def test_an_accepted_submit_clears_the_messages_and_says_so_once() -> None:
    at = _save("field")
    at.selectbox[0].set_value("ok")
    at.button[0].click().run()
    assert not at.error
    assert "Saved" in at.success[0].value
    at.run()
    assert not at.success


def test_a_record_not_found_stops_the_page_with_the_services_message() -> None:
    at = AppTest.from_function(_load_page, default_timeout=60)
    at.run()
    assert "open to you" in at.error[0].value.replace("\\", "")
    assert "after the record" not in [m.value for m in at.markdown]
    at.session_state["found"] = True
    at.run()
    assert not at.error
    assert [m.value for m in at.markdown] == ["the record", "after the record"]


def _summary_page() -> None:
    import streamlit as st

    from panel.core.errors import ValidationFailed
    from panel.ui.common import field_error
    from panel.ui.forms import refusals, submit

    def service() -> None:
        raise ValidationFailed({"name": "Enter a name.", "age": "Enter an age."})

    errs = refusals("f", {"name": "Your name", "age": "Your age"})
    with st.form("f"):
        st.text_input("Name")
        field_error(errs, "name")
        st.text_input("Age")
        field_error(errs, "age")
        if st.form_submit_button("Save"):
            submit("f", service, fields=("name", "age"))


def test_with_labels_the_box_says_where_each_problem_is() -> None:
    at = AppTest.from_function(_summary_page, default_timeout=60)
    at.run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert _after(at, "Name") == "error" and _after(at, "Age") == "error"
    box = at.error[0].value.replace("\\", "")
    assert "There is a problem with 2 answer(s)" in box
    assert "- Your name: Enter a name." in box and "- Your age: Enter an age." in box


def test_or_none_is_the_answer_or_none_when_the_service_refuses() -> None:
    from panel.core.errors import NotFound, ValidationFailed
    from panel.ui.forms import or_none

    def refuse(e: Exception):
        raise e

    assert or_none(lambda: "answer") == "answer"
    assert or_none(lambda: refuse(NotFound("No such referral."))) is None
    assert or_none(lambda: refuse(ValidationFailed({"x": "Wrong."}))) is None
    with pytest.raises(KeyError):  # a fault is not a refusal: it goes on to the page's error handler
        or_none(lambda: refuse(KeyError("a fault")))
