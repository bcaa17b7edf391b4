"""The screening result stays in view: beside the questions on a wide screen, still on screen once
the questions are scrolled past; first, above the questions, on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from panel.core.db import get_engine
from tests.browser.conftest import sign_in, wait_idle
from tests.factories import accepted

pytestmark = pytest.mark.browser

RESULT, QUESTIONS = "What the criteria say", "The criteria"


@pytest.fixture
def reference(server):
    yield accepted(child_initials="LW")
    get_engine().dispose()


def _open(browser, server, reference, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800}, base_url=server)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, "chair", f"/screening?ref={reference}")
    page.goto(f"/screening?ref={reference}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=RESULT)).to_be_visible()
    return context, page


def test_the_result_stays_in_view_beside_the_questions_on_a_wide_screen(browser, server, reference):
    context, page = _open(browser, server, reference, 1440)
    result = page.get_by_role("heading", name=RESULT)
    question = page.get_by_text("Was the child looked after?", exact=True)
    assert result.bounding_box()["x"] > question.bounding_box()["x"] + 300  # beside, to the right
    question.scroll_into_view_if_needed()
    page.get_by_role("button", name="Save answers").scroll_into_view_if_needed()
    wait_idle(page)
    box = page.get_by_role("heading", name="Route").or_(page.get_by_test_id("stMetric").filter(
        has_text="Route")).first.bounding_box()
    assert 0 <= box["y"] <= 800, box  # still on screen
    context.close()


def test_the_result_comes_first_on_a_phone(browser, server, reference):
    context, page = _open(browser, server, reference, 390)
    result = page.get_by_role("heading", name=RESULT).bounding_box()
    questions = page.get_by_role("heading", name=QUESTIONS, exact=True).bounding_box()
    assert result["y"] < questions["y"], (result, questions)
    context.close()
