"""Dashboard: credentials — search, and each credential's details, files, engagement and
delivery log, with revoke, suspend, unsuspend and "send the email again" (the API's services)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal, cast

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from plaudit.admin.forms import FormErrors, text, values
from plaudit.admin.web import (
    ADMIN,
    Admin,
    Editor,
    FormDep,
    Viewer,
    paged,
    parse_uuid,
    redirect,
    render,
    window,
)
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.claims import queries as claim_queries
from plaudit.claims import service as claims
from plaudit.credentials import artifacts
from plaudit.credentials import queries as credential_queries
from plaudit.credentials import service as credentials
from plaudit.credentials.recipient import recipient_name
from plaudit.db import utcnow
from plaudit.delivery import queries as delivery_queries
from plaudit.delivery import service as deliveries
from plaudit.delivery.routes import described
from plaudit.errors import Conflict, InvalidInput, not_found
from plaudit.learners import queries as learner_queries
from plaudit.lifecycle import status as lifecycle
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.engagement import Engagement
from plaudit.notifications import service as notifications
from plaudit.obapi import hosts as obapi_hosts
from plaudit.obapi import service as obapi
from plaudit.pages import view
from plaudit.pages.routes import _attachment
from plaudit.runtime import Runtime
from plaudit.templates import queries as template_queries
from plaudit.templates.snapshot import snapshot_of
from plaudit.templates.words import messages
from plaudit.vendors import awarding as vendor_awarding

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)
BASE = f"{ADMIN}/credentials"

STATUSES = (
    ("", "Any status"),
    ("valid", "Valid"),
    ("expired", "Expired"),
    ("suspended", "Suspended"),
    ("revoked", "Revoked"),
)
ORIGINS = (("", "Issued here or imported"), ("issued", "Issued here"), ("imported", "Imported"))
ENGAGEMENT_LABELS = (
    (Engagement.VIEW, "Page views"),
    (Engagement.DOWNLOAD_JSON, "JSON downloads"),
    (Engagement.DOWNLOAD_JWT, "JWT downloads"),
    (Engagement.DOWNLOAD_PNG, "PNG downloads"),
    (Engagement.DOWNLOAD_SVG, "SVG downloads"),
    (Engagement.DOWNLOAD_PDF, "PDF downloads"),
    (Engagement.LINKEDIN_ADD, "LinkedIn: added to profile"),
    (Engagement.LINKEDIN_SHARE, "LinkedIn: shared"),
    (Engagement.VERIFICATION, "Verifications"),
    (Engagement.WALLET, "Stored in a wallet"),
)
MAX_TEMPLATES = 500


def state_of(credential: Credential, now: Any) -> str:
    """valid, expired, suspended or revoked: as its public page says it."""
    if credential.status is not CredentialStatus.ACTIVE:
        return credential.status.value
    if credential.expires_at is not None and credential.expires_at <= now:
        return "expired"
    return "valid"


@router.get("/credentials")
def credential_list(
    request: Request,
    admin: Viewer,
    session: SessionDep,
    q: str = "",
    template: str = "",
    status: str = "",
    origin: str = "",
) -> Response:
    now = utcnow()
    filters = {
        "q": q.strip()[:200],
        "template": template if parse_uuid(template) else "",
        "status": status if status in dict(STATUSES) else "",
        "origin": origin if origin in dict(ORIGINS) else "",
    }
    found = learner_queries.credential_search(
        session,
        organization_id=admin.organization_id,
        text=filters["q"] or None,
        template_id=uuid.UUID(filters["template"]) if filters["template"] else None,
        state=cast("learner_queries.State", filters["status"]) if filters["status"] else None,
        imported=(filters["origin"] == "imported") if filters["origin"] else None,
        now=now,
        window=window(request),
    )
    templates = template_queries.choices(
        session, organization_id=admin.organization_id, limit=MAX_TEMPLATES
    )
    return render(
        request,
        admin,
        "admin/credentials_list.html",
        {
            "paged": paged(request, found),
            "filters": filters,
            "statuses": STATUSES,
            "origins": ORIGINS,
            "templates": [("", "Any template"), *((str(i), n) for i, n in templates)],
            "now": now,
            "state_of": state_of,
        },
        section="credentials",
    )


# --- one credential ----------------------------------------------------------------------


def _credential(session: SessionDep, admin: Admin, credential_id: str) -> Credential:
    ident = parse_uuid(credential_id)
    credential = (
        credential_queries.find(session, organization_id=admin.organization_id, credential_id=ident)
        if ident is not None
        else None
    )
    if credential is None:
        raise not_found("credential", credential_id)
    return credential


def _engagement(session: SessionDep, credential: Credential) -> list[tuple[str, int]]:
    counts = credential_queries.engagement(session, credential)
    return [(label, counts.get(kind.value, 0)) for kind, label in ENGAGEMENT_LABELS]


def _detail(
    request: Request,
    admin: Admin,
    session: SessionDep,
    runtime: Runtime,
    credential: Credential,
    *,
    form: str = "",
    errors: FormErrors | None = None,
    kept: Mapping[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    """The credential's page; ``form`` names the form that ``errors`` and ``kept`` belong to,
    ``problem`` is a refusal of the current state (revoking twice) shown above the forms."""
    loaded = view.load(session, credential.public_id)
    assert loaded is not None
    version = loaded.version
    template = credential_queries.template_of(session, credential)
    learner = learner_queries.find(session, credential.learner_id)
    log = credential_queries.award_log_of(session, credential)
    snapshot = snapshot_of(version)
    downloads = (
        view.download_links(
            f"{BASE}/{credential.id}",
            messages("en"),
            certificate=snapshot.certificate,
            has_image=bool(snapshot.image_id),
        )
        if credential.document is not None and not credential.imported
        else []
    )
    deliveries_page = paged(
        request,
        delivery_queries.of_credential(
            session,
            organization_id=admin.organization_id,
            credential_id=credential.id,
            window=window(request, param="deliveries_page", per_page=10),
        ),
        param="deliveries_page",
    )
    return render(
        request,
        admin,
        "admin/credentials_detail.html",
        {
            "credential": credential,
            "name": snapshot.name or (template.name if template else ""),
            "template": template,
            "learner": learner,
            "log": log,
            "upserted_by": obapi.upserted_by(credential) if credential.imported else None,
            "pushed_to": obapi_hosts.connections(
                session, organization_id=admin.organization_id, credential_id=credential.id
            ),
            "vendor": vendor_awarding.issued_through(credential.issuance_key),
            "state": state_of(credential, utcnow()),
            "public_url": f"{runtime.settings.public_base_url}/credentials/{credential.public_id}",
            "downloads": downloads,
            "engagement": _engagement(session, credential),
            "wallet_claims": claim_queries.of_credential(session, credential.id),
            "deliveries": deliveries_page,
            "messages": described(session, deliveries_page.items, with_payload=False),
            "recipient": recipient_name(credential),
            "form": form,
            "errors": errors or FormErrors(),
            "kept": kept or {},
            "problem": problem,
        },
        status=status,
        section="credentials",
    )


@router.get("/credentials/{credential_id}")
def credential_detail(
    credential_id: str, request: Request, admin: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    credential = _credential(session, admin, credential_id)
    return _detail(request, admin, session, runtime, credential)


@router.get("/credentials/{credential_id}/download/{filename}")
def credential_download(
    credential_id: str, filename: str, admin: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The files its public page offers, even for a private credential, and not counted as
    the learner's downloads."""
    credential = _credential(session, admin, credential_id)
    loaded = view.load(session, credential.public_id)
    assert loaded is not None
    artifact = artifacts.make(
        session,
        runtime,
        credential=credential,
        organization=loaded.organization,
        version=loaded.version,
        filename=filename,
    )
    return _attachment(artifact)


