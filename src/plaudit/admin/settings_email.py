"""Dashboard settings: email (SMTP, sender, admin copies, a test email) and the organization's
own email templates per topic, with a preview."""

from __future__ import annotations

from typing import Any, get_args

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from plaudit.admin.forms import FormErrors, checked, errors_from, parse, text, values
from plaudit.admin.settings_common import SETTINGS, page, sub_router
from plaudit.admin.web import SECURITY_HEADERS, Admin, Editor, FormDep, Viewer, env, redirect
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.delivery import queries as delivery_queries
from plaudit.errors import InvalidInput, NotFound
from plaudit.models.delivery import Channel, EmailSettings
from plaudit.notifications import compose
from plaudit.notifications import queries as notification_queries
from plaudit.notifications import service as notifications
from plaudit.notifications.routes import TestEmailIn
from plaudit.notifications.schemas import EmailSettingsIn, Topic
from plaudit.organizations import service as organizations

router = sub_router()

TOPICS: tuple[str, ...] = get_args(Topic)
TOPIC_LABELS = {
    "credential.issued": "Credential issued (to the learner)",
    "credential.expiring": "Credential expiring soon (to the learner)",
    "credential.expired": "Credential expired (to the learner)",
    "credential.suspended": "Credential suspended (to the learner)",
    "credential.revoked": "Credential revoked (to the learner)",
    "credential.claim_reminder": "Not added to a wallet yet (to the learner)",
    "admin.digest": "Daily digest (to admins)",
    "webhook.disabled": "Webhook endpoint disabled (to admins)",
}
SECURITY_CHOICES = [
    ("", "The instance's setting"),
    ("starttls", "STARTTLS (usually port 587)"),
    ("tls", "TLS (usually port 465)"),
    ("none", "None (local relays only)"),
]
ADMIN_CHOICES = [
    ("off", "Nothing"),
    ("copy", "A copy of every learner email"),
    ("digest", "A daily digest"),
]
# The preview's own policy: the email's inline styles may apply, nothing may run or load.
PREVIEW_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
        "frame-ancestors 'self'"
    ),
}


def _stored(row: EmailSettings | None) -> dict[str, Any]:
    """The settings as the API's input, so that a page changing part of them keeps the rest."""
    if row is None:
        return {}
    return {
        "enabled": row.enabled,
        "smtp_host": row.smtp_host,
        "smtp_port": row.smtp_port,
        "smtp_security": row.smtp_security,
        "smtp_username": row.smtp_username,
        "from_address": row.from_address,
        "from_name": row.from_name,
        "reply_to": row.reply_to,
        "admin_notifications": row.admin_notifications,
        "admin_emails": list(row.admin_emails or []),
        "topics_off": list(row.topics_off or []),
        "templates": dict(row.templates or {}),
    }


def _settings_form(row: EmailSettings | None) -> dict[str, Any]:
    stored = _stored(row)
    form: dict[str, Any] = {
        key: "" if value is None else str(value)
        for key, value in stored.items()
        if key not in ("admin_emails", "topics_off", "templates", "enabled")
    }
    form["smtp_port"] = str(stored.get("smtp_port") or "")
    form["admin_emails"] = "\n".join(stored.get("admin_emails", []))
    form["enabled"] = stored.get("enabled", True)
    off = set(stored.get("topics_off", []))
    form["topics_on"] = [t for t in TOPICS if t not in off]
    form.setdefault("admin_notifications", "off")
    return form


def _email_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    test_to: str | None = None,
    status: int = 200,
) -> Response:
    row = notification_queries.email_settings(session, admin.organization_id)
    recent = delivery_queries.latest(
        session, organization_id=admin.organization_id, channel=Channel.EMAIL, topic="test", limit=5
    )
    return page(
        request,
        admin,
        "admin/settings_email.html",
        "email",
        {
            "form": form if form is not None else _settings_form(row),
            "errors": errors or FormErrors(),
            "has_password": row is not None and row.smtp_password_sealed is not None,
            "security_choices": SECURITY_CHOICES,
            "admin_choices": ADMIN_CHOICES,
            "topics": [(t, TOPIC_LABELS[t]) for t in TOPICS],
            "test_to": test_to if test_to is not None else admin.user.email,
            "recent": recent,
        },
        status=status,
    )


