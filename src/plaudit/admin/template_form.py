"""The template builder's form: a template as form fields, and the fields back into the API's
own schema (``TemplateCreate``), so that the dashboard refuses what the API refuses, with the
same messages, each placed beside the field that caused it.

Repeated parts (translations, skills, dynamic fields) are numbered rows (``tr-0-name``...). A
row left blank is ignored; rows keep their numbers when the form comes back with errors, so a
message about "translations.1.lang" lands on the row the user typed it in.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, get_args

from starlette.datastructures import FormData

from plaudit.admin.forms import FormErrors, checked, parse, text
from plaudit.models.template import Template, TemplateKind
from plaudit.templates import service as templates
from plaudit.templates import vocabulary as v
from plaudit.templates.layout import CertificateLayout
from plaudit.templates.schemas import DEFAULT_CERTIFICATE_FIELDS, FieldType, TemplateCreate

TRANSLATION_KEYS = ("lang", "name", "description", "criteria")
SKILL_KEYS = ("name", "url", "framework", "code", "description")
FIELD_KEYS = ("name", "label", "type", "default")
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)
EXPIRY_TYPES = ("none", "duration", "fixed_date")
MAX_TRANSLATIONS = v.MAX_LANGUAGES - 1  # beside the main language
MAX_REMINDERS = 5
LAYOUT_TEXTS = ("title", "intro", "signatory_name", "signatory_title")
IMAGE_SLOTS = ("background", "signature")

# (prefix, the keys of a row, the most rows, the keys that make a row "not blank")
ROWS: dict[str, tuple[str, tuple[str, ...], int, tuple[str, ...]]] = {
    "translations": ("tr", TRANSLATION_KEYS, MAX_TRANSLATIONS, TRANSLATION_KEYS),
    "alignments": ("al", SKILL_KEYS, v.MAX_ALIGNMENTS, SKILL_KEYS),
    "fields": ("fd", FIELD_KEYS, v.MAX_FIELDS, ("name", "label", "default")),
}


def _layout_form(layout: CertificateLayout) -> dict[str, Any]:
    return {
        "paper": layout.paper,
        "orientation": layout.orientation,
        "accent_color": layout.accent_color,
        **{name: getattr(layout, name) for name in LAYOUT_TEXTS},
        "show_fields": list(layout.show_fields),
        "show_qr": layout.show_qr,
        "show_badge_image": layout.show_badge_image,
        "background_image_id": layout.background_image_id,
        "signature_image_id": layout.signature_image_id,
    }


def _field_row(field: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": str(field.get("name") or ""),
        "label": str(field.get("label") or ""),
        "type": str(field.get("type") or "text"),
        "default": str(field.get("default") or ""),
        "required": bool(field.get("required")),
    }


def blank(kind: TemplateKind, *, language: str) -> dict[str, Any]:
    """The form of a new template: the API's defaults."""
    certificate = kind is TemplateKind.CERTIFICATE
    layout = CertificateLayout(show_fields=["course_title", "completion_date"])
    return {
        "kind": kind.value,
        "name": "",
        "description": "",
        "criteria": "",
        "criteria_url": "",
        "language": language,
        "achievement_type": "Certificate" if certificate else "Badge",
        "translations": [],
        "alignments": [],
        "fields": [_field_row(f.model_dump()) for f in DEFAULT_CERTIFICATE_FIELDS]
        if certificate
        else [],
        "layout": _layout_form(layout),
        "expiry_type": "none",
        "expiry_duration": "",
        "expiry_date": "",
        "expiry_reminders": "",
        "tags": "",
        "metadata": "",
        "sync_with_catalog": False,
        "wallet_reminder_days": "",
    }


def from_template(template: Template) -> dict[str, Any]:
    expiry = template.expiry or {"type": "none"}
    return {
        "kind": template.kind.value,
        "name": template.name,
        "description": template.description,
        "criteria": template.criteria_narrative or "",
        "criteria_url": template.criteria_url or "",
        "language": template.default_language,
        "achievement_type": template.achievement_type,
        "translations": [
            {key: str(t.get(key) or "") for key in TRANSLATION_KEYS} for t in template.translations
        ],
        "alignments": [
            {key: str(a.get(key) or "") for key in SKILL_KEYS} for a in template.alignments
        ],
        "fields": [_field_row(f) for f in template.fields],
        "layout": _layout_form(templates.layout_of(template) or CertificateLayout()),
        "expiry_type": str(expiry.get("type", "none")),
        "expiry_duration": str(expiry.get("duration", "")),
        "expiry_date": str(expiry.get("date", "")),
        "expiry_reminders": ", ".join(str(d) for d in expiry.get("reminder_days") or []),
        "tags": ", ".join(t.name for t in ordered_tags(template)),
        "metadata": json.dumps(template.metadata_, indent=2, ensure_ascii=False)
        if template.metadata_
        else "",
        "sync_with_catalog": template.sync_with_catalog,
        "wallet_reminder_days": str(template.wallet_reminder_days or ""),
    }


