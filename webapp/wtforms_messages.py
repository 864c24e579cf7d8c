"""WTForms' built-in messages through our catalog, so they show in Vietnamese too."""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations, gettext, lazy_ngettext
from flask_babel import lazy_gettext as _l


class _CatalogTranslations:
    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # WTForms fills the placeholders itself (%(value)s, %(max)d): translate only. flask_babel's
        # ngettext would format with {"num": n} and fail on any other placeholder.
        return str(get_translations().ungettext(singular, plural, n))


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
    lazy_ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    ),
)
