"""Unsubscribing from a learner's emails: the page behind the link in every email, and RFC 8058
one-click unsubscribe from mail clients."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.db import utcnow
from plaudit.learners import links
from plaudit.models.learner import Learner
from plaudit.notifications import service
from plaudit.pages.render import message as message_page

router = APIRouter(tags=["public"], route_class=UnitOfWorkRoute, include_in_schema=False)


def _lang(request: Request) -> str:
    header = request.headers.get("accept-language", "en")
    return header.split(",")[0].split(";")[0].strip()[:2].lower() or "en"


def _invalid(lang: str) -> HTMLResponse:
    return message_page(
        lang=lang, state="invalid", title_key="unsubscribe_invalid", detail_key=None, status=404
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """A page with one button: mail scanners follow links, so GET changes nothing."""
    lang = _lang(request)
    if links.learner_of(runtime.vault, token, purpose=service.UNSUBSCRIBE_PURPOSE) is None:
        return _invalid(lang)
    return message_page(
        lang=lang,
        state="pending",
        title_key="unsubscribe_title",
        detail_key="unsubscribe_detail",
        status=200,
        form_action=f"/unsubscribe/{token}",
    )


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(
    token: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    """The button above, and RFC 8058 one-click unsubscribe from mail clients."""
    lang = _lang(request)
    learner_id = links.learner_of(runtime.vault, token, purpose=service.UNSUBSCRIBE_PURPOSE)
    learner = session.get(Learner, learner_id) if learner_id else None
    if learner is None:
        return _invalid(lang)
    if learner.email_opt_out_at is None:
        learner.email_opt_out_at = utcnow()
    return message_page(
        lang=lang, state="valid", title_key="unsubscribed_title", detail_key=None, status=200
    )
