"""Read the credential a Plaudit certificate (or any PDF following the same convention) carries."""

from __future__ import annotations

import io
from typing import Final

import pypdf
from pypdf.errors import PyPdfError

from plaudit.certificates.render import METADATA_KEY

MAX_PDF_BYTES: Final = 20 * 1024 * 1024
_MAX_CREDENTIAL_BYTES: Final = 1_000_000
_NAMES: Final = ("credential.json", "credential.jwt")


class PdfCredentialError(ValueError):
    """The PDF carries no readable credential."""


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def extract_credential(pdf: bytes) -> str:
    """The credential attached to the PDF (credential.json or .jwt), else the one in metadata."""
    if len(pdf) > MAX_PDF_BYTES:
        raise PdfCredentialError(f"the PDF is larger than {MAX_PDF_BYTES // 1024 // 1024} MB")
    try:
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        attachments = reader.attachments
        for name in _NAMES:
            for content in attachments.get(name, []):
                if len(content) > _MAX_CREDENTIAL_BYTES:
                    raise PdfCredentialError(f"the attached {name} is too large to be a credential")
                return content.decode("utf-8").strip()
        metadata = reader.metadata
        value = metadata.get(METADATA_KEY) if metadata is not None else None
    except (PyPdfError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        if isinstance(exc, PdfCredentialError):
            raise
        raise PdfCredentialError(f"the PDF cannot be read: {exc}") from exc
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise PdfCredentialError(
        "the PDF carries no credential (no credential.json attachment or "
        f"{METADATA_KEY.lstrip('/')} metadata)"
    )
