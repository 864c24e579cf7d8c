"""The words an exported file uses for codes and status sentences (always Vietnamese)."""

from __future__ import annotations

from flask_babel import force_locale

from webapp.dossier_view import (
    AWARD_FORM_LABELS,
    KIND_LABELS,
    NOMINEE_RESULT_LABELS,
    STATUS_LABELS,
)
from webapp.services import tracking_export
from webapp.status_text import status_text

# The file is a Vietnamese office document whatever language its reader uses the site in.
FILE_LOCALE = "vi"


def export_labels() -> tracking_export.ExportLabels:
    """Codes in Vietnamese words; status sentences through `status_text`, which the caller
    runs under force_locale(FILE_LOCALE) while the file is written."""
    with force_locale(FILE_LOCALE):
        return tracking_export.ExportLabels(
            statuses={code: str(label) for code, label in STATUS_LABELS.items()},
            award_forms={code: str(label) for code, label in AWARD_FORM_LABELS.items()},
            results={code: str(label) for code, label in NOMINEE_RESULT_LABELS.items()},
            kinds={code: str(label) for code, label in KIND_LABELS.items()},
            sentence=status_text,
        )
