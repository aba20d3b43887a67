"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi``."""

from mlc_events import create_app

app = create_app()
