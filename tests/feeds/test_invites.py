"""Emailed invites through a real SMTP server (aiosmtpd), and the stored mail queue."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from mlc_events.database import utcnow
from mlc_events.events import services as events
from mlc_events.extensions import db
from mlc_events.outbox.models import OutgoingMail
from mlc_events.outbox.services import send_due
from tests.feeds.parsers import parse_all, with_icaljs_raw


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
    yield inbox
    controller.stop()


def calendar_of(message) -> bytes:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") in ("REQUEST", "CANCEL")
    return part.get_payload(decode=True)


def method_of(data: bytes) -> str:
    return with_icaljs_raw(data)["method"]


def test_going_member_gets_a_request_invite(smtp, make_user, make_event):
    event = make_event(title="Reading group: DPO", timezone="Europe/London")
    member = make_user(email="mia@example.org", display_name="Mia")
    events.set_rsvp(member, event.id, "going")
    [message] = smtp.to("mia@example.org")
    assert message["Subject"] == "Reading group: DPO"
    kinds = [p.get_content_type() for p in message.walk()]
    assert kinds[0] == "multipart/mixed"
    assert {"text/plain", "text/calendar", "application/ics"} <= set(kinds)
    assert "You're going to Reading group: DPO." in message.get_body(("plain",)).get_content()
    data = calendar_of(message)
    assert method_of(data) == "REQUEST"
    [item] = parse_all(data)
    assert item["uid"] == event.uid
    assert item["tzid"] == "Europe/London"
    assert item["start"] == event.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "Join online: https://meet.example.org/secret-room" in item["description"]
    text = data.decode()
    assert "ATTENDEE;CN=Mia;PARTSTAT=ACCEPTED" in text.replace("\r\n ", "")
    assert "ORGANIZER;CN=mlc-events:mailto:events@mlc-events.invalid" in text.replace("\r\n ", "")


def test_change_sends_update_with_bumped_sequence_to_going_only(smtp, make_user, make_event):
    event = make_event(capacity=1)
    going, waiting = make_user(email="going@example.org"), make_user(email="wait@example.org")
    events.set_rsvp(going, event.id, "going")
    events.set_rsvp(waiting, event.id, "going")
    assert smtp.to("wait@example.org") == []
    start = event.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
    later = start.replace(hour=(start.hour + 1) % 24)
    events.update_event(
        event.hosts[0],
        event.id,
        events.EventInput(
            title=event.title,
            kind=event.kind,
            timezone="Europe/London",
            starts_at=later.strftime("%Y-%m-%dT%H:%M"),
            ends_at=(later.replace(minute=59)).strftime("%Y-%m-%dT%H:%M"),
            location="Room 9",
            capacity=1,
        ),  # fmt: skip
    )
    first, update = smtp.to("going@example.org")
    assert update["Subject"].startswith("Updated: ")
    [item] = parse_all(calendar_of(update))
    assert item["sequence"] == 1 and item["uid"] == event.uid
    assert item["location"] == "Room 9"
    assert smtp.to("wait@example.org") == []


def test_cancel_and_leaving_send_cancel(smtp, make_user, make_event):
    event = make_event()
    stays, leaves = make_user(email="stays@example.org"), make_user(email="leaves@example.org")
    events.set_rsvp(stays, event.id, "going")
    events.set_rsvp(leaves, event.id, "going")
    events.set_rsvp(leaves, event.id, "not_going")
    _, left = smtp.to("leaves@example.org")
    assert method_of(calendar_of(left)) == "CANCEL"
    events.cancel_event(event.hosts[0], event.id)
    _, cancelled = smtp.to("stays@example.org")
    assert cancelled["Subject"].startswith("Cancelled: ")
    data = calendar_of(cancelled)
    assert method_of(data) == "CANCEL"
    [item] = parse_all(data)
    assert (item["status"], item["sequence"], item["uid"]) == ("CANCELLED", 1, event.uid)
    assert "secret-room" not in item["description"]
    assert len(smtp.to("leaves@example.org")) == 2  # not told twice


def test_a_mail_server_that_is_down_loses_nothing(app, runner, make_user, make_event):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    event = make_event()
    member = make_user(email="patient@example.org")
    rsvp = events.set_rsvp(member, event.id, "going")  # the RSVP itself succeeds
    assert rsvp.status == "going"
    mail = db.session.scalar(select(OutgoingMail))
    assert (mail.status, mail.attempts, mail.sent_at) == ("queued", 1, None)
    assert "ConnectionRefusedError" in mail.last_error
    assert mail.next_attempt_at > utcnow()
    db.session.commit()  # end the test's read: on SQLite another session writes next
    # Not due yet: nothing is tried again before the backoff ends.
    assert send_due().failed == 0
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
        mail.next_attempt_at = utcnow()
        db.session.commit()
        result = runner.invoke(args=["mail", "send-queued"])
        assert result.exit_code == 0, result.output
        assert "Sent 1 mail(s)" in result.output
    finally:
        controller.stop()
    [message] = inbox.to("patient@example.org")
    assert method_of(calendar_of(message)) == "REQUEST"
    db.session.expire_all()
    mail = db.session.scalar(select(OutgoingMail))
    assert (mail.status, mail.attempts) == ("sent", 2)


def test_admins_see_stuck_mail_and_retry(app, client, make_user, make_event):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    event = make_event()
    events.set_rsvp(make_user(email="stuck@example.org"), event.id, "going")
    member = make_user()
    client.login(member)
    assert client.get("/admin/mail").status_code == 403
    assert client.post("/admin/mail/retry").status_code == 403
    client.logout()
    client.login(make_user(role="admin"))
    body = client.get("/admin/mail").get_data(as_text=True)
    assert "stuck@example.org" in body and "ConnectionRefusedError" in body
    mail_id = db.session.scalar(select(OutgoingMail.id))
    response = client.post("/admin/mail/retry", {"mail_id": str(mail_id)})
    assert response.status_code == 303
    db.session.expire_all()
    mail = db.session.get(OutgoingMail, mail_id)
    # Retried at once (inline sender in tests): failed again, one attempt on a fresh count.
    assert mail.attempts == 1 and mail.status == "queued"


def test_a_refused_change_queues_nothing(make_user, make_event):
    event = make_event()
    with pytest.raises(events.ValidationFailed):
        events.set_rsvp(make_user(), event.id, "maybe")
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0
