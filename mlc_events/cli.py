"""Command-line tools: ``seed-demo`` and ``users create``."""

from __future__ import annotations

import sys

import click
from flask import Flask

from .errors import ValidationFailed

# The service names form fields; on the command line they are options.
FIELD_NAMES = {
    "email": "EMAIL",
    "display_name": "--name",
    "password": "--password",
    "role": "--role",
}


def register_cli(app: Flask) -> None:
    users = click.Group("users", help="Manage members.")

    @users.command("create")
    @click.argument("email")
    @click.option("--name", required=True, help="Display name.")
    @click.option("--password", required=True, help="Password (at least 8 characters).")
    @click.option(
        "--role",
        type=click.Choice(["member", "host", "admin"]),
        default="member",
        show_default=True,
    )
    def create_user(email: str, name: str, password: str, role: str) -> None:
        """Create a user."""
        from .auth.services import create_user as create

        try:
            user = create(email, name, password, role)
        except ValidationFailed as exc:
            detail = "; ".join(
                f"{FIELD_NAMES.get(field, field)}: {message}"
                for field, message in exc.field_errors.items()
            )
            raise click.ClickException(
                f"Could not create {email}. {exc.message} ({detail})" if detail else exc.message
            ) from exc
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")

    app.cli.add_command(users)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Add demo members and events (idempotent)."""
        from .seed import seed

        report = seed()
        click.echo(report)


def register_mail_cli(app: Flask) -> None:
    mail = click.Group("mail", help="The outgoing mail queue.")

    @mail.command("send-queued")
    def send_queued() -> None:
        """Send the queued mails that are due (for cron; the server also does this)."""
        from .outbox.services import BATCH, send_due

        sent = failed = 0
        while True:
            report = send_due()
            sent, failed = sent + report.sent, failed + report.failed
            if report.sent + report.failed < BATCH or report.sent == 0:
                break
        click.echo(f"Sent {sent} mail(s); {failed} failed and will be retried later.")
        if failed and not sent:
            raise SystemExit(1)

    app.cli.add_command(mail)

    series = click.Group("series", help="Recurring series.")

    @series.command("extend")
    def extend() -> None:
        """Create the upcoming instances of every series (the server also does this hourly)."""
        from .series.services import extend_all

        click.echo(f"Created {extend_all()} new event(s).")

    app.cli.add_command(series)


def register_import_cli(app: Flask) -> None:
    events = click.Group("events", help="Events: bring them in from other calendars.")

    @events.command("import")
    @click.argument("source", metavar="FILE_OR_URL")
    @click.option("--kind", default="talk", show_default=True, help="Kind of the new events.")
    @click.option(
        "--host", "host_email", metavar="EMAIL", help="Their host (default: the first admin)."
    )
    def import_events(source: str, kind: str, host_email: str | None) -> None:
        """Import an iCalendar export (Google, Luma, Outlook) from a file or an http(s) URL.

        Recurring events are expanded (moved and cancelled instances included). Running it
        again updates what changed and creates no duplicates.
        """
        from .imports.services import (
            check_kind,
            find_host,
            import_calendar,
            load_source,
            read_calendar,
        )

        try:
            check_kind(kind)
            host = find_host(host_email)
            calendar = read_calendar(load_source(source))
        except ValidationFailed as exc:
            raise click.ClickException(exc.message) from exc
        if not calendar.events:
            click.echo(f"{source} has no events: nothing to import.")
            return
        with click.progressbar(
            length=len(calendar.events), label="Importing events", file=sys.stderr
        ) as bar:
            report = import_calendar(calendar, kind, host, progress=bar.update)
        name = f' "{report.calendar_name}"' if report.calendar_name else ""
        click.echo(f"Imported{name} from {source} for {host.email}: {report.summary()}")
        if report.skipped:
            click.echo("Skipped:")
            for label, reason in report.skipped:
                click.echo(f"  - {label}: {reason}")
        for note in report.notes:
            click.echo(f"Note: {note}")
        if report.nothing_read:
            click.echo("Error: nothing could be imported.", err=True)
            raise SystemExit(1)

    app.cli.add_command(events)