def ordered_tags(template: Template) -> list[Any]:
    return sorted(template.tags, key=lambda t: (t.priority, t.name.lower()))


def _rows(form: FormData, section: str) -> list[dict[str, Any]]:
    """Every numbered row the form sent, blank ones included (they keep their numbers)."""
    prefix, keys, limit, _ = ROWS[section]
    rows: list[dict[str, Any]] = []
    for i in range(limit):
        if not any(f"{prefix}-{i}-{key}" in form for key in keys):
            break
        row: dict[str, Any] = {key: text(form, f"{prefix}-{i}-{key}") for key in keys}
        if section == "fields":
            row["required"] = checked(form, f"{prefix}-{i}-required")
        rows.append(row)
    return rows


def is_blank(section: str, row: Mapping[str, Any]) -> bool:
    return not any(row.get(key) for key in ROWS[section][3])


def from_post(form: FormData, *, kind: TemplateKind) -> dict[str, Any]:
    """What the user sent, as the form shows it (to show it again when something is wrong)."""
    kept: dict[str, Any] = {
        key: text(form, key)
        for key in (
            "name",
            "criteria_url",
            "language",
            "achievement_type",
            "expiry_type",
            "expiry_duration",
            "expiry_date",
            "expiry_reminders",
            "tags",
            "wallet_reminder_days",
        )
    }
    # Long texts keep their line breaks and inner spacing, as typed.
    for key in ("description", "criteria", "metadata"):
        value = form.get(key)
        kept[key] = value.strip() if isinstance(value, str) else ""
    kept["kind"] = kind.value
    for section in ROWS:
        kept[section] = _rows(form, section)
    kept["layout"] = {
        **{name: text(form, f"layout_{name}") for name in ("paper", "orientation")},
        "accent_color": text(form, "layout_accent_color"),
        **{name: text(form, f"layout_{name}") for name in LAYOUT_TEXTS},
        "show_fields": [s for s in form.getlist("layout_show_fields") if isinstance(s, str)],
        "show_qr": checked(form, "layout_show_qr"),
        "show_badge_image": checked(form, "layout_show_badge_image"),
        "background_image_id": None,
        "signature_image_id": None,
    }
    kept["sync_with_catalog"] = checked(form, "sync_with_catalog")
    return kept


