"""The pitch page on a phone and on a wide screen: the vote box sits with the pitch, before the
comments, both in reading order (the source) and on the screen."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from mlc_events.auth.models import User
from mlc_events.extensions import db
from mlc_events.jams import services as jams
from tests.browser.harness import make_pitch, sign_in

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}

# The ids in the order a reader (keyboard, screen reader) should meet them.
READING_ORDER = """(selectors) => {
  const nodes = selectors.map((s) => document.querySelector(s));
  return nodes.every((node, i) => i === 0 ||
    (nodes[i - 1].compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING));
}"""


def _pitch_with_talk(app, event_id: int, author_id: int, helper_ids: list[int]) -> int:
    """A short pitch with offers (a tall aside) and a comment (a short discussion)."""
    pitch_id = make_pitch(app, event_id, author_id)
    with app.app_context():
        for n, helper_id in enumerate(helper_ids):
            jams.make_offer(db.session.get(User, helper_id), pitch_id, f"I can do part {n}")
        jams.add_comment(db.session.get(User, author_id), "Which protein family first?",
                         pitch_id=pitch_id)  # fmt: skip
        return pitch_id


@pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["phone", "wide"])
def test_the_vote_box_comes_with_the_pitch_before_the_comments(
    new_page, live_server, live_app, data, axe, viewport
):
    member = data.user(display_name="Mia Member")
    jam = data.event(title="Research jam: layout", kind="research-jam")
    helpers = [data.user()["id"] for _ in range(12)]
    pitch_id = _pitch_with_talk(live_app, jam["id"], data.user()["id"], helpers)
    page = new_page(viewport=viewport)
    sign_in(page, live_server, member)
    page.goto(f"{live_server}/pitches/{pitch_id}")
    expect(page.locator(f"#vote-{pitch_id}").get_by_role("button", name="Vote")).to_be_visible()

    detail = f"#pitch-detail-{pitch_id}"
    comments = f"#comments-pitch-{pitch_id}"
    order = [detail, ".vote-box", f"#offers-{pitch_id}", comments]
    assert page.evaluate(READING_ORDER, order)
    # The keyboard meets the vote button before the comment box.
    page.locator(detail).get_by_role("link", name="Research jam: layout").focus()
    reached = []
    for _ in range(30):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("(e => e.id || e.textContent.trim())(document.activeElement)"))
        if reached[-1] == f"comment-body-pitch-{pitch_id}":
            break
    assert any(r.startswith("Vote") for r in reached), reached

    parts = (detail, ".vote-box", ".pitch-side", comments)
    box = {s: page.locator(s).bounding_box() for s in parts}
    detail_bottom = box[detail]["y"] + box[detail]["height"]
    if viewport is PHONE:
        assert detail_bottom <= box[".vote-box"]["y"] < box[comments]["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    else:
        # Beside the pitch, in a column of its own; the comments right under the pitch, even
        # though the aside (a dozen offers) is taller than pitch and comments together.
        assert box[".vote-box"]["x"] > box[detail]["x"] + box[detail]["width"]
        assert box[".vote-box"]["y"] < detail_bottom
        assert box[".pitch-side"]["height"] > box[detail]["height"] + box[comments]["height"]
        assert 0 <= box[comments]["y"] - detail_bottom < 40
    shots = os.environ.get("PITCH_PAGE_SHOTS")
    if shots:  # e.g. PITCH_PAGE_SHOTS=/tmp to look at the layout
        page.screenshot(path=f"{shots}/pitch-{viewport['width']}.png", full_page=True)
    axe(page)