@router.get("/settings/email")
def email_settings(request: Request, admin: Viewer, session: SessionDep) -> Response:
    return _email_page(request, admin, session)


def _posted_settings(form: FormData, stored: dict[str, Any]) -> dict[str, Any]:
    port = text(form, "smtp_port")
    chosen = set(form.getlist("topics_on"))
    data: dict[str, Any] = {
        **stored,
        "enabled": checked(form, "enabled"),
        "smtp_host": text(form, "smtp_host") or None,
        "smtp_port": port or None,
        "smtp_security": text(form, "smtp_security") or None,
        "smtp_username": text(form, "smtp_username") or None,
        "from_address": text(form, "from_address") or None,
        "from_name": text(form, "from_name") or None,
        "reply_to": text(form, "reply_to") or None,
        "admin_notifications": text(form, "admin_notifications") or "off",
        "admin_emails": [
            a.strip() for a in text(form, "admin_emails").replace(",", "\n").split() if a.strip()
        ],
        "topics_off": [t for t in TOPICS if t not in chosen],
    }
    password = form.get("smtp_password")
    if checked(form, "remove_password"):
        data["smtp_password"] = ""
    elif isinstance(password, str) and password:
        data["smtp_password"] = password
    return data


@router.post("/settings/email")
def save_email_settings(
    request: Request, admin: Editor, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    row = notification_queries.email_settings(session, admin.organization_id)
    body, errors = parse(EmailSettingsIn, _posted_settings(form, _stored(row)))
    if errors or body is None:
        kept: dict[str, Any] = values(form)
        kept.pop("smtp_password", None)  # a password is never sent back to the browser
        kept["enabled"] = checked(form, "enabled")
        kept["topics_on"] = form.getlist("topics_on")
        return _email_page(request, admin, session, form=kept, errors=errors, status=422)
    notifications.save_settings(
        session, runtime.vault, organization_id=admin.organization_id, data=body
    )
    return redirect(f"{SETTINGS}/email", flash="The email settings were saved.")


@router.post("/settings/email/test")
def send_test_email(
    request: Request, admin: Editor, form: FormDep, session: SessionDep
) -> Response:
    body, errors = parse(TestEmailIn, {"to": text(form, "to")})
    if errors or body is None:
        return _email_page(
            request, admin, session, errors=errors, test_to=text(form, "to"), status=422
        )
    notifications.send_test_email(session, organization_id=admin.organization_id, to=str(body.to))
    return redirect(
        f"{SETTINGS}/email",
        flash=f"A test email to {body.to} is on its way; its result shows below in a moment.",
    )


# --- templates ---------------------------------------------------------------------------


def _topic(topic: str) -> str:
    if topic not in TOPICS:
        raise NotFound(f"There is no email topic '{topic}'. Topics: {', '.join(TOPICS)}.")
    return topic


@router.get("/settings/email/templates")
def email_templates(request: Request, admin: Viewer, session: SessionDep) -> Response:
    row = notification_queries.email_settings(session, admin.organization_id)
    custom = (row.templates or {}) if row is not None else {}
    return page(
        request,
        admin,
        "admin/settings_templates.html",
        "templates",
        {
            "topics": [(t, TOPIC_LABELS[t], sorted(custom.get(t, {}))) for t in TOPICS],
        },
    )


def _template_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    topic: str,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    row = notification_queries.email_settings(session, admin.organization_id)
    saved: dict[str, str] = ((row.templates or {}) if row is not None else {}).get(topic, {})
    return page(
        request,
        admin,
        "admin/settings_template.html",
        "templates",
        {
            "topic": topic,
            "label": TOPIC_LABELS[topic],
            "form": form if form is not None else {p: saved.get(p, "") for p in compose.PARTS},
            "errors": errors or FormErrors(),
            "custom": bool(saved),
            "variables": sorted(compose.variables(_sample(topic, "Your organization"))),
        },
        status=status,
    )


@router.get("/settings/email/templates/{topic}")
def email_template(request: Request, topic: str, admin: Viewer, session: SessionDep) -> Response:
    return _template_page(request, admin, session, _topic(topic))


def _posted_parts(form: FormData) -> dict[str, str]:
    parts = {}
    for name in compose.PARTS:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            parts[name] = value.replace("\r\n", "\n")
    return parts


def check_parts(parts: dict[str, str]) -> FormErrors:
    """compose.check_override part by part, so each message sits beside its own field."""
    errors = FormErrors()
    for name, source in parts.items():
        try:
            compose.check_override({name: source})
        except ValueError as exc:
            errors.add(name, str(exc).removeprefix(f"{name}: "))
    if errors:
        errors.add("", "The template does not compile; see the messages beside the fields.")
    return errors


@router.post("/settings/email/templates/{topic}")
def save_email_template(
    request: Request,
    topic: str,
    admin: Editor,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    topic = _topic(topic)
    row = notification_queries.email_settings(session, admin.organization_id)
    stored = _stored(row)
    templates = dict(stored.get("templates", {}))
    parts = {} if text(form, "action") == "reset" else _posted_parts(form)
    errors = check_parts(parts)
    if errors:
        return _template_page(
            request, admin, session, topic, form=values(form), errors=errors, status=422
        )
    if parts:
        templates[topic] = parts
    else:
        templates.pop(topic, None)
    body, errors = parse(EmailSettingsIn, {**stored, "templates": templates})
    if body is None:
        return _template_page(
            request, admin, session, topic, form=values(form), errors=errors, status=422
        )
    try:
        notifications.save_settings(
            session, runtime.vault, organization_id=admin.organization_id, data=body
        )
    except InvalidInput as exc:
        return _template_page(
            request, admin, session, topic, form=values(form), errors=errors_from(exc), status=422
        )
    done = "saved" if parts else "reset: the default email is sent"
    return redirect(
        f"{SETTINGS}/email/templates/{topic}", flash=f"The {TOPIC_LABELS[topic]} email was {done}."
    )


def _sample(topic: str, issuer: str, lang: str = "en") -> compose.Facts:
    """Made-up facts that show every part of the email."""
    extra: dict[str, Any] = {}
    if topic == "admin.digest":
        extra = {"paragraphs": ["credential.issued: 12", "credential.revoked: 1"]}
    elif topic == "webhook.disabled":
        extra = {
            "paragraphs": [
                "URL: https://example.org/hooks",
                "Why: it failed for 3 days",
                "Last answer: 500",
            ]
        }
    return compose.Facts(
        topic=topic,
        lang=lang,
        issuer=issuer,
        credential="Sample Credential",
        description="What the credential says about its holder.",
        learner_name="Alex Example",
        credential_url="https://example.org/credentials/sample",
        wallet_url="https://example.org/wallet/sample",
        claim_url="https://example.org/claims/sample?iuv=1"
        if topic == "credential.claim_reminder"
        else None,
        unsubscribe_url="https://example.org/unsubscribe/sample"
        if topic.startswith("credential.")
        else None,
        expires_on="2030-01-31",
        days_left=30,
        reason="An example reason"
        if topic in ("credential.suspended", "credential.revoked")
        else None,
        extra=extra,
    )


def _preview(
    session: SessionDep, admin: Admin, topic: str, parts: dict[str, str] | None
) -> HTMLResponse:
    org = organizations.get(session, admin.organization_id)
    facts = _sample(topic, org.name, org.default_language)
    error: str | None = None
    subject = text_part = html = ""
    errors = check_parts(parts or {})
    if errors:
        error = "; ".join(f"{k}: {v}" for k, v in errors.fields.items() if k)
    else:
        try:
            subject, text_part, html = compose.render(facts, parts or None)
        except Exception as exc:  # a person's template: whatever fails is shown to them
            error = f"The template fails when it runs: {exc}"
    body = env.get_template("admin/settings_preview.html").render(
        subject=subject, text=text_part, html=html, error=error
    )
    return HTMLResponse(body, headers=PREVIEW_HEADERS)


@router.get("/settings/email/templates/{topic}/preview")
def preview_saved(topic: str, admin: Viewer, session: SessionDep) -> Response:
    topic = _topic(topic)
    row = notification_queries.email_settings(session, admin.organization_id)
    saved = ((row.templates or {}) if row is not None else {}).get(topic)
    return _preview(session, admin, topic, saved)


@router.post("/settings/email/templates/{topic}/preview")
def preview_typed(topic: str, admin: Editor, form: FormDep, session: SessionDep) -> Response:
    """What the form's current text makes, with sample facts (nothing is saved)."""
    return _preview(session, admin, _topic(topic), _posted_parts(form))
