"""The Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from webapp.db import Database
from webapp.request_db import close_db_session
from webapp.services import engine_calendar
from webapp.services.settings import MailSettings, ServiceSettings
from webapp.url_converters import BoundedIntConverter

API_PREFIX = "/api/"


def create_app(config_object: Any) -> Flask:
    """Build the app from a config object (see config.py)."""
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = BoundedIntConverter  # ids past 64 bits are 404s, not 500s
    app.config.from_object(config_object)
    settings = ServiceSettings(
        process_key=app.config["PROCESS_KEY"],
        time_zone=app.config["TIME_ZONE"],
        token_lifetime=app.config["API_TOKEN_LIFETIME"],
        upload_dir=app.config["UPLOAD_DIR"],
        bpmn_dir=app.config["BPMN_DIR"],
        signature_trust_roots=tuple(app.config.get("SIGNATURE_TRUST_ROOTS") or ()),
        signature_check_seconds=float(app.config.get("SIGNATURE_CHECK_SECONDS", 10.0)),
        register_body=str(app.config.get("REGISTER_BODY", "STC")),
        mail=MailSettings(
            server=app.config.get("MAIL_SERVER") or None,
            port=int(app.config.get("MAIL_PORT", 25)),
            username=app.config.get("MAIL_USERNAME") or None,
            password=app.config.get("MAIL_PASSWORD") or None,
            use_tls=bool(app.config.get("MAIL_USE_TLS")),
            sender=str(app.config.get("MAIL_FROM") or "khenthuong@localhost"),
        ),
        app_base_url=str(app.config.get("APP_BASE_URL", "http://127.0.0.1:5000")).rstrip("/"),
    )
    app.extensions["service_settings"] = settings
    app.extensions["database"] = Database(
        app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False), settings=settings
    )
    app.teardown_appcontext(close_db_session)
    # The engine's timers count working days with this database's calendar (workflows.clock).
    engine_calendar.install(app.extensions["database"])

    from webapp import (
        admin,
        api,
        auth,
        cli,
        dossiers,
        health,
        i18n,
        login_limits,
        lookup,
        notifications,
        numbers,
        process_map,
        public,
        reports,
        request_log,
        rounds,
        signature_view,
        status_text,
        step_limit_text,
        vendor_assets,
        web_context,
        web_edge,
        web_errors,
        work,
    )
    from webapp.api import errors as api_errors

    # Flask fills these keys with its own defaults first: assign them, never setdefault.
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["SESSION_LIFETIME"]
    app.config["REMEMBER_COOKIE_DURATION"] = app.config["REMEMBER_LIFETIME"]
    for cookie in ("SESSION_COOKIE", "REMEMBER_COOKIE"):
        app.config[f"{cookie}_HTTPONLY"] = True
        app.config[f"{cookie}_SAMESITE"] = "Lax"
        app.config[f"{cookie}_SECURE"] = bool(app.config["COOKIE_SECURE"])
    request_log.init_app(app)  # first: its id and clock start before any other hook
    i18n.init_app(app)
    web_edge.init_app(app)
    login_limits.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(work.bp)
    app.register_blueprint(dossiers.bp)
    app.register_blueprint(process_map.bp)
    app.register_blueprint(rounds.bp)
    app.register_blueprint(lookup.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(numbers.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(vendor_assets.bp)
    app.register_blueprint(admin.bp)
    web_context.register(app)
    status_text.register(app)
    step_limit_text.register(app)
    signature_view.register(app)
    web_errors.register(app)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        # Unrouted URLs, wrong methods, oversized bodies: JSON under /api/, pages elsewhere.
        if request.path.startswith(API_PREFIX):
            return api_errors.http_error(exc)
        return web_errors.http_error_page(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        if request.path.startswith(API_PREFIX):
            return api_errors.unexpected(exc)
        return web_errors.unexpected_page(exc)

    app.after_request(security_headers)
    cli.register(app)
    return app


def security_headers(response: Response) -> Response:
    """A strict Content-Security-Policy (the modeler page relaxes style attributes itself),
    no sniffing, no referrer outside the site, and HSTS when served over HTTPS."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        # Served over HTTPS: browsers keep to HTTPS for a year (never sent over plain HTTP).
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
