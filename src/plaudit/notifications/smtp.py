"""Hand an email to an SMTP server, and say what it answered."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from plaudit.delivery.engine import Outcome


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None  # None: write .eml files to ``mail_dir`` (a development instance)
    port: int
    security: str  # "starttls", "tls" or "none"
    username: str | None
    password: str | None
    timeout: float
    mail_dir: Path


def send(config: SmtpConfig, msg: EmailMessage, *, file_name: str) -> Outcome:
    if config.host is None:
        config.mail_dir.mkdir(parents=True, exist_ok=True)
        path = config.mail_dir / f"{file_name}.eml"
        path.write_bytes(bytes(msg))
        return Outcome(True, None, f"no SMTP server is configured; written to {path}")
    try:
        client: smtplib.SMTP
        if config.security == "tls":
            client = smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=config.timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with client:
            if config.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config.username:
                client.login(config.username, config.password or "")
            refused = client.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return _reply(code, text, "refused the recipient")
    except smtplib.SMTPResponseException as exc:
        return _reply(exc.smtp_code, exc.smtp_error, "refused the message")
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(False, None, f"{config.host}:{config.port}: {type(exc).__name__}: {exc}")
    if refused:
        code, text = next(iter(refused.values()))
        return _reply(code, text, "refused the recipient")
    return Outcome(True, 250, f"accepted by {config.host}:{config.port}")


def _reply(code: int, text: bytes | str, what: str) -> Outcome:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    # 5xx is final (no such mailbox, policy); 4xx and the rest may pass later.
    return Outcome(False, code, f"the server {what}: {code} {said}", permanent=500 <= code < 600)
