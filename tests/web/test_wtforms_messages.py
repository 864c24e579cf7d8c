"""WTForms' own messages go through the catalog without flask_babel formatting them first."""

from __future__ import annotations

from flask import session
from wtforms import Form, SelectMultipleField
from wtforms.fields.choices import SelectChoice

from webapp.wtforms_messages import CATALOG_TRANSLATIONS


class _Choices(Form):
    picked = SelectMultipleField(choices=[SelectChoice("a", "A"), SelectChoice("b", "B")])

    class Meta:
        def get_translations(self, form):
            return CATALOG_TRANSLATIONS


def test_a_forged_choice_in_a_multi_select_is_a_field_error_not_a_crash(app):
    from werkzeug.datastructures import MultiDict

    for lang in ("vi", "en"):
        with app.test_request_context("/"):
            session["lang"] = lang
            form = _Choices(MultiDict([("picked", "a"), ("picked", "forged")]))
            assert not form.validate()
            [message] = form.picked.errors
            assert "forged" in message
