"""Dashboard: settings pages. The issuer profile and signing keys are here; email, webhooks,
connectors, API keys, members and connected apps have their own modules, included in this router."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaudit.admin import (
    settings_access,
    settings_apps,
    settings_connectors,
    settings_email,
    settings_webhooks,
)
from plaudit.admin.forms import FormErrors, parse, text, upload, values
from plaudit.admin.settings_common import SETTINGS, page
from plaudit.admin.web import ADMIN, Admin, Editor, FormDep, Viewer, paged, redirect, window
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.errors import PlauditError
from plaudit.images import service as images
from plaudit.images.processing import MAX_BYTES, Variant
from plaudit.keys import queries as key_queries
from plaudit.keys import service as keys
from plaudit.models.organization import Organization
from plaudit.models.signing_key import KeyAlgorithm
from plaudit.organizations import service as organizations
from plaudit.organizations.schemas import OrganizationUpdate

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)
for _module in (
    settings_email,
    settings_webhooks,
    settings_connectors,
    settings_access,
    settings_apps,
):
    router.include_router(_module.router)


@router.get("/settings")
def settings_home() -> Response:
    return redirect(f"{SETTINGS}/profile")


# --- issuer profile ----------------------------------------------------------------------


PROFILE_FIELDS = ("name", "url", "email", "description", "default_language", "timezone")


def _profile_form(org: Organization) -> dict[str, str]:
    return {name: getattr(org, name) or "" for name in PROFILE_FIELDS}


def _profile_page(
    request: Request,
    admin: Admin,
    org: Organization,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        admin,
        "admin/settings_profile.html",
        "profile",
        {
            "org": org,
            "form": form if form is not None else _profile_form(org),
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@router.get("/settings/profile")
def profile(request: Request, admin: Viewer, session: SessionDep) -> Response:
    return _profile_page(request, admin, organizations.get(session, admin.organization_id))


@router.post("/settings/profile")
def save_profile(
    request: Request, admin: Editor, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    org = organizations.get(session, admin.organization_id)
    data: dict[str, Any] = {
        "name": text(form, "name"),
        "url": text(form, "url") or None,
        "email": text(form, "email") or None,
        "description": text(form, "description") or None,
        "default_language": text(form, "default_language"),
        "timezone": text(form, "timezone") or "UTC",
    }
    if form.get("remove_logo"):
        data["logo_url"] = None
    body, errors = parse(OrganizationUpdate, data)
    if not data["name"]:
        errors.fields["name"] = "Enter the organization's name."
    if not data["default_language"]:
        errors.fields["default_language"] = "Enter a language tag such as 'en' or 'pt-BR'."
    logo = upload(form, "logo")
    if logo is not None and not errors:
        try:
            image = images.store(
                session,
                runtime.files,
                organization_id=admin.organization_id,
                data=logo.file.read(MAX_BYTES + 1),
                declared_type=logo.content_type,
                filename=logo.filename,
            )
        except PlauditError as exc:
            errors.add("logo", exc.detail)
        else:
            base = runtime.settings.public_base_url
            data["logo_url"] = f"{base}/files/images/{image.id}/{Variant.STANDARD.value}"
            body, errors = parse(OrganizationUpdate, data)
    if errors or body is None:
        return _profile_page(request, admin, org, form=values(form), errors=errors, status=422)
    organizations.update(session, organization=org, data=body)
    return redirect(f"{SETTINGS}/profile", flash="The issuer profile was saved.")


# --- signing keys ------------------------------------------------------------------------


@router.get("/settings/keys")
def signing_keys(request: Request, admin: Viewer, session: SessionDep) -> Response:
    found = key_queries.listing(
        session, organization_id=admin.organization_id, window=window(request)
    )
    return page(
        request,
        admin,
        "admin/settings_keys.html",
        "keys",
        {
            "paged": paged(request, found),
            "algorithms": [a.value for a in KeyAlgorithm],
            "jwks_url": f"/orgs/{admin.organization.slug}/jwks.json",
            "public_jwk": keys.public_jwk,
        },
    )


@router.post("/settings/keys/rotate")
def rotate_key(admin: Editor, form: FormDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    chosen = text(form, "algorithm")
    algorithm = next((a for a in KeyAlgorithm if a.value == chosen), None)
    if algorithm is None:
        return redirect(
            f"{SETTINGS}/keys", flash="Choose which key to rotate: Ed25519 or RSA.", kind="error"
        )
    key = keys.rotate(
        session, organization_id=admin.organization_id, vault=runtime.vault, algorithm=algorithm
    )
    return redirect(
        f"{SETTINGS}/keys",
        flash=f"A new {algorithm.value} key ({key.id}) signs from now on; the old one stays "
        "published so that what it signed keeps verifying.",
    )
