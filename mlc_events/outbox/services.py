"""The mail queue: queue in the caller's transaction, deliver after commit, retry with backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from ..database import utcnow
from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..mail import build_message, deliver
from .models import OutgoingMail

MAX_ATTEMPTS = 10
CLAIM = timedelta(minutes=2)
BATCH = 50


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failure, at most 6 hours."""
    return min(timedelta(minutes=2 ** (attempts - 1)), timedelta(hours=6))


def queue_mail(
    to: str, subject: str, body: str, ics: bytes | None = None, method: str | None = None
) -> OutgoingMail:
    """Add a mail to the caller's transaction; it is sent once that commits."""
    mail = OutgoingMail(to=to, subject=subject[:300], body=body, ics=ics, ics_method=method,
                        next_attempt_at=utcnow())  # fmt: skip
    db.session.add(mail)
    db.session.info["mail_queued"] = True
    return mail


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0


def _claim(session: Session, mail_id: int) -> bool:
    now = utcnow()
    claimed = session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == mail_id,
            OutgoingMail.status == "queued",
            (OutgoingMail.claimed_until.is_(None)) | (OutgoingMail.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM)
    ).rowcount
    session.commit()
    return claimed == 1


def send_due(limit: int = BATCH) -> SendReport:
    """Deliver the mails that are due, each in its own short transaction."""
    report = SendReport()
    with Session(db.engine) as session:
        due = session.scalars(
            select(OutgoingMail.id)
            .where(OutgoingMail.status == "queued", OutgoingMail.next_attempt_at <= utcnow())
            .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
            .limit(limit)
        ).all()
        session.commit()
        for mail_id in due:
            if not _claim(session, mail_id):
                continue
            mail = session.get(OutgoingMail, mail_id)
            message = build_message(mail.to, mail.subject, mail.body, mail.ics, mail.ics_method)
            session.commit()  # no transaction (no SQLite lock) while we talk to the server
            try:
                deliver(message)
            except Exception as exc:  # noqa: BLE001 - any failure is retried later
                mail = session.get(OutgoingMail, mail_id)
                mail.attempts += 1
                mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                mail.claimed_until = None
                if mail.attempts >= MAX_ATTEMPTS:
                    mail.status = "failed"
                else:
                    mail.next_attempt_at = utcnow() + backoff(mail.attempts)
                report.failed += 1
                current_app.logger.warning("Mail %s to %s failed: %s", mail_id, mail.to, exc)
            else:
                mail = session.get(OutgoingMail, mail_id)
                mail.status, mail.sent_at, mail.claimed_until = "sent", utcnow(), None
                mail.attempts += 1
                report.sent += 1
            session.commit()
    return report


# --- admin ---------------------------------------------------------------------------------


def _require_admin(actor) -> None:
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied("Only admins can see the mail queue.")


def queue_status(actor) -> dict:
    """Counts and the mails that are waiting after a failure, or gave up."""
    _require_admin(actor)
    counts = dict(
        db.session.execute(
            select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)
        ).all()
    )
    stuck = db.session.scalars(
        select(OutgoingMail)
        .where(OutgoingMail.status != "sent", OutgoingMail.attempts > 0)
        .order_by(OutgoingMail.created_at)
        .limit(200)
    ).all()
    return {"counts": counts, "stuck": stuck}


def retry(actor, mail_id: int | None = None) -> int:
    """Make failed or waiting mails due now (one, or all); returns how many."""
    _require_admin(actor)
    query = update(OutgoingMail).where(OutgoingMail.status != "sent")
    if mail_id is not None:
        if db.session.get(OutgoingMail, mail_id) is None:
            raise NotFound("No such mail.")
        query = query.where(OutgoingMail.id == mail_id)
    else:
        query = query.where(OutgoingMail.attempts > 0)
    count = db.session.execute(
        query.values(status="queued", attempts=0, next_attempt_at=utcnow(), claimed_until=None)
    ).rowcount
    db.session.commit()
    kick()
    return count


# --- delivery after commit ----------------------------------------------------------------


def drain() -> int:
    """Send everything that is due, batch after batch; returns how many went out."""
    sent = 0
    while True:
        report = send_due()
        sent += report.sent
        if report.sent + report.failed < BATCH or report.sent == 0:
            return sent


def kick() -> None:
    """Deliver soon: at once in ``inline`` mode (tests), else wake the background worker."""
    mode = current_app.config.get("MAIL_SENDER", "thread")
    if mode == "inline":
        send_due()
    elif mode == "thread":
        current_app.extensions["worker"].wake()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Also fired when a SAVEPOINT is released: wait for the outermost commit.
    if session.in_nested_transaction():
        return
    if session.info.pop("mail_queued", False):
        kick()
