"""The current rules' messages in the page's language: missing documents at the Office's check
and the check's warnings (same nominee twice, repeated award, posthumous data)."""

from __future__ import annotations

from flask_babel import gettext as _

from webapp.dossier_view import ATTACHMENT_KIND_LABELS, AWARD_FORM_LABELS
from webapp.services.award_rules_catalog import CheckWarning, MissingDocument
from webapp.services.errors import InvalidDataError


def document_label(kind: str) -> str:
    """A document kind in words."""
    return str(ATTACHMENT_KIND_LABELS.get(kind, kind))


def _missing_item(missing: MissingDocument) -> str:
    if missing.nominees:
        return _(
            "%(document)s (for %(names)s)",
            document=document_label(missing.kind),
            names=", ".join(missing.nominees),
        )
    return document_label(missing.kind)


def missing_documents_message(exc: InvalidDataError) -> str:
    """Why the Office could not approve: each missing document named."""
    missing = getattr(exc, "missing", [])
    return _(
        "The dossier cannot be approved: required documents are missing: %(documents)s. "
        "Return it to the unit for supplement, or attach them first.",
        documents="; ".join(_missing_item(m) for m in missing),
    )


def warning_text(warning: CheckWarning) -> str:
    """One warning of the check in words."""
    form = str(AWARD_FORM_LABELS.get(warning.award_form or "", warning.award_form or ""))
    if warning.kind == "duplicate_in_movement" and warning.others:
        named = {
            "name": warning.nominee,
            "code": warning.other_dossier,
            "form": form,
            "count": warning.others,
        }
        if warning.others_is_lower_bound:
            return _(
                "%(name)s is also proposed in dossier %(code)s (%(form)s) and at least "
                "%(count)s more dossiers of the same movement.",
                **named,
            )
        return _(
            "%(name)s is also proposed in dossier %(code)s (%(form)s) and %(count)s more "
            "dossiers of the same movement.",
            **named,
        )
    if warning.kind == "duplicate_in_movement":
        return _(
            "%(name)s is also proposed in dossier %(code)s (%(form)s) of the same movement.",
            name=warning.nominee,
            code=warning.other_dossier,
            form=form,
        )
    if warning.kind == "repeat_award":
        return _(
            "%(name)s received the %(form)s in %(year)s (dossier %(code)s); the rules ask for "
            "%(years)s years before the same award form again.",
            name=warning.nominee,
            form=form,
            year=warning.year,
            code=warning.other_dossier,
            years=warning.years,
        )
    if warning.kind == "posthumous_data":
        return _(
            "%(name)s is proposed posthumously without the date of death or the relative who "
            "receives the award.",
            name=warning.nominee,
        )
    if warning.kind == "required_document":
        document = document_label(warning.document or "")
        if warning.nominee:
            document = _("%(document)s (for %(names)s)", document=document, names=warning.nominee)
        return _(
            "Required and missing: %(document)s. The dossier cannot be approved without it.",
            document=document,
        )
    if warning.nominee:
        return _(
            "%(document)s of %(name)s is not attached.",
            document=document_label(warning.document or ""),
            name=warning.nominee,
        )
    return _("%(document)s is not attached.", document=document_label(warning.document or ""))
