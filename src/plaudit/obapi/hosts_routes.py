"""The learner's side of connecting a host (plaudit.obapi.hosts): the wallet page's form, and
the callback the host sends the learner's browser back to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plaudit import jobs
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.limits import per_address
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.db import unit_of_work
from plaudit.learners import links
from plaudit.models.learner import Learner
from plaudit.obapi import hosts, pages, tasks

_wallet = APIRouter(route_class=UnitOfWorkRoute, include_in_schema=False)

_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _refused(description: str, *, back: str | None, status: int = 400) -> HTMLResponse:
    html = pages.render("host_refused.html", description=description, back=back)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


# Each connection makes requests to the address given: PLAUDIT_VERIFY_RATE_LIMIT of them per
# client address, counted apart from other uses.
RATE_LIMIT = per_address("obapi-hosts", "Too many connections from this address; wait a little.")


@_wallet.post("/wallet/{token}/hosts", dependencies=[RATE_LIMIT])
def connect(
    token: str,
    session: SessionDep,
    runtime: RuntimeDep,
    host: Annotated[str, Form(max_length=2048)] = "",
    credential: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The token in the address is the learner's secret, so a forged cross-site form cannot
    know it: it doubles as the CSRF token (as on the rest of the wallet page)."""
    learner_id = links.learner_of(runtime.vault, token)
    learner = session.get(Learner, learner_id) if learner_id is not None else None
    if learner is None:
        return _refused("This is not a wallet page.", back=None, status=404)
    base = runtime.settings.public_base_url
    back = f"{base}/wallet/{token}#hosts"
    if not host.strip():
        return _refused("Give the address of the host to connect.", back=back)
    try:
        started = hosts.connect(
            session,
            runtime.vault,
            learner=learner,
            host_url=host,
            public_ids=[c for c in credential or [] if c],
            base_url=base,
            allow_private=runtime.settings.obapi_hosts_allow_private_networks,
        )
    except hosts.HostRefused as refusal:
        return _refused(str(refusal), back=back)
    # A page with a link rather than a redirect: the wallet page's policy lets its forms go to
    # Plaudit only (form-action 'self', which browsers apply to a form's redirects too), and
    # the learner sees where they are going before they go.
    html = pages.render(
        "host_continue.html",
        host_name=started.host_name,
        authorize_url=started.authorize_url,
        back=back,
    )
    return HTMLResponse(html, headers=_HEADERS)


# A GET that writes (the browser is redirected here): it runs its own transaction, which
# UnitOfWorkRoute would not give a GET.
_own_transaction = APIRouter(include_in_schema=False)


@_own_transaction.get(hosts.CALLBACK_PATH)
def callback(request: Request, runtime: RuntimeDep) -> Response:
    """Where the host sends the learner back: with a code (allowed) or an error (denied)."""
    query = request.query_params
    try:
        with unit_of_work(runtime.request_sessions) as session:
            finished = hosts.finish(
                session,
                runtime.vault,
                state=query.get("state", "")[:200],
                code=query.get("code"),
                error=query.get("error"),
                base_url=runtime.settings.public_base_url,
                allow_private=runtime.settings.obapi_hosts_allow_private_networks,
            )
            for push_id in finished.due:
                jobs.enqueue(session, tasks.push_credential, str(push_id))
    except hosts.HostRefused as refusal:
        return _refused(str(refusal), back=None)
    wallet = links.url(runtime.settings.public_base_url, runtime.vault, finished.learner_id)
    return RedirectResponse(f"{wallet}#hosts", status_code=303)


router = APIRouter()
router.include_router(_wallet)
router.include_router(_own_transaction)
