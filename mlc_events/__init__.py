"""mlc-events: events, RSVPs, calendars and live research jams."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    init_config(app, test_config)
    init_proxy(app)
    init_extensions(app)
    init_blueprints(app)
    init_templates(app)
    init_cli(app)
    return app


def init_config(app: Flask, test_config: dict | None) -> None:
    from .config import load_config

    instance = Path((test_config or {}).get("INSTANCE_PATH", app.instance_path))
    app.instance_path = str(instance)
    app.config.from_mapping(load_config(instance))
    if test_config:
        app.config.from_mapping(test_config)


def init_proxy(app: Flask) -> None:
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (every model registered before migrations look)
    from .background import init_background
    from .database import configure_sqlite
    from .errors import register_error_handlers
    from .extensions import csrf, db, htmx, login_manager, migrate
    from .fragments import init_fragments
    from .live.services import init_live
    from .security import init_security_headers

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(session_id: str):
        from .auth.models import User

        # "<id>.<password fingerprint>": changing the password signs out every other device.
        user_id, _, fingerprint = session_id.partition(".")
        if not user_id.isdigit() or len(user_id) > 10:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.password_fingerprint != fingerprint:
            return None
        return user

    @login_manager.unauthorized_handler
    def _unauthorized():
        from .errors import login_redirect

        return login_redirect()

    register_error_handlers(app)
    init_security_headers(app)
    init_background(app)
    init_live(app)
    init_fragments(app)


def init_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .auth.views import account_bp
    from .auth.views import bp as auth_bp
    from .events.views import bp as events_bp
    from .feeds.views import bp as feeds_bp
    from .jams.views import bp as jams_bp
    from .live.views import bp as live_bp
    from .main import bp as main_bp
    from .series.views import bp as series_bp
    from .sessions.views import bp as sessions_bp

    for bp in (
        main_bp,
        auth_bp,
        account_bp,
        events_bp,
        jams_bp,
        sessions_bp,
        series_bp,
        feeds_bp,
        live_bp,
        admin_bp,
    ):
        app.register_blueprint(bp)


def init_templates(app: Flask) -> None:
    from .templating import register_template_helpers

    register_template_helpers(app)


def init_cli(app: Flask) -> None:
    from .cli import register_cli, register_import_cli, register_mail_cli

    register_cli(app)
    register_mail_cli(app)
    register_import_cli(app)
