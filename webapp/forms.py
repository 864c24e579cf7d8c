"""WTForms base with session CSRF; every page form inherits it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, session
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

from webapp.wtforms_messages import CATALOG_TRANSLATIONS


class BaseForm(Form):
    """A form whose POST must carry the CSRF token of the user's session."""

    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_time_limit = timedelta(hours=8)

        @property
        def csrf_secret(self) -> bytes:
            return str(current_app.config["SECRET_KEY"]).encode("utf-8")

        @property
        def csrf_context(self) -> Any:
            return session

        def get_translations(self, form: Any) -> Any:
            # WTForms' own messages ("This field is required.") in the page's language.
            return CATALOG_TRANSLATIONS


class TranslatedForm(Form):
    """A form nested inside another (a row, a set of ballots): no CSRF of its own, and WTForms'
    messages in the page's language."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return CATALOG_TRANSLATIONS


class ActionForm(BaseForm):
    """A POST button with nothing but the CSRF token (claim, release, log out)."""
