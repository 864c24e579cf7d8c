"""WTForms' built-in messages through our catalog, so they show in Vietnamese too."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_ngettext, ngettext
from flask_babel import lazy_gettext as _l


class _CatalogTranslations:
    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)


CATALOG_TRANSLATIONS: Any = _CatalogTranslations()

# The WTForms messages our forms can show; listed here so that `make extract` puts them in the
# catalog (they live in WTForms' code, which the extractor does not read).
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid date value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid input."),
    _l("Invalid CSRF Token."),
    _l("CSRF token missing."),
    _l("CSRF failed."),
    _l("CSRF token expired."),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
)
