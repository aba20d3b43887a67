"""Mail transport: build a MIME message, deliver it through ``MAIL_URL`` or to ``instance/outbox/``.

Nothing here is called by a request: requests queue mail (``outbox.services``) and the
queue's sender delivers it.
"""

from __future__ import annotations

import smtplib
import uuid
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app


def sender_address() -> tuple[str, str]:
    """(name, email) of MAIL_FROM."""
    [(name, email)] = getaddresses([current_app.config["MAIL_FROM"]])
    return name or "mlc-events", email


def build_message(
    to: str, subject: str, text: str, ics: bytes | None = None, method: str | None = None
) -> EmailMessage:
    """A plain-text mail; with ``ics``, also a calendar part clients turn into an invite."""
    message = EmailMessage()
    name, email = sender_address()
    message["From"] = Address(name, addr_spec=email)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=email.split("@")[-1])
    message.set_content(text)
    if ics is not None:
        # Inline text/calendar with METHOD is what Gmail, Outlook and Apple Mail act on;
        # the .ics attachment is for everything else.
        message.add_alternative(
            ics, maintype="text", subtype="calendar", params={"method": method or "PUBLISH"}
        )
        message.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    return message


def deliver(message: EmailMessage) -> None:
    """Send ``message`` now; raises on failure."""
    url = current_app.config.get("MAIL_URL")
    if not url:
        outbox = Path(current_app.config["OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(message))
        return
    parts = urlsplit(url)
    smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with smtp_class(parts.hostname or "localhost", parts.port or 25, timeout=10) as smtp:
        if parts.scheme == "smtp+starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


def send_mail(to: str, subject: str, text: str) -> None:
    """Queue a plain-text mail and commit; the sender delivers it."""
    from .extensions import db
    from .outbox.services import queue_mail

    queue_mail(to, subject, text)
    db.session.commit()
