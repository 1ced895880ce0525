"""Render a certificate page with Typst: one compiled template, values passed as data.

Why Typst: it renders a one-page certificate in a few milliseconds in-process (WeasyPrint takes
tens to hundreds, reportlab about fifty here), shapes Arabic and CJK text itself, embeds only
the glyphs used, attaches files to the PDF, and its template is a readable text file. Values
reach the template as JSON strings, never as markup, so no user text can run as Typst code.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

import pypdf
import segno
import typst

from plaudit.templates.layout import CertificateLayout
from plaudit.templates.localize import direction, format_date
from plaudit.templates.words import messages

TEMPLATE: Final = Path(__file__).with_name("certificate.typ")
# Debian's Noto fonts (fonts-noto-core, fonts-noto-cjk) cover Latin, Cyrillic, Greek, Arabic and
# CJK; without them Typst's embedded fonts still render Latin, Cyrillic and Greek.
FONT_DIRS: Final = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/dejavu"),
)
METADATA_KEY: Final = "/OpenBadgeCredential"
_MAX_DESCRIPTION: Final = 600


class RenderError(RuntimeError):
    """Typst could not render the certificate (a damaged image, most likely)."""


@dataclass(frozen=True)
class CertificateContent:
    title: str
    intro: str
    recipient_name: str
    achievement_name: str
    achievement_description: str
    issuer_name: str
    issued_on: date
    expires_on: date | None
    fields: list[tuple[str, str]]
    verification_url: str
    credential_id: str
    lang: str
    labels: dict[str, str]


@dataclass(frozen=True)
class CertificateAssets:
    background: bytes | None = None
    logo: bytes | None = None
    signature: bytes | None = None
    badge: bytes | None = None


_LABELS: Final = ("awarded", "issued_by", "issued_on", "expires_on", "verify_at")


def labels_for(lang: str) -> dict[str, str]:
    """The certificate's fixed wording in `lang`, English where no translation exists."""
    catalog = messages(lang)
    return {key: catalog[f"certificate.{key}"] for key in _LABELS}


def _image_suffix(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data.startswith(b"\xff\xd8"):
        return ".jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data.startswith(b"GIF8"):
        return ".gif"
    return ".svg"


def qr_svg(text: str) -> str:
    """A QR code as one SVG path: a run of dark modules per row (segno's own writer is slower)."""
    # A fixed mask skips segno's search for the best one: most of its time, an equally valid code.
    matrix = segno.make(text, error="m", mask=2, micro=False).matrix
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><path fill="#222222" d="{"".join(runs)}"/></svg>'
    )


class _Workspace(threading.local):
    """Per thread: a folder holding the template and the images, and a compiler that stays warm
    (Typst memoises fonts, images and layout across compiles of the same world)."""

    root: Path | None = None
    compiler: typst.Compiler | None = None


