"""The RSVP flow in a real browser: register, choose a timezone, RSVP in place with htmx,
join a waitlist, and the same RSVP form without JavaScript. With the app's CSP on."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from mlc_events.database import utcnow

EVENT_ZONE = "Europe/London"
MEMBER_ZONE = "Asia/Tokyo"


def _starts_at() -> datetime:
    """09:30 UTC a week ahead: 18:30 in Tokyo, the same day in London."""
    day = (utcnow() + timedelta(days=8)).date()
    return datetime.combine(day, time(9, 30), tzinfo=UTC)


def _register(page, base: str, email: str, name: str, axe=None) -> None:
    page.goto(f"{base}/auth/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Join mlc-events")
    if axe:
        axe(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator(".messages")).to_contain_text(f"Welcome, {name}!")
    assert page.url == f"{base}/"


def _expect_times(when, starts: datetime, viewer_zone: str, event_zone: str) -> None:
    """``when`` shows ``starts`` in ``viewer_zone`` as a ``<time datetime="...Z">``, and the
    event's own zone named beside it."""
    local = starts.astimezone(ZoneInfo(viewer_zone))
    at_event = starts.astimezone(ZoneInfo(event_zone))
    start_time = when.locator("time").first
    expect(start_time).to_have_attribute("datetime", starts.strftime("%Y-%m-%dT%H:%M:%SZ"))
    expect(start_time).to_have_text(f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}")
    expect(when).to_contain_text(f" {local.tzname()}")
    expect(when.locator(".event-zone")).to_contain_text(f"{at_event:%H:%M} {event_zone}")


def _rsvp_box(page):
    return page.locator("#rsvp")


def test_member_registers_chooses_zone_and_rsvps_in_place(page, live_server, data, axe):
    base = live_server
    event = data.event(
        title="Reading group: attention", starts_at=_starts_at(), timezone=EVENT_ZONE
    )

    _register(page, base, "newcomer@example.org", "Nia Newcomer", axe=axe)

    # The profile: the browser's zone was sent with the registration; choose Tokyo instead.
    page.goto(f"{base}/account")
    zone_select = page.get_by_label("Timezone")
    expect(zone_select).to_have_value("Europe/Paris")  # the browser context's zone
    axe(page)
    zone_select.select_option(MEMBER_ZONE)
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".messages")).to_contain_text("Your profile was saved.")
    expect(page.get_by_label("Timezone")).to_have_value(MEMBER_ZONE)

    page.goto(f"{base}/events/{event['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reading group: attention")
    box = _rsvp_box(page)
    expect(box.locator(".going-count")).to_have_text("0 going")
    expect(box).to_contain_text("The online link is shown to members who are going.")
    expect(box.locator(".online-link")).to_have_count(0)
    axe(page)

    # "I'm going" swaps the RSVP box in place: an htmx request, no navigation.
    page.evaluate("window.__marker = 'still-here'")
    with page.expect_response(lambda r: r.url.endswith(f"/events/{event['id']}/rsvp")) as info:
        box.get_by_role("button", name="I'm going").click()
    response = info.value
    assert response.status == 200
    assert response.request.headers.get("hx-request") == "true"
    assert response.request.headers.get("x-csrftoken")
    expect(box.locator(".rsvp-status")).to_have_text("You're going")
    expect(box.locator(".going-count")).to_have_text("1 going")
    expect(box.locator(".online-link a")).to_have_text(event["online_url"])
    expect(box.get_by_role("button", name="I can't go")).to_be_visible()
    assert page.evaluate("window.__marker") == "still-here", "the page navigated"
    assert page.url == f"{base}/events/{event['id']}"
    axe(page)

    # A full event: one place, taken by someone else. Going puts the member on the waitlist.
    other = data.user(display_name="Early Bird")
    full = data.event(title="Mentoring: one place", capacity=1, starts_at=_starts_at())
    data.rsvp(full["id"], other["id"], "going")
    page.goto(f"{base}/events/{full['id']}")
    box = _rsvp_box(page)
    expect(box.locator(".counts")).to_contain_text("1 going · 0 waitlisted · full")
    page.evaluate("window.__marker = 'still-here'")
    box.get_by_role("button", name="Join the waitlist").click()
    expect(box.locator(".rsvp-status")).to_have_text("You're on the waitlist (position 1)")
    expect(box.locator(".counts")).to_contain_text("1 going · 1 waitlisted · full")
    expect(box.get_by_role("button", name="Leave the waitlist")).to_be_visible()
    expect(box.locator(".online-link")).to_have_count(0)  # not for waitlisted members
    assert page.evaluate("window.__marker") == "still-here", "the page navigated"
    axe(page)

    # Times: in the member's zone (Tokyo), with the event's own zone named beside it.
    page.goto(f"{base}/events/{event['id']}")
    _expect_times(page.locator(".facts .when"), event["starts_at"], MEMBER_ZONE, EVENT_ZONE)
    page.goto(f"{base}/")
    card = page.locator(f"#event-{event['id']}")
    _expect_times(card.locator(".when"), event["starts_at"], MEMBER_ZONE, EVENT_ZONE)


