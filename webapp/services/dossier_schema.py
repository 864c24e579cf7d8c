"""The shape of a new dossier (API and web), as JSON Schema."""

from __future__ import annotations

from typing import Any

AWARD_FORMS = {
    "bk_btc": "Bằng khen của Bộ trưởng Bộ Tài chính",
    "bk_ttg": "Bằng khen của Thủ tướng Chính phủ",
    "hcld_1": "Huân chương Lao động hạng Nhất",
    "hcld_2": "Huân chương Lao động hạng Nhì",
    "hcld_3": "Huân chương Lao động hạng Ba",
}
TRACKS = {"ad_hoc": "Thành tích đột xuất", "interim": "Sơ kết", "final": "Tổng kết"}
PROCEDURES = {"regular": "Thủ tục thông thường", "simplified": "Thủ tục đơn giản"}

# Ids are INTEGER columns: 32-bit on PostgreSQL, which refuses a larger value with an error.
MAX_ID = 2**31 - 1

NOMINEE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "name"],
    "properties": {
        "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "kind": {"type": "string", "enum": ["individual", "collective"]},
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
        "position": {"type": ["string", "null"], "maxLength": 300},
        "gender": {"type": ["string", "null"], "enum": ["male", "female", None]},
        "birth_date": {"type": ["string", "null"], "format": "date"},
        "staff_category": {"type": ["string", "null"], "enum": ["manager", "frontline", None]},
        "posthumous": {"type": "boolean"},
        "achievement": {"type": ["string", "null"], "maxLength": 8000},
        # For the report templates: the individual's unit, a posthumous award's date of death
        # and receiving relative, the organisation unit a collective is.
        "unit": {"type": ["string", "null"], "maxLength": 300},
        "death_date": {"type": ["string", "null"], "format": "date"},
        "next_of_kin": {"type": ["string", "null"], "maxLength": 300},
        "org_unit_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
    },
}

DOSSIER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "award_form", "track", "procedure", "nominees"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": r"\S"},
        "award_form": {"type": "string", "enum": list(AWARD_FORMS)},
        "track": {"type": "string", "enum": list(TRACKS)},
        "procedure": {"type": "string", "enum": list(PROCEDURES)},
        "simplified_reason": {"type": ["string", "null"], "maxLength": 2000},
        "simplified_case": {"type": ["string", "null"], "maxLength": 40},
        "movement_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
        "nominees": {"type": "array", "minItems": 1, "maxItems": 200, "items": NOMINEE_SCHEMA},
    },
    "allOf": [
        {
            # The simplified procedure names its case of the current list; a client that still
            # sends only the free-text reason (the older contract) is accepted.
            "if": {"properties": {"procedure": {"const": "simplified"}}, "required": ["procedure"]},
            "then": {
                "anyOf": [
                    {
                        "required": ["simplified_case"],
                        "properties": {"simplified_case": {"type": "string", "minLength": 1}},
                    },
                    {
                        "required": ["simplified_reason"],
                        "properties": {"simplified_reason": {"type": "string", "pattern": r"\S"}},
                    },
                ]
            },
        }
    ],
}