# --- forms -------------------------------------------------------------------------------


def _refused(
    request: Request,
    admin: Admin,
    session: SessionDep,
    runtime: Runtime,
    credential: Credential,
    exc: Conflict,
) -> Response:
    session.refresh(credential)
    return _detail(request, admin, session, runtime, credential, problem=exc.detail, status=409)


def _reason(form: FormData, name: str, errors: FormErrors) -> str:
    try:
        return credentials.check_reason(text(form, name))
    except InvalidInput as exc:
        errors.add(name, exc.detail)
        return ""


def _change_with_reason(
    request: Request,
    admin: Admin,
    session: SessionDep,
    runtime: Runtime,
    credential_id: str,
    form: FormData,
    *,
    action: Literal["revoke", "suspend"],
    done: str,
) -> Response:
    """Revoke or suspend with the reason typed (422 beside the field), as the API does."""
    credential = _credential(session, admin, credential_id)
    errors = FormErrors()
    reason = _reason(form, f"{action}_reason", errors)
    if action == "revoke" and text(form, "confirm") != "yes":
        errors.add("confirm", "Tick the box to confirm: a revocation cannot be undone.")
    if errors:
        return _detail(
            request,
            admin,
            session,
            runtime,
            credential,
            form=action,
            errors=errors,
            kept=values(form),
            status=422,
        )
    change = lifecycle.revoke if action == "revoke" else lifecycle.suspend
    try:
        change(
            session,
            organization_id=admin.organization_id,
            credential_id=credential.id,
            reason=reason,
        )
    except Conflict as exc:
        return _refused(request, admin, session, runtime, credential, exc)
    return redirect(f"{BASE}/{credential.id}", flash=done)


