"""Compose notification emails from their facts: default templates, or the organization's own.

The organization's templates are Jinja2 run in a sandbox (no attribute tricks, no imports),
autoescaped for HTML; they see the same variables as the defaults (docs/notifications.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from plaudit.notifications.messages import words
from plaudit.templates.localize import direction, format_date, format_number

_DEFAULTS = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
_SANDBOX_HTML = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
_SANDBOX_TEXT = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
PARTS = ("subject", "text", "html")
MAX_TEMPLATE = 50_000


@dataclass(frozen=True)
class Facts:
    """Everything an email may say. Text here is the user's: it is escaped in HTML."""

    topic: str
    lang: str
    issuer: str
    credential: str = ""
    description: str = ""
    learner_name: str = ""
    credential_url: str | None = None
    wallet_url: str | None = None
    claim_url: str | None = None
    tx_code: str | None = None
    unsubscribe_url: str | None = None
    expires_on: str | None = None
    days_left: int | None = None
    reason: str | None = None
    certificate: bool = False
    copy_of: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


def _local_date(text: str | None, lang: str) -> str:
    """An ISO date ("2026-12-04", or followed by a time: "2026-12-04 10:30 UTC") written as a
    reader of `lang` writes it; any other text as it is."""
    if not text:
        return ""
    day, space, rest = text.partition(" ")
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return text
    return format_date(parsed, lang) + space + rest


def variables(facts: Facts) -> dict[str, Any]:
    w = words(facts.lang)
    fmt = {
        "credential": facts.credential,
        "issuer": facts.issuer,
        "days": format_number(facts.days_left, facts.lang) if facts.days_left is not None else "",
        "date": _local_date(facts.expires_on, facts.lang),
    }
    topic = facts.topic
    paragraphs = [w.get(f"{topic}.intro", "").format(**fmt)] if f"{topic}.intro" in w else []
    paragraphs += [str(p) for p in facts.extra.get("paragraphs", [])]
    if topic == "credential.issued" and facts.expires_on:
        paragraphs.append(w["credential.issued.expires"].format(**fmt))
    if facts.reason:
        paragraphs.append(w["reason"].format(reason=facts.reason))
    if facts.certificate:
        paragraphs.append(w["credential.issued.certificate"])
    return {
        "topic": topic,
        "lang": facts.lang,
        "dir": direction(facts.lang),
        "subject": w.get(f"{topic}.subject", facts.extra.get("subject", topic)).format(**fmt),
        "greeting": (
            w["greeting"].format(name=facts.learner_name)
            if facts.learner_name
            else w["greeting_anonymous"]
        ),
        "paragraphs": paragraphs,
        "note": w["copy"].format(to=facts.copy_of) if facts.copy_of else None,
        "action_label": w.get(f"{topic}.action", ""),
        "action_url": facts.credential_url,
        "wallet_url": facts.wallet_url,
        "wallet_label": w["wallet_label"],
        "claim_url": facts.claim_url,
        "claim_label": w["claim_label"],
        "tx_code_line": w["tx_code"].format(code=facts.tx_code) if facts.tx_code else None,
        "unsubscribe_url": facts.unsubscribe_url,
        "unsubscribe_label": w["unsubscribe"],
        "issuer": facts.issuer,
        "credential": facts.credential,
        "description": facts.description,
        "learner_name": facts.learner_name,
        "credential_url": facts.credential_url,
        "expires_on": facts.expires_on,
        "days_left": facts.days_left,
        "reason": facts.reason,
    }


def check_override(parts: dict[str, str]) -> None:
    """Compile an organization's templates; raises ValueError naming the broken part."""
    for name, source in parts.items():
        if name not in PARTS:
            raise ValueError(f"unknown part {name!r}; use {', '.join(PARTS)}")
        if len(source) > MAX_TEMPLATE:
            raise ValueError(f"{name} is longer than {MAX_TEMPLATE} characters")
        try:
            (_SANDBOX_HTML if name == "html" else _SANDBOX_TEXT).from_string(source)
        except TemplateError as exc:
            raise ValueError(f"{name}: {exc}") from exc


def render(facts: Facts, override: dict[str, str] | None = None) -> tuple[str, str, str]:
    """(subject, text, html)."""
    values = variables(facts)
    override = override or {}
    subject = (
        _SANDBOX_TEXT.from_string(override["subject"]).render(values)
        if "subject" in override
        else values["subject"]
    )
    values["subject"] = " ".join(subject.split())[:250]
    text = (
        _SANDBOX_TEXT.from_string(override["text"]).render(values)
        if "text" in override
        else _DEFAULTS.get_template("email.txt").render(values)
    )
    html = (
        _SANDBOX_HTML.from_string(override["html"]).render(values)
        if "html" in override
        else _DEFAULTS.get_template("email.html").render(values)
    )
    return values["subject"], text, html


def message(
    facts: Facts,
    *,
    sender: tuple[str, str],
    to: str,
    message_id: str,
    reply_to: str | None = None,
    override: dict[str, str] | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> EmailMessage:
    subject, text, html = render(facts, override)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = formataddr(sender)
    msg["To"] = to
    # The same id on every attempt: a receiver that got it twice can tell.
    msg["Message-ID"] = message_id or make_msgid()
    if reply_to:
        msg["Reply-To"] = reply_to
    if facts.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{facts.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    # After the content: set_content replaces every Content-* header.
    msg["Content-Language"] = facts.lang
    for item in attachments:
        msg.add_attachment(
            item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename
        )
    return msg