def test_rsvp_works_without_javascript(new_page, live_server, data):
    base = live_server
    member = data.user(display_name="No Script")
    event = data.event(title="Talk: plain forms", kind="talk")
    page = new_page(java_script_enabled=False)

    page.goto(f"{base}/auth/login?next=/events/{event['id']}")
    page.get_by_label("Email").fill(member["email"])
    page.get_by_label("Password", exact=True).fill(member["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Talk: plain forms")

    page.get_by_role("button", name="I'm going").click()
    expect(page.locator("#rsvp .rsvp-status")).to_have_text("You're going")
    assert page.url == f"{base}/events/{event['id']}"
    expect(page.locator("#rsvp .going-count")).to_have_text("1 going")
    expect(page.locator("#rsvp .online-link a")).to_have_text(event["online_url"])

    page.get_by_role("button", name="I can't go").click()
    expect(page.locator("#rsvp .going-count")).to_have_text("0 going")
    expect(page.locator("#rsvp .rsvp-status")).to_have_text("You're not going to this one")
    assert page.url == f"{base}/events/{event['id']}"


def test_anonymous_visitor_is_asked_to_sign_in_and_sees_browser_zone(page, live_server, data, axe):
    event = data.event(title="Social: picnic", kind="social", starts_at=_starts_at())
    page.goto(f"{live_server}/")  # app.js remembers the browser's zone in a cookie
    expect(page.get_by_role("heading", level=1)).to_contain_text("machine learning research")
    page.goto(f"{live_server}/events/{event['id']}")
    box = _rsvp_box(page)
    expect(box.get_by_role("link", name="Sign in to RSVP")).to_have_attribute(
        "href", f"/auth/login?next=/events/{event['id']}"
    )
    expect(box.locator(".online-link")).to_have_count(0)
    assert event["online_url"] not in page.content()
    axe(page)
    # No profile: times in the browser's zone (the context runs in Europe/Paris).
    _expect_times(page.locator(".facts .when"), event["starts_at"], "Europe/Paris", EVENT_ZONE)


def test_keyboard_rsvp_keeps_focus_in_the_box(page, live_server, data):
    base = live_server
    member = data.user(display_name="Key Board")
    event = data.event(title="Talk: keyboards", kind="talk")
    page.goto(f"{base}/auth/login?next=/events/{event['id']}")
    page.get_by_label("Email").fill(member["email"])
    page.get_by_label("Password", exact=True).fill(member["password"])
    page.get_by_role("button", name="Sign in").click()
    box = _rsvp_box(page)
    box.get_by_role("button", name="I'm going").focus()
    page.keyboard.press("Space")
    expect(box.locator(".rsvp-status")).to_have_text("You're going")
    # Focus stays inside the swapped box, so the next key press still acts on it.
    expect(box.get_by_role("button", name="I can't go")).to_be_focused()
    page.keyboard.press("Enter")
    expect(box.locator(".rsvp-status")).to_have_text("You're not going to this one")
