"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import config
from webapp import create_app

app = create_app(config.from_env())
