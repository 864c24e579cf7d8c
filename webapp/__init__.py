"""The Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.db import Database
from webapp.request_db import close_db_session
from webapp.services.calendar import load_holidays
from webapp.services.settings import ServiceSettings


def create_app(config_object: Any) -> Flask:
    """Build the app from a config object (see config.py)."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_object)
    settings = ServiceSettings(
        process_key=app.config["PROCESS_KEY"],
        time_zone=app.config["TIME_ZONE"],
        holidays=load_holidays(str(app.config["HOLIDAYS_FILE"])),
        token_lifetime=app.config["API_TOKEN_LIFETIME"],
        upload_dir=app.config["UPLOAD_DIR"],
        bpmn_dir=app.config["BPMN_DIR"],
    )
    app.extensions["service_settings"] = settings
    app.extensions["database"] = Database(
        app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False), settings=settings
    )
    app.teardown_appcontext(close_db_session)

    from webapp import api, cli, health
    from webapp.api import errors as api_errors

    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    for status in (404, 405, 413):
        app.register_error_handler(status, api_errors.api_not_found)
    cli.register(app)
    return app