@router.post("/credentials/{credential_id}/revoke")
def revoke(
    credential_id: str,
    request: Request,
    admin: Editor,
    session: SessionDep,
    runtime: RuntimeDep,
    form: FormDep,
) -> Response:
    return _change_with_reason(
        request,
        admin,
        session,
        runtime,
        credential_id,
        form,
        action="revoke",
        done="The credential is revoked: its page, its status list and verifiers say so.",
    )


@router.post("/credentials/{credential_id}/suspend")
def suspend(
    credential_id: str,
    request: Request,
    admin: Editor,
    session: SessionDep,
    runtime: RuntimeDep,
    form: FormDep,
) -> Response:
    return _change_with_reason(
        request,
        admin,
        session,
        runtime,
        credential_id,
        form,
        action="suspend",
        done="The credential is suspended until you unsuspend it.",
    )


@router.post("/credentials/{credential_id}/unsuspend")
def unsuspend(
    credential_id: str, request: Request, admin: Editor, session: SessionDep, runtime: RuntimeDep
) -> Response:
    credential = _credential(session, admin, credential_id)
    try:
        lifecycle.unsuspend(
            session, organization_id=admin.organization_id, credential_id=credential.id
        )
    except Conflict as exc:
        return _refused(request, admin, session, runtime, credential, exc)
    return redirect(f"{BASE}/{credential.id}", flash="The credential is valid again.")


@router.post("/credentials/{credential_id}/claims/{claim_id}/withdraw")
def withdraw_claim(
    credential_id: str,
    claim_id: str,
    request: Request,
    admin: Editor,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    credential = _credential(session, admin, credential_id)
    try:
        claim = claim_queries.find(
            session, credential_id=credential.id, claim_id=uuid.UUID(claim_id)
        )
    except ValueError:
        claim = None
    if claim is None:
        raise not_found("claim", claim_id)
    try:
        claims.withdraw(session, claim)
    except Conflict as exc:
        return _refused(request, admin, session, runtime, credential, exc)
    return redirect(
        f"{BASE}/{credential.id}#wallets",
        flash="The offer is withdrawn: its QR code and links no longer work.",
    )


@router.post("/credentials/{credential_id}/resend")
def resend(
    credential_id: str, request: Request, admin: Editor, session: SessionDep, runtime: RuntimeDep
) -> Response:
    credential = _credential(session, admin, credential_id)
    try:
        message = notifications.resend_issued(
            session, organization_id=admin.organization_id, credential_id=credential.id
        )
    except Conflict as exc:
        return _refused(request, admin, session, runtime, credential, exc)
    return redirect(
        f"{BASE}/{credential.id}#deliveries",
        flash=f"The award email is on its way to {message.recipient} again; "
        "its result shows in the delivery log.",
    )


@router.post("/credentials/{credential_id}/deliveries/{message_id}/redeliver")
def redeliver(
    credential_id: str,
    message_id: str,
    request: Request,
    admin: Editor,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    credential = _credential(session, admin, credential_id)
    ident = parse_uuid(message_id)
    if ident is None:
        raise not_found("delivery", message_id)
    try:
        message = deliveries.redeliver(
            session,
            organization_id=admin.organization_id,
            message_id=ident,
            credential_id=credential.id,
        )
    except Conflict as exc:
        return _refused(request, admin, session, runtime, credential, exc)
    return redirect(
        f"{BASE}/{credential.id}#deliveries",
        flash=f"The {message.topic} {message.channel.value} is being sent again.",
    )
