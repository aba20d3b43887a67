"""Command-line tools: ``seed-demo`` and ``users create``."""

from __future__ import annotations

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
