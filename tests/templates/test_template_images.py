"""Template images through the API: three PNG sizes per format; refusals store nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from PIL import Image
from sqlalchemy import func, select

from plaudit.models.image import Image as ImageRow
from plaudit.runtime import Runtime
from tests.fixtures.images import SVG, jpeg_bytes, png_bytes, webp_bytes
from tests.fixtures.problems import assert_problem
from tests.fixtures.templates import create
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def upload(
    client: TestClient, tenant: Tenant, tid: str, name: str, data: bytes, content_type: str
) -> Response:
    return client.put(
        f"/api/v1/templates/{tid}/image",
        files={"image": (name, data, content_type)},
        headers=tenant.headers,
    )


def stored_files(runtime: Runtime) -> list[Path]:
    root = runtime.settings.data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def image_rows(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(ImageRow)) or 0


@pytest.mark.parametrize(
    ("name", "data", "content_type", "original_type"),
    [
        ("badge.png", png_bytes((300, 300)), "image/png", "image/png"),
        ("badge.jpg", jpeg_bytes((640, 480)), "image/jpeg", "image/jpeg"),
        ("badge.webp", webp_bytes((50, 50)), "image/webp", "image/webp"),
        ("badge.svg", SVG, "image/svg+xml", "image/svg+xml"),
    ],
)
def test_each_format_yields_three_png_sizes(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    name: str,
    data: bytes,
    content_type: str,
    original_type: str,
) -> None:
    tid = create(client, tenant)["id"]
    response = upload(client, tenant, tid, name, data, content_type)
    assert response.status_code == 200, response.text
    urls = response.json()["image"]
    assert set(urls) == {"original", "standard", "high", "thumbnail"}
    longest = {"standard": 512, "high": 1024, "thumbnail": 128}
    for variant, size in longest.items():
        served = client.get(urls[variant].removeprefix("http://testserver"))
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/png"
        assert "immutable" in served.headers["cache-control"]
        picture = Image.open(io.BytesIO(served.content))
        assert picture.format == "PNG"
        assert max(picture.size) == size
    original = client.get(urls["original"].removeprefix("http://testserver"))
    assert original.headers["content-type"] == original_type
    if original_type == "image/svg+xml":
        assert "sandbox" in original.headers["content-security-policy"]
    else:
        assert original.content == data
    assert len(stored_files(runtime)) == 4


def test_served_images_honour_etags(client: TestClient, tenant: Tenant) -> None:
    tid = create(client, tenant)["id"]
    urls = upload(client, tenant, tid, "b.png", png_bytes(), "image/png").json()["image"]
    path = urls["thumbnail"].removeprefix("http://testserver")
    etag = client.get(path).headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")  # 400 Mpx, a few KB on disk
    return buffer.getvalue()


EVIL_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'onload="alert(1)" width="64" height="64"><script>alert(2)</script>'
    b'<circle cx="32" cy="32" r="20" fill="#123"/>'
    b'<image xlink:href="https://evil.example/track.png" width="1" height="1"/></svg>'
)
XXE_SVG = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
)


@pytest.mark.parametrize(
    ("name", "data", "content_type", "status"),
    [
        ("bomb.png", _bomb(), "image/png", 422),
        ("cut.png", png_bytes((200, 200))[:300], "image/png", 422),
        ("cut.jpg", jpeg_bytes((400, 400))[:400], "image/jpeg", 422),
        ("liar.png", jpeg_bytes(), "image/png", 415),
        ("liar.jpg", png_bytes(), "image/png", 415),
        ("notes.txt", b"just some text", "text/plain", 415),
        ("empty.png", b"", "image/png", 422),
        ("huge.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024 + 10), "image/png", 413),
        ("xxe.svg", XXE_SVG, "image/svg+xml", 422),
    ],
)
def test_refused_uploads_store_nothing(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    name: str,
    data: bytes,
    content_type: str,
    status: int,
) -> None:
    tid = create(client, tenant)["id"]
    response = upload(client, tenant, tid, name, data, content_type)
    body = assert_problem(response, status)
    assert len(str(body["detail"])) > 10
    assert image_rows(runtime) == 0
    assert stored_files(runtime) == []
    assert client.get(f"/api/v1/templates/{tid}", headers=tenant.headers).json()["image"] is None


def test_svg_scripts_and_external_references_are_removed(
    client: TestClient, tenant: Tenant
) -> None:
    tid = create(client, tenant)["id"]
    response = upload(client, tenant, tid, "evil.svg", EVIL_SVG, "image/svg+xml")
    assert response.status_code == 200, response.text
    original = client.get(
        response.json()["image"]["original"].removeprefix("http://testserver")
    ).content
    assert b"<circle" in original
    for bad in (b"script", b"onload", b"alert", b"evil.example"):
        assert bad not in original
