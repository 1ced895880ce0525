"""/docs: Swagger UI served from Plaudit itself, so the API docs work without internet."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# Swagger UI's files come with the fastapi-offline package (a current swagger-ui-dist 5, which
# reads OpenAPI 3.1), installed as a dependency rather than copied into this repository.
ASSETS_DIR = Path(str(resources.files("fastapi_offline") / "static"))
ASSETS_URL = "/static/swagger-ui"

# Every asset is ours. Swagger UI starts from one inline script, and styles and icons inline.
DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


def install(app: FastAPI) -> None:
    """Before the /static mount, which would otherwise answer /static/swagger-ui/ first."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        )
        page.headers.update(DOCS_HEADERS)
        return page