@dataclass
class CertificateRenderer:
    """Holds the scanned fonts and, per thread, a warm compiler and its folder."""

    font_dirs: tuple[Path, ...] = FONT_DIRS
    _fonts: typst.Fonts = field(init=False)
    _workspace: _Workspace = field(init=False, default_factory=_Workspace)

    def __post_init__(self) -> None:
        existing = [str(d) for d in self.font_dirs if d.is_dir()]
        self._fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=True, font_paths=existing
        )

    def families(self) -> list[str]:
        return self._fonts.families()

    def _compiler(self) -> tuple[Path, typst.Compiler]:
        space = self._workspace
        if space.root is None or space.compiler is None or not space.root.is_dir():
            root = Path(tempfile.mkdtemp(prefix="plaudit-certificates-"))
            weakref.finalize(space, shutil.rmtree, root, ignore_errors=True)
            shutil.copyfile(TEMPLATE, root / "main.typ")
            space.root = root
            space.compiler = typst.Compiler(
                input=str(root / "main.typ"), root=str(root), font_paths=self._fonts
            )
        return space.root, space.compiler

    def render(
        self,
        layout: CertificateLayout,
        content: CertificateContent,
        assets: CertificateAssets,
        *,
        attachment: tuple[str, bytes, str] | None,
    ) -> bytes:
        """One page of PDF; with `attachment` (name, UTF-8 text, media type) attached and in
        the document information."""
        root, compiler = self._compiler()
        data = self._data(root, layout, content, assets, attachment)
        try:
            pdf = compiler.compile(format="pdf", sys_inputs={"data": json.dumps(data)})
        except typst.TypstError as exc:
            raise RenderError(f"the certificate could not be rendered: {exc.message}") from exc
        assert isinstance(pdf, bytes)
        if attachment is not None:
            pdf = _with_metadata(pdf, attachment[1].decode("utf-8"))
        return pdf

    def _data(
        self,
        root: Path,
        layout: CertificateLayout,
        content: CertificateContent,
        assets: CertificateAssets,
        attachment: tuple[str, bytes, str] | None,
    ) -> dict[str, Any]:
        def put(data: bytes | None) -> str | None:
            """Images are stored once by content: a template's images are shared by thousands."""
            if data is None:
                return None
            name = hashlib.sha256(data).hexdigest()[:32] + _image_suffix(data)
            path = root / name
            if not path.exists():
                partial = root / f"{name}.{threading.get_ident()}.part"
                partial.write_bytes(data)
                partial.replace(path)
            return name

        attached = None
        if attachment is not None:
            name, body, mime = attachment
            attached = {"name": name, "text": body.decode("utf-8"), "mime": mime}
        description = content.achievement_description
        if len(description) > _MAX_DESCRIPTION:
            description = description[: _MAX_DESCRIPTION - 1].rstrip() + "…"
        return {
            "paper": "a4" if layout.paper == "a4" else "us-letter",
            "landscape": layout.orientation == "landscape",
            "accent": layout.accent_color,
            "title": content.title,
            "intro": content.intro,
            "recipient_name": content.recipient_name,
            "achievement_name": content.achievement_name,
            "description": description,
            "issuer_name": content.issuer_name,
            "issued_on": format_date(content.issued_on, content.lang),
            "expires_on": format_date(content.expires_on, content.lang)
            if content.expires_on
            else None,
            "fields": [list(pair) for pair in content.fields],
            "verification_url": content.verification_url,
            "credential_id": content.credential_id,
            "lang": content.lang.split("-")[0].lower() or "en",
            "dir": direction(content.lang),
            "labels": content.labels,
            "signatory_name": layout.signatory_name,
            "signatory_title": layout.signatory_title,
            "background": put(assets.background),
            "logo": put(assets.logo),
            "signature": put(assets.signature),
            "badge": put(assets.badge),
            "qr": qr_svg(content.verification_url) if layout.show_qr else None,
            "attachment": attached,
        }


_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$", re.DOTALL)
_INFO_REF = re.compile(rb"/Info\s+(\d+)\s+0\s+R")


def _with_metadata(pdf: bytes, credential: str) -> bytes:
    """The PDF with the credential added to its document information, as an incremental update.

    Typst writes a classic cross-reference table; the update appends a new revision of the
    /Info object and a one-entry table. Anything else goes through pypdf (slower: it parses
    the whole document).
    """
    trailer = _TRAILER.search(pdf[-2048:])
    info_ref = _INFO_REF.search(trailer.group(1)) if trailer else None
    if trailer is None or info_ref is None:
        return _with_metadata_pypdf(pdf, credential)
    number = int(info_ref.group(1))
    found = re.search(rb"(?:^|[\r\n])%d 0 obj\s*(<<.*?>>)\s*endobj" % number, pdf, re.DOTALL)
    if found is None or pdf.count(b"%d 0 obj" % number) != 1:
        return _with_metadata_pypdf(pdf, credential)
    text = b"<" + ("\ufeff" + credential).encode("utf-16-be").hex().upper().encode() + b">"
    body = found.group(1)[:-2] + b"\n" + METADATA_KEY.encode() + b" " + text + b">>"
    head = pdf if pdf.endswith(b"\n") else pdf + b"\n"
    obj_offset = len(head)
    obj = b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_offset = obj_offset + len(obj)
    old_trailer = re.sub(rb"/Prev\s+\d+", b"", trailer.group(1))
    update = b"xref\n%d 1\n%010d 00000 n\r\ntrailer\n<<%s/Prev %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        number,
        obj_offset,
        old_trailer,
        trailer.group(2),
        xref_offset,
    )
    return head + obj + update


def _with_metadata_pypdf(pdf: bytes, credential: str) -> bytes:
    writer = pypdf.PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_metadata({METADATA_KEY: credential})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
