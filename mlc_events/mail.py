"""Outgoing mail: SMTP through ``MAIL_URL``, else ``.eml`` files in ``instance/outbox/``."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app


def build_message(to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="mlc-events")
    message.set_content(text)
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


def send_mail(to: str, subject: str, text: str) -> bool:
    """Send a plain-text mail; a failure is logged, never raised into the request."""
    try:
        deliver(build_message(to, subject, text))
    except Exception:
        current_app.logger.exception("Could not send mail to %s", to)
        return False
    return True
