"""Public pages: a credential's verification page, its downloads and LinkedIn links; wallets."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import func, select

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials import artifacts, changes, ob2
from plaudit.engagement.deps import Tally, TallyDep
from plaudit.errors import NotFound
from plaudit.learners import links
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.engagement import Engagement
from plaudit.models.learner import Learner
from plaudit.models.organization import Organization
from plaudit.models.template import TemplateVersion
from plaudit.obapi import hosts
from plaudit.pages import cache, view
from plaudit.pages.render import html_response, message, page
from plaudit.runtime import Runtime
from plaudit.templates.localize import direction, parse_accept_language
from plaudit.templates.snapshot import snapshot_of
from plaudit.templates.words import messages

router = APIRouter(tags=["pages"], route_class=UnitOfWorkRoute, include_in_schema=False)


def wants_html(request: Request) -> bool:
    """A browser asks for HTML first; API clients ask for JSON or anything (*/*)."""
    accept = request.headers.get("accept", "").lower()
    html = accept.find("text/html")
    if html < 0:
        return False
    jsons = [accept.find(t) for t in ("application/json", "application/ld+json", "+json")]
    return all(j < 0 or j > html for j in jsons)


def count(tally: Tally, loaded: view.Loaded, kind: Engagement) -> None:
    tally.count(
        organization_id=loaded.organization.id, credential_id=loaded.credential.id, kind=kind
    )


def _wanted(lang: str | None, request: Request) -> list[str]:
    return ([lang] if lang else []) + parse_accept_language(request.headers.get("accept-language"))


def _fallback_lang(request: Request) -> str:
    wanted = parse_accept_language(request.headers.get("accept-language"))
    return wanted[0] if wanted else "en"


def _cache_key(request: Request, public_id: str, lang: str | None) -> tuple[str, ...]:
    return (public_id, lang or "", request.headers.get("accept-language", "")[:200])


def cached_page(
    request: Request,
    tally: Tally,
    *,
    public_id: str,
    lang: str | None,
) -> HTMLResponse | None:
    """The page rendered a moment ago, if any (no database work: safe on the event loop)."""
    cached = cache.pages.get(_cache_key(request, public_id, lang))
    if cached is None:
        return None
    tally.count(
        organization_id=cached.organization_id,
        credential_id=cached.credential_id,
        kind=Engagement.VIEW,
    )
    return html_response(cached.body)


def credential_page(
    request: Request,
    session: SessionDep,
    tally: Tally,
    *,
    public_id: str,
    lang: str | None,
    owner_claim_url: str | None = None,
) -> HTMLResponse:
    """Called by GET /credentials/{public_id} when a browser asks for it; and for its owner,
    come from their wallet page, with `owner_claim_url` (the page then offers "Add to a wallet
    app", and is neither cached nor counted as a visitor's view)."""
    key = _cache_key(request, public_id, lang)
    loaded = view.load(session, public_id)
    if loaded is None:
        return message(
            lang=_fallback_lang(request),
            state="missing",
            title_key="not_found",
            detail_key=None,
            status=404,
        )
    if loaded.credential.private:
        return message(
            lang=snapshot_of(loaded.version).language,
            state="private",
            title_key="private_title",
            detail_key="private_detail",
            status=403,
        )
    base = tally.runtime.settings.public_base_url
    report = view.report_for(session, base, loaded.credential)
    built = view.build(loaded, base_url=base, wanted=_wanted(lang, request), report=report)
    context = {"p": built, "lang": built.lang, "dir": built.dir, "t": built.t}
    if owner_claim_url is not None:
        claimable = built.state == "valid" and loaded.credential.document is not None
        context["owner_claim_url"] = owner_claim_url if claimable else None
        return page("credential.html", context, cache="private, no-store")
    count(tally, loaded, Engagement.VIEW)
    response = page("credential.html", {**context, "owner_claim_url": None})
    if built.state != "pending":
        cache.pages.put(
            key,
            bytes(response.body),
            organization_id=loaded.organization.id,
            credential_id=loaded.credential.id,
        )
    return response


def _download(
    session: SessionDep,
    runtime: Runtime,
    tally: Tally,
    loaded: view.Loaded,
    filename: str,
) -> Response:
    """The file, counted as a download of its kind (public page and wallet alike)."""
    artifact = artifacts.make(
        session,
        runtime,
        credential=loaded.credential,
        organization=loaded.organization,
        version=loaded.version,
        filename=filename,
    )
    count(tally, loaded, artifact.engagement)
    return _attachment(artifact)


def _attachment(artifact: artifacts.Artifact) -> Response:
    return Response(
        artifact.content,
        media_type=artifact.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{artifact.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
            # A baked SVG opened directly must not run anything.
            "Content-Security-Policy": (
                "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
            ),
        },
    )


@router.get("/credentials/{public_id}/download/{filename}")
def download(
    public_id: str,
    filename: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    tally: TallyDep,
) -> Response:
    loaded = view.load(session, public_id)
    if loaded is None or loaded.credential.private:
        return credential_page(request, session, tally, public_id=public_id, lang=None)
    return _download(session, runtime, tally, loaded, filename)


@router.get("/credentials/{public_id}/linkedin")
def linkedin(
    public_id: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    tally: TallyDep,
    action: Annotated[Literal["add", "share"], Query()] = "add",
) -> Response:
    loaded = view.load(session, public_id)
    if loaded is None or loaded.credential.private:
        return credential_page(request, session, tally, public_id=public_id, lang=None)
    base = runtime.settings.public_base_url
    state = view.unshareable_state(session, base, loaded)
    if state is not None:
        # 409, not 410: the credential is still here, and the conflict is with its current
        # state, which may change (a suspension lifted). Not counted: nothing was shared.
        wanted = _wanted(None, request)
        return message(
            lang=wanted[0] if wanted else snapshot_of(loaded.version).language,
            state=state,
            title_key=state,
            detail_key="linkedin_unavailable",
            status=409,
        )
    kind = Engagement.LINKEDIN_ADD if action == "add" else Engagement.LINKEDIN_SHARE
    count(tally, loaded, kind)
    target = view.linkedin_target(loaded, base_url=base, action=action)
    return RedirectResponse(target, status_code=303)


def _learner(session: SessionDep, runtime: Runtime, token: str) -> Learner | None:
    learner_id = links.learner_of(runtime.vault, token)
    return session.get(Learner, learner_id) if learner_id is not None else None


def _not_found(request: Request) -> HTMLResponse:
    return message(
        lang=_fallback_lang(request),
        state="missing",
        title_key="not_found",
        detail_key=None,
        status=404,
    )


@router.get("/wallet/{token}")
def wallet_page(
    token: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    learner = _learner(session, runtime, token)
    if learner is None:
        return _not_found(request)
    organization = session.get(Organization, learner.organization_id)
    assert organization is not None
    rows = session.execute(
        select(Credential, TemplateVersion)
        .join(TemplateVersion, TemplateVersion.id == Credential.template_version_id)
        .where(Credential.learner_id == learner.id)
        .order_by(Credential.emitted_at.desc(), Credential.id.desc())
    ).all()
    counts = dict(
        session.execute(
            select(Credential.template_id, func.count())
            .where(Credential.learner_id == learner.id)
            .group_by(Credential.template_id)
        ).all()
    )
    base = runtime.settings.public_base_url
    # The browser's languages first, then the learner's own, then the organization's.
    wanted = _wanted(None, request) + ([learner.locale] if learner.locale else [])
    lang = wanted[0] if wanted else organization.default_language
    t = messages(lang)
    items = []
    for credential, version in rows:
        loaded = view.Loaded(credential, organization, version)
        built = view.build(loaded, base_url=base, wanted=wanted, report=None)
        own = f"{base}/wallet/{token}/credentials/{credential.public_id}"
        items.append(
            {
                "public_id": credential.public_id,
                "name": built.name,
                "image_url": built.image_url,
                "state": built.state,
                "issued": credential.emitted_at,
                "count": counts.get(credential.template_id, 1),
                "private": credential.private,
                "imported": credential.imported,
                # Their own view of the public page: it also offers "Add to a wallet app".
                "page_url": own,
                "downloads": view.download_links(
                    own,
                    t,
                    certificate=built.kind == "certificate",
                    has_image=built.image_url is not None,
                )
                if credential.document is not None
                else [],
                "visibility_url": f"{own}/visibility",
                # It can go to another Open Badges 3.0 host (plaudit.obapi.hosts).
                "pushable": credential.document is not None
                or (credential.imported and credential.import_format == "ob3"),
                # A signed credential in good standing can go into a wallet app (a claim).
                "claim_url": f"{own}/claim"
                if credential.document is not None and credential.status is CredentialStatus.ACTIVE
                else None,
            }
        )
    name = " ".join(p for p in (learner.first_name, learner.last_name) if p) or learner.email or ""
    return page(
        "wallet.html",
        {
            "lang": lang,
            "dir": direction(lang),
            "t": t,
            "name": name,
            "organization": organization.name,
            "items": items,
            "hosts": hosts.connections(
                session, organization_id=organization.id, learner_id=learner.id
            ),
            "hosts_url": f"{base}/wallet/{token}/hosts",
        },
        cache="private, no-store",
    )


def _own_credential(
    session: SessionDep, runtime: Runtime, token: str, public_id: str
) -> view.Loaded | None:
    learner = _learner(session, runtime, token)
    loaded = view.load(session, public_id)
    if learner is None or loaded is None or loaded.credential.learner_id != learner.id:
        return None
    return loaded


@router.get("/wallet/{token}/credentials/{public_id}/download/{filename}")
def wallet_download(
    token: str,
    public_id: str,
    filename: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    tally: TallyDep,
) -> Response:
    loaded = _own_credential(session, runtime, token, public_id)
    if loaded is None:
        return _not_found(request)
    return _download(session, runtime, tally, loaded, filename)


@router.post("/wallet/{token}/credentials/{public_id}/visibility")
def set_visibility(
    token: str,
    public_id: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    private: Annotated[Literal["0", "1"], Form()],
) -> Response:
    """The token in the address is the learner's secret, so a forged cross-site form can't
    know it: it doubles as the CSRF token."""
    loaded = _own_credential(session, runtime, token, public_id)
    if loaded is None:
        return _not_found(request)
    loaded.credential.private = private == "1"
    changes.changed(session, public_id)
    return RedirectResponse(f"{runtime.settings.public_base_url}/wallet/{token}", status_code=303)


# Open Badges 2.0 hosted verification: a backpack holding an OB 2.0 baked image fetches these.
_OB2_HEADERS = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}


@router.get("/ob2/assertions/{public_id}")
def ob2_assertion(public_id: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    loaded = view.load(session, public_id)
    if loaded is None:
        raise NotFound("There is no credential at this address.")
    if loaded.credential.imported:
        # Another issuer's credential: hosting it as our assertion would claim we issued it.
        raise NotFound("This credential was imported; its issuer hosts its assertion.")
    document = ob2.assertion(runtime.settings.public_base_url, loaded.credential, loaded.version)
    return JSONResponse(document, media_type="application/ld+json", headers=_OB2_HEADERS)


@router.get("/ob2/badges/{version_id}")
def ob2_badge(version_id: uuid.UUID, session: SessionDep, runtime: RuntimeDep) -> Response:
    version = session.get(TemplateVersion, version_id)
    organization = session.get(Organization, version.organization_id) if version else None
    if version is None or organization is None:
        raise NotFound("There is no badge at this address.")
    document = ob2.badge_class(runtime.settings.public_base_url, organization, version)
    return JSONResponse(document, media_type="application/ld+json", headers=_OB2_HEADERS)


@router.get("/ob2/issuers/{slug}")
def ob2_issuer(slug: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    organization = session.scalar(select(Organization).where(Organization.slug == slug))
    if organization is None:
        raise NotFound("There is no issuer at this address.")
    document = ob2.issuer(runtime.settings.public_base_url, organization)
    return JSONResponse(document, media_type="application/ld+json", headers=_OB2_HEADERS)