def with_blank_rows(form: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each section's rows plus one blank row to type a new one in (while there is room)."""
    shown: dict[str, list[dict[str, Any]]] = {}
    for section, (_, keys, limit, _) in ROWS.items():
        rows = list(form[section])
        if len(rows) < limit and (not rows or not is_blank(section, rows[-1])):
            empty: dict[str, Any] = dict.fromkeys(keys, "")
            if section == "fields":
                empty.update(type="text", required=False)
            rows.append(empty)
        shown[section] = rows
    return shown


def _tags(typed: str, previous: Template | None) -> list[dict[str, Any]]:
    """Comma-separated names, first shown first. An unchanged list keeps the priorities it
    had (so saving without a change leaves nothing to publish); a new order numbers them."""
    names = [n.strip() for n in typed.replace("\n", ",").split(",") if n.strip()]
    if previous is not None:
        before = ordered_tags(previous)
        if [t.name for t in before] == names:
            return [{"name": t.name, "priority": t.priority} for t in before]
    return [{"name": name, "priority": rank} for rank, name in enumerate(names)]


def _reminders(typed: str, errors: FormErrors) -> list[Any] | None:
    if not typed:
        return None
    parts = [p.strip() for p in typed.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        errors.add("expiry_reminders", "Enter whole numbers of days, separated by commas: 30, 7.")
        return None
    return [int(p) for p in parts]


def _expiry(form: Mapping[str, Any], errors: FormErrors) -> dict[str, Any]:
    chosen = form["expiry_type"] or "none"
    if chosen == "none":
        return {"type": "none"}
    expiry: dict[str, Any] = {"type": chosen}
    if chosen == "duration" and form["expiry_duration"]:
        expiry["duration"] = form["expiry_duration"].upper()
    if chosen == "fixed_date" and form["expiry_date"]:
        expiry["date"] = form["expiry_date"]
    reminders = _reminders(form["expiry_reminders"], errors)
    if reminders is not None:
        expiry["reminder_days"] = reminders
    return expiry


def _metadata(typed: str, errors: FormErrors) -> dict[str, Any]:
    if not typed:
        return {}
    try:
        value = json.loads(typed)
    except json.JSONDecodeError as exc:
        errors.add("metadata", f"This is not valid JSON: {exc.msg} (line {exc.lineno}).")
        return {}
    if not isinstance(value, dict):
        errors.add("metadata", 'Enter a JSON object, such as {"course": "safety-101"}.')
        return {}
    return value


def _accent(typed: str, previous: str | None) -> str:
    # Browsers send colours in lower case: an unchanged colour keeps the case it was saved in.
    if previous and typed.lower() == previous.lower():
        return previous
    return typed


def to_schema(
    form: Mapping[str, Any],
    *,
    kind: TemplateKind,
    previous: Template | None,
    layout_images: Mapping[str, uuid.UUID | None],
) -> tuple[TemplateCreate | None, FormErrors]:
    """Validate with the API's schema for a new template; for an edit, the caller turns the
    result into a ``TemplateUpdate`` that sends every field."""
    extra = FormErrors()
    aliases: dict[str, str] = {
        "": "translations",  # the schema's whole-object check: a language given twice
        "criteria.narrative": "criteria",
        "criteria.url": "criteria_url",
        "expiry.duration.duration": "expiry_duration",
        "expiry.fixed_date.date": "expiry_date",
    }
    for expiry_type in ("duration", "fixed_date"):
        aliases[f"expiry.{expiry_type}.reminder_days"] = "expiry_reminders"
        for n in range(MAX_REMINDERS + 1):
            aliases[f"expiry.{expiry_type}.reminder_days.{n}"] = "expiry_reminders"
    lists: dict[str, list[dict[str, Any]]] = {}
    for section, (prefix, keys, _, _) in ROWS.items():
        kept = [(i, row) for i, row in enumerate(form[section]) if not is_blank(section, row)]
        for k, (i, _) in enumerate(kept):
            aliases[f"{section}.{k}"] = f"{prefix}-{i}-{keys[0]}"
            for key in (*keys, "required"):
                aliases[f"{section}.{k}.{key}"] = f"{prefix}-{i}-{key}"
        lists[section] = [row for _, row in kept]
    data: dict[str, Any] = {
        "kind": kind.value,
        "name": form["name"],
        "description": form["description"],
        "criteria": {"narrative": form["criteria"] or None, "url": form["criteria_url"] or None},
        "achievement_type": form["achievement_type"] or None,
        "language": form["language"] or None,
        "translations": [
            {
                "lang": row["lang"],
                "name": row["name"],
                "description": row["description"],
                "criteria": row["criteria"] or None,
            }
            for row in lists["translations"]
        ],
        "alignments": [
            {key: row[key] or None for key in SKILL_KEYS} for row in lists["alignments"]
        ],
        "tags": _tags(form["tags"], previous),
        "expiry": _expiry(form, extra),
        "metadata": _metadata(form["metadata"], extra),
        # Empty is never; anything else goes to the schema, which refuses it in the API's words.
        "wallet_reminder_days": form["wallet_reminder_days"] or None,
    }
    if kind is TemplateKind.CERTIFICATE:
        fields = [
            {
                "name": row["name"],
                "label": row["label"],
                "type": row["type"] or "text",
                "required": row["required"],
                "default": row["default"] or None,
            }
            for row in lists["fields"]
        ]
        data["fields"] = fields
        layout = form["layout"]
        before = templates.layout_of(previous) if previous is not None else None
        declared = [f["name"] for f in fields]
        data["layout"] = {
            "paper": layout["paper"] or "a4",
            "orientation": layout["orientation"] or "landscape",
            "accent_color": _accent(
                layout["accent_color"], before.accent_color if before else None
            ),
            **{name: layout[name] for name in LAYOUT_TEXTS},
            # A field removed from the template stops being shown, rather than refusing both.
            "show_fields": [name for name in declared if name in layout["show_fields"]],
            "show_qr": layout["show_qr"],
            "show_badge_image": layout["show_badge_image"],
            **{f"{slot}_image_id": layout_images.get(slot) for slot in IMAGE_SLOTS},
        }
        for name in CertificateLayout.model_fields:
            aliases[f"layout.{name}"] = f"layout_{name}"
        for slot in IMAGE_SLOTS:
            aliases[f"layout.{slot}_image_id"] = f"layout_{slot}"
    body, errors = parse(TemplateCreate, data, aliases=aliases)
    for name, message in extra.fields.items():
        errors.add(name, message)
    if extra:
        return None, errors
    return body, errors


def names_in(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(row["name"]) for row in rows if row.get("name")]
