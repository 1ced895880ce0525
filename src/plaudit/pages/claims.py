"""A claim's interaction URL: the page a learner opens (QR code, wallet buttons) and the
`protocols` a wallet reads there; and the learner's own "add to a wallet" from their wallet page."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.certificates.render import qr_svg
from plaudit.claims import links as claim_links
from plaudit.claims import service as claims
from plaudit.claims import tokens
from plaudit.engagement.deps import TallyDep
from plaudit.learners import links
from plaudit.models.award import Credential
from plaudit.models.claim import Claim, ClaimStatus
from plaudit.models.learner import Learner
from plaudit.pages import view
from plaudit.pages.render import page
from plaudit.pages.routes import credential_page, wants_html
from plaudit.runtime import Runtime
from plaudit.templates.localize import direction, format_date, parse_accept_language
from plaudit.templates.words import messages

router = APIRouter(tags=["pages"], route_class=UnitOfWorkRoute, include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store"}


def _for_wallet(claim: Claim | None, session: SessionDep, runtime: Runtime) -> Response:
    """What a wallet reads at the interaction URL: the protocols it may use (DCC/VCALM)."""
    try:
        claims.claimable(session, claim)
    except claims.ClaimRefused as refused:
        return JSONResponse(
            {"error": refused.error, "error_description": refused.description},
            status_code=refused.status,
            headers=_NO_STORE,
        )
    assert claim is not None
    base = runtime.settings.public_base_url
    return JSONResponse(
        {"protocols": claim_links.protocols(base, runtime.vault, claim)}, headers=_NO_STORE
    )


def _problem(claim: Claim | None, refused: claims.ClaimRefused, t: dict[str, str]) -> str:
    if claim is None:
        return t["not_found"]
    if claim.status is ClaimStatus.CLAIMED:
        return t["claim_used"]
    if claim.status is ClaimStatus.REVOKED:
        return t["claim_withdrawn"]
    if "expired" in refused.description:
        return t["claim_expired"]
    return t["claim_unavailable"]


@router.get("/claims/{token}")
def interaction(token: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    claim = claims.by_token(session, runtime.vault, token)
    if not wants_html(request):
        return _for_wallet(claim, session, runtime)
    wanted = parse_accept_language(request.headers.get("accept-language"))
    base = runtime.settings.public_base_url
    credential = session.get(Credential, claim.credential_id) if claim is not None else None
    loaded = view.load(session, credential.public_id) if credential is not None else None
    lang = wanted[0] if wanted else (loaded.organization.default_language if loaded else "en")
    t = messages(lang)
    context: dict[str, object] = {
        "lang": lang,
        "dir": direction(lang),
        "t": t,
        "problem": None,
        "state": "open",
        "page_url": None,
    }
    built = view.build(loaded, base_url=base, wanted=wanted, report=None) if loaded else None
    context["organization"] = loaded.organization.name if loaded else ""
    context["title"] = t["claim_title"].format(credential=built.name) if built else t["not_found"]
    try:
        claims.claimable(session, claim)
    except claims.ClaimRefused as refused:
        context["problem"] = _problem(claim, refused, t)
        context["state"] = claim.status.value if claim is not None else "missing"
        context["page_url"] = built.page_url if built else None
        return page("claim.html", context, status=refused.status, cache="private, no-store")
    assert claim is not None and built is not None
    interaction_url = claim_links.interaction_url(base, runtime.vault, claim)
    context.update(
        interaction_url=interaction_url,
        qr=qr_svg(interaction_url),
        image_url=built.image_url,
        lcw_url=claim_links.lcw_link(base, runtime.vault, claim),
        offer_url=claim_links.offer_link(base, runtime.vault, claim),
        tx_code=tokens.tx_code(runtime.vault, claim.id) if claim.tx_code_required else None,
        expires_on=format_date(claim.expires_at.date(), lang),
    )
    return page("claim.html", context, cache="private, no-store")


@router.get("/wallet/{token}/credentials/{public_id}")
def owner_page(
    token: str,
    public_id: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    tally: TallyDep,
) -> Response:
    """The credential's public page as its owner sees it from their wallet page: the same, with
    "Add to a wallet app" while it is valid."""
    learner_id = links.learner_of(runtime.vault, token)
    loaded = view.load(session, public_id)
    if learner_id is None or loaded is None or loaded.credential.learner_id != learner_id:
        return HTMLResponse("Not found", status_code=404)
    own = f"{runtime.settings.public_base_url}/wallet/{token}/credentials/{public_id}"
    return credential_page(
        request, session, tally, public_id=public_id, lang=None, owner_claim_url=f"{own}/claim"
    )


@router.post("/wallet/{token}/credentials/{public_id}/claim")
def claim_from_wallet(
    token: str, public_id: str, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The learner asks to add a credential to a wallet: its open claim, or a new one. The
    wallet token in the address is the learner's secret and doubles as the CSRF token."""
    learner_id = links.learner_of(runtime.vault, token)
    learner = session.get(Learner, learner_id) if learner_id is not None else None
    loaded = view.load(session, public_id)
    if learner is None or loaded is None or loaded.credential.learner_id != learner.id:
        return HTMLResponse("Not found", status_code=404)
    claim = claims.current_claim(session, runtime.settings, credential=loaded.credential)
    base = runtime.settings.public_base_url
    return RedirectResponse(
        f"{base}/claims/{claim_links.token(runtime.vault, claim)}", status_code=303
    )
