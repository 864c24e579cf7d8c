"""WTForms base with session CSRF; every page form inherits it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

from webapp.wtforms_messages import CATALOG_TRANSLATIONS

# NUL and the other control characters (tab, line feed and carriage return excepted), and
# unpaired UTF-16 surrogates: no database column can hold them (PostgreSQL refuses NUL in text).
REFUSED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
REFUSED_CHARACTERS_MESSAGE = _l("This text contains characters that are not allowed.")


def has_refused_characters(text: str) -> bool:
    """Whether `text` holds a character no field may hold."""
    return REFUSED_CHARACTERS.search(text) is not None


def query_text(raw: str | None, limit: int = 200) -> str:
    """A search or filter text from a query string, its whitespace folded and cut to `limit`;
    characters no field may hold are dropped (nothing stored can contain them, so nothing is
    lost from the search)."""
    return " ".join(REFUSED_CHARACTERS.sub("", raw or "").split())[:limit]


class _RefusesControlCharacters(Form):
    """Every text the browser sent is checked: a refused character is an error on its field,
    in the page's language, before any validator or service sees it."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            raw = [v for v in (field.raw_data or []) if isinstance(v, str)]
            if any(has_refused_characters(v) for v in raw):
                field.errors = [*list(field.errors or []), str(REFUSED_CHARACTERS_MESSAGE)]
                valid = False
        return valid


class BaseForm(_RefusesControlCharacters):
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


class TranslatedForm(_RefusesControlCharacters):
    """A form nested inside another (a row, a set of ballots): no CSRF of its own, and WTForms'
    messages in the page's language."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return CATALOG_TRANSLATIONS


class ActionForm(BaseForm):
    """A POST button with nothing but the CSRF token (claim, release, log out)."""
