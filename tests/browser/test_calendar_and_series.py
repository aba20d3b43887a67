"""Series and calendars in a real browser, with the app's CSP on: a host creates a weekly
series through the form and a member takes the standing RSVP; the "Add to calendar" menu
opened with the keyboard downloads an .ics; the private calendar address is rotated."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from mlc_events.database import utcnow
from tests.browser.harness import sign_in as _sign_in

SERIES_ZONE = "Europe/London"


def _utc_stamp(day, at: time, zone: str) -> str:
    """The ``datetime`` attribute of a ``<time>``: wall clock ``at`` on ``day`` in ``zone``."""
    local = datetime.combine(day, at, tzinfo=ZoneInfo(zone))
    return local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_host_creates_weekly_series_and_member_goes_to_every_event(
    new_page, live_server, data, axe
):
    base = live_server
    host = data.user(role="host", display_name="Hana Host")
    member = data.user(display_name="Sam Standing")
    first = (utcnow() + timedelta(days=3)).date()  # well in the future in every zone

    page = new_page()
    _sign_in(page, base, host)
    page.goto(f"{base}/series/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("New recurring series")
    axe(page)

    page.get_by_label("Title", exact=True).fill("Paper club")
    page.get_by_label("Kind").select_option("reading-group")
    page.get_by_label("Description (Markdown)").fill("One paper a week, **section by section**.")
    page.get_by_label("First date").fill(first.isoformat())
    page.get_by_label("Starts at").fill("18:30")
    page.get_by_label("Length in minutes").fill("60")
    page.get_by_label("Timezone").select_option(SERIES_ZONE)
    page.get_by_label("Every week, or every few weeks").check()
    page.get_by_label("Weekly series: every how many weeks").fill("1")
    page.get_by_label("Plan how many weeks ahead").fill("4")
    page.get_by_label("Place").fill("Library, room 2")
    page.get_by_role("button", name="Create series").click()

    # The series page: the rule in words and the instances within the four-week horizon
    # (first date +0, +7, +14 and +21 days).
    expect(page.locator(".messages")).to_contain_text("Your series is published")
    expect(page.get_by_role("heading", level=1)).to_have_text("Paper club")
    expect(page.locator(".lead")).to_have_text(f"Every {first:%A}, 18:30 {SERIES_ZONE}")
    series_url = page.url
    assert series_url.startswith(f"{base}/series/")
    cards = page.locator(".cards .event-card")
    expect(cards).to_have_count(4)
    for week, card in enumerate(cards.all()):
        expect(card.get_by_role("heading", level=3)).to_have_text("Paper club")
        expect(card.locator("time").first).to_have_attribute(
            "datetime", _utc_stamp(first + timedelta(weeks=week), time(18, 30), SERIES_ZONE)
        )
        expect(card).to_contain_text("Library, room 2")
    expect(page.get_by_role("link", name="Edit all future events")).to_be_visible()
    axe(page)

    # A member takes the standing RSVP: every instance now counts them as going.
    other = new_page()
    _sign_in(other, base, member)
    other.goto(series_url)
    expect(other.get_by_role("link", name="Edit all future events")).to_have_count(0)
    other.get_by_role("button", name="Go to every event").click()
    standing = other.locator("form.standing")
    expect(standing.locator(".status-going")).to_have_text(
        "You're going to every event of this series."
    )
    expect(standing.get_by_role("button", name="Stop going to every event")).to_be_visible()
    axe(other)
    other.locator(".cards .event-card").last.get_by_role("link").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Paper club")
    expect(other.locator("#rsvp .rsvp-status")).to_have_text("You're going")
    expect(other.locator("#rsvp .going-count")).to_have_text("1 going")


def test_add_to_calendar_menu_opens_with_keyboard_and_downloads_ics(
    new_page, live_server, data, axe
):
    base = live_server
    event = data.event(title="Talk: calendars by keyboard", kind="talk")
    page = new_page()
    page.goto(f"{base}/events/{event['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Talk: calendars by keyboard")

    menu = page.locator("#add-to-calendar")
    summary = menu.locator("summary")
    download_link = menu.get_by_role("link", name="Download .ics")
    expect(download_link).to_be_hidden()

    # Tab from the top of the page until the menu's summary has the focus.
    for _ in range(40):
        page.keyboard.press("Tab")
        if summary.evaluate("el => el === document.activeElement"):
            break
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    expect(download_link).to_be_visible()
    axe(page)

    page.keyboard.press("Tab")
    expect(download_link).to_be_focused()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    body = download.path().read_text(encoding="utf-8")
    assert body.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Talk: calendars by keyboard" in body
    assert body.rstrip().endswith("END:VCALENDAR")
    assert event["online_url"] not in body  # an anonymous download has no online link

    # Space on the summary closes the menu again.
    summary.focus()
    page.keyboard.press("Space")
    expect(download_link).to_be_hidden()


def test_rotating_the_private_calendar_address(page, live_server, data, axe):
    base = live_server
    member = data.user(display_name="Rita Rotate")
    _sign_in(page, base, member)

    page.goto(f"{base}/account/calendar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscribe in your calendar app")
    axe(page)
    mine = page.get_by_role("article", name="My events")
    address = mine.get_by_label("Address to paste into another app")
    old_url = address.input_value()
    assert old_url.startswith(f"{base}/calendar/u/") and old_url.endswith(".ics")
    assert page.request.get(old_url).status == 200

    page.once("dialog", lambda dialog: dialog.accept())  # the "are you sure?" question
    mine.get_by_role("button", name="Make a new private address").click()
    expect(page.locator(".messages")).to_contain_text("Your personal calendar has a new address.")
    mine = page.get_by_role("article", name="My events")
    address = mine.get_by_label("Address to paste into another app")
    expect(address).not_to_have_value(old_url)
    new_url = address.input_value()
    assert new_url.startswith(f"{base}/calendar/u/")
    expect(mine.get_by_role("link", name="Subscribe (Apple, Outlook)")).to_have_attribute(
        "href", "webcal://" + new_url.split("://", 1)[1]
    )
    assert page.request.get(new_url).status == 200
    assert page.request.get(old_url).status == 404  # the old address stops working at once
    axe(page)
