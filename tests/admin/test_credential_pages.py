"""Dashboard credentials: search, a credential's details, files, engagement and delivery log,
and its forms (revoke, suspend, unsuspend, send the email again) through the API's services."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from plaudit.claims import service as claims
from plaudit.db import unit_of_work, utcnow
from plaudit.models.award import Credential
from plaudit.models.claim import WalletNotice
from plaudit.models.delivery import MessageStatus, OutboxMessage
from plaudit.models.learner import Learner
from plaudit.models.user import Role
from plaudit.runtime import Runtime
from plaudit.wallets import deliver as wallets
from tests.admin.conftest import Dashboard, deliver
from tests.fixtures.credentials import Issued, act, issue
from tests.fixtures.pages import engagement_of
from tests.fixtures.tenants import make_tenant

_LINK = re.compile(r'href="/admin/credentials/([0-9a-f-]{36})"')


def _record(owner: Dashboard, issued: Issued) -> dict[str, Any]:
    response = owner.client.get(
        f"/api/v1/credentials/{issued.credential_id}", headers=owner.tenant.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _page(issued: Issued) -> str:
    return f"/admin/credentials/{issued.credential_id}"


def _post(owner: Dashboard, issued: Issued, action: str, **data: str) -> Any:
    return owner.post(f"{_page(issued)}/{action}", data, page=_page(issued))


def _set(runtime: Runtime, issued: Issued, **values: Any) -> None:
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(Credential)
            .where(Credential.id == uuid.UUID(issued.credential_id))
            .values(**values)
        )


def test_search_by_learner_template_status_and_origin(owner: Dashboard, runtime: Runtime) -> None:
    ada = issue(owner.client, owner.tenant, first_name="Ada", last_name="Lovelace", learner="ada-1")
    grace = issue(
        owner.client,
        owner.tenant,
        template_name="Compilers",
        first_name="Grace",
        last_name="Hopper",
        learner="grace-2",
    )
    alan = issue(
        owner.client, owner.tenant, template_name="Codes", first_name="Alan", last_name="Turing"
    )
    old = issue(owner.client, owner.tenant, template_name="Old", first_name="Old", last_name="One")
    act(owner.client, owner.tenant, grace, "suspend", "checking")
    act(owner.client, owner.tenant, alan, "revoke", "copied")
    _set(runtime, old, expires_at=utcnow() - timedelta(days=1), imported=True)

    def found(**params: str) -> set[str]:
        response = owner.get("/admin/credentials", params=params)
        assert response.status_code == 200, response.text
        return set(_LINK.findall(response.text))

    everyone = {i.credential_id for i in (ada, grace, alan, old)}
    assert found() == everyone
    assert found(q="hopper") == {grace.credential_id}
    assert found(q="GRACE-2") == {grace.credential_id}
    assert found(q="ada-1@example") == {ada.credential_id}
    assert found(q=ada.public_id) == {ada.credential_id}
    assert found(status="valid") == {ada.credential_id}
    assert found(status="suspended") == {grace.credential_id}
    assert found(status="revoked") == {alan.credential_id}
    assert found(status="expired") == {old.credential_id}
    assert found(origin="imported") == {old.credential_id}
    assert found(origin="issued") == everyone - {old.credential_id}
    template_id = _record(owner, grace)["template_id"]
    assert found(template=template_id) == {grace.credential_id}
    assert found(template=template_id, status="valid") == set()
    assert found(template="not-a-uuid") == everyone  # a stale or mangled filter is ignored
    listing = owner.get("/admin/credentials").text
    assert "Page" not in listing and '<p class="pager"><span>4 in all</span></p>' in listing
    assert 'class="badge s-expired">expired' in listing
    imported = owner.get(_page(old)).text
    assert "imported from another issuer" in imported
    assert "/download/" not in imported  # not ours to offer as files
    assert (
        "No credential matches this search."
        in owner.get("/admin/credentials", params={"q": "nobody"}).text
    )


def test_the_list_is_paged(owner: Dashboard, runtime: Runtime) -> None:
    issue(owner.client, owner.tenant)
    with unit_of_work(runtime.sessions) as session:
        original = session.scalars(select(Credential)).one()
        for n in range(26):
            session.add(
                Credential(
                    **{
                        c.key: getattr(original, c.key)
                        for c in Credential.__table__.columns
                        if c.key
                        not in {"id", "public_id", "award_log_id", "status_index", "created_at"}
                    },
                    public_id=f"copy{n:02d}{uuid.uuid4().hex[:8]}",
                )
            )
    first = owner.get("/admin/credentials").text
    assert "Page 1 of 2 · 27 in all" in first
    assert len(_LINK.findall(first)) == 25
    assert len(_LINK.findall(owner.get("/admin/credentials", params={"page": 2}).text)) == 2


def test_a_credentials_page_shows_its_details_files_engagement_and_deliveries(
    owner: Dashboard, runtime: Runtime
) -> None:
    issued = issue(owner.client, owner.tenant, template_name="Safety <Champion>")
    deliver(runtime)
    # A visit to its public page is counted and shows here.
    public = owner.client.get(issued.page, headers={"Accept": "text/html"})
    assert public.status_code == 200
    engagement_of(owner.client).flush(runtime.sessions)
    page = owner.get(_page(issued))
    assert page.status_code == 200
    html = page.text
    record = _record(owner, issued)
    assert "<h1>Safety &lt;Champion&gt; <span" in html
    assert f'href="/admin/learners/{issued.learner_id}">Ada Lovelace</a>' in html
    assert f'href="/admin/templates/{record["template_id"]}">Safety &lt;Champion&gt;</a>' in html
    assert "version 1" in html
    assert 'class="badge s-valid">valid' in html
    assert f'href="http://testserver/credentials/{issued.public_id}"' in html
    assert re.search(r'href="/admin/events/[0-9a-f-]{36}">an event</a>', html)
    assert "<dt>Page views</dt><dd>1</dd>" in html
    # The award email, with its attempt, in the delivery log; and the files.
    deliveries = html.split('id="deliveries"')[1]
    assert "<code>credential.issued</code>" in deliveries
    assert record["recipient_email"] in deliveries
    assert 'class="badge s-delivered">delivered' in deliveries
    for name in ("credential.json", "credential.jwt", "badge.png", "badge.svg", "badge-ob2.png"):
        assert f'href="{_page(issued)}/download/{name}"' in html
    assert "certificate.pdf" not in html


def test_downloads_are_the_public_pages_files_and_not_counted(
    owner: Dashboard, runtime: Runtime
) -> None:
    issued = issue(owner.client, owner.tenant, kind="certificate", template_name="Python Course")
    html = owner.get(_page(issued)).text
    assert f'href="{_page(issued)}/download/certificate.pdf"' in html
    for name, media in (
        ("credential.json", "application/vc+ld+json"),
        ("credential.jwt", "application/vc+jwt"),
        ("badge.png", "image/png"),
        ("badge.svg", "image/svg+xml"),
        ("certificate.pdf", "application/pdf"),
    ):
        mine = owner.get(f"{_page(issued)}/download/{name}")
        assert mine.status_code == 200, (name, mine.text)
        assert mine.headers["content-type"].startswith(media)
        assert f'filename="{name}"' in mine.headers["content-disposition"]
    json_here = owner.get(f"{_page(issued)}/download/credential.json").content
    json_public = owner.client.get(f"{issued.page}/download/credential.json").content
    assert json_here == json_public
    engagement_of(owner.client).flush(runtime.sessions)
    # One JSON download counted: the public one; the dashboard's are not the learner's.
    assert "<dt>JSON downloads</dt><dd>1</dd>" in owner.get(_page(issued)).text
    assert owner.get(f"{_page(issued)}/download/nothing.exe").status_code == 404


def test_revoke_needs_a_reason_and_a_confirmation_and_is_final(
    owner: Dashboard, runtime: Runtime
) -> None:
    issued = issue(owner.client, owner.tenant)
    empty = _post(owner, issued, "revoke", revoke_reason="   ", confirm="yes")
    assert empty.status_code == 422
    assert 'id="e-revoke_reason">Give a reason of 1 to 500 characters.' in empty.text
    unconfirmed = _post(owner, issued, "revoke", revoke_reason="Copied <b>work</b>")
    assert unconfirmed.status_code == 422
    assert 'id="e-confirm">Tick the box to confirm' in unconfirmed.text
    assert ">Copied &lt;b&gt;work&lt;/b&gt;</textarea>" in unconfirmed.text  # kept, escaped
    assert _record(owner, issued)["revoked_at"] is None  # nothing saved
    done = _post(owner, issued, "revoke", revoke_reason="Copied <b>work</b>", confirm="yes")
    assert done.status_code == 303
    assert done.headers["location"] == _page(issued)
    record = _record(owner, issued)
    assert record["status"] == "revoked"
    assert record["revoked_reason"] == "Copied <b>work</b>"
    page = owner.get(_page(issued)).text
    assert "The credential is revoked" in page  # the flash
    assert 'class="badge s-revoked">revoked' in page
    assert "Reason: Copied &lt;b&gt;work&lt;/b&gt;" in page
    assert 'action="/admin/credentials/' not in page.split('id="deliveries"')[0]  # no forms
    # Its public page says so, with the reason.
    public = owner.client.get(issued.page, headers={"Accept": "text/html"}).text
    assert "revoked" in public.lower() and "Copied &lt;b&gt;work&lt;/b&gt;" in public
    # Revoking again (a page left open in another tab) is refused with the API's words.
    again = _post(owner, issued, "revoke", revoke_reason="twice", confirm="yes")
    assert again.status_code == 409
    assert "The credential is revoked; revocation is final." in again.text
    assert _record(owner, issued)["revoked_reason"] == "Copied <b>work</b>"


def test_suspend_and_unsuspend(owner: Dashboard) -> None:
    issued = issue(owner.client, owner.tenant)
    empty = _post(owner, issued, "suspend", suspend_reason="")
    assert empty.status_code == 422
    assert 'id="e-suspend_reason">Give a reason of 1 to 500 characters.' in empty.text
    assert _record(owner, issued)["status"] == "active"
    assert _post(owner, issued, "suspend", suspend_reason="Under review").status_code == 303
    assert _record(owner, issued)["status"] == "suspended"
    page = owner.get(_page(issued)).text
    assert 'class="badge s-suspended">suspended' in page and "Reason: Under review" in page
    assert f'action="{_page(issued)}/unsuspend"' in page
    assert f'action="{_page(issued)}/suspend"' not in page
    twice = _post(owner, issued, "suspend", suspend_reason="again")
    assert twice.status_code == 409
    assert "it can only be revoked or unsuspended, not suspended" in twice.text
    assert _post(owner, issued, "unsuspend").status_code == 303
    record = _record(owner, issued)
    assert record["status"] == "active" and record["revoked_reason"] is None
    refused = _post(owner, issued, "unsuspend")
    assert refused.status_code == 409
    assert "not unsuspended" in refused.text


def test_the_award_email_can_be_sent_again(owner: Dashboard, runtime: Runtime) -> None:
    issued = issue(owner.client, owner.tenant)
    deliver(runtime)
    sent = _post(owner, issued, "resend")
    assert sent.status_code == 303
    assert sent.headers["location"].endswith("#deliveries")
    deliver(runtime)
    with unit_of_work(runtime.sessions) as session:
        [message] = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.credential_id == uuid.UUID(issued.credential_id)
            )
        ).all()
        assert message.topic == "credential.issued"
        assert message.status is MessageStatus.DELIVERED
        assert message.attempts == 2  # the same message, sent a second time
    assert "is on its way to" in owner.get(_page(issued)).text
    # Any message of the log can be sent again too, but only from its own credential's page.
    other = issue(owner.client, owner.tenant, template_name="Other")
    assert (
        owner.post(
            f"{_page(other)}/deliveries/{message.id}/redeliver", {}, page=_page(other)
        ).status_code
        == 404
    )
    assert (
        owner.post(
            f"{_page(issued)}/deliveries/{message.id}/redeliver", {}, page=_page(issued)
        ).status_code
        == 303
    )


def test_the_email_is_not_sent_again_when_it_should_not_be(
    owner: Dashboard, runtime: Runtime
) -> None:
    suspended = issue(owner.client, owner.tenant)
    act(owner.client, owner.tenant, suspended, "suspend", "review")
    refused = _post(owner, suspended, "resend")
    assert refused.status_code == 409
    assert "The credential is suspended; its award email is not sent again." in refused.text
    unsubscribed = issue(owner.client, owner.tenant, template_name="Quiet")
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(Learner)
            .where(Learner.id == uuid.UUID(unsubscribed.learner_id))
            .values(email_opt_out_at=utcnow())
        )
    assert "unsubscribed from emails" in _post(owner, unsubscribed, "resend").text
    silent = issue(owner.client, owner.tenant, template_name="Silent")
    with unit_of_work(runtime.sessions) as session:
        session.query(OutboxMessage).filter(
            OutboxMessage.credential_id == uuid.UUID(silent.credential_id)
        ).delete()
    nothing = _post(owner, silent, "resend")
    assert nothing.status_code == 409
    assert "No award email was recorded for this credential" in nothing.text


def test_viewers_read_credentials_and_change_nothing(
    dashboard: Callable[..., Dashboard],
) -> None:
    viewer = dashboard(Role.VIEWER)
    issued = issue(viewer.client, viewer.tenant)
    page = viewer.get(_page(issued))
    assert page.status_code == 200
    assert f'action="{_page(issued)}/revoke"' not in page.text
    assert viewer.get(f"{_page(issued)}/download/credential.json").status_code == 200
    token = viewer.csrf(_page(issued))
    for action in ("revoke", "suspend", "unsuspend", "resend"):
        response = viewer.post(
            f"{_page(issued)}/{action}",
            {"revoke_reason": "x", "suspend_reason": "x", "confirm": "yes"},
            csrf=token,
        )
        assert response.status_code == 403, action
    assert _record(viewer, issued)["status"] == "active"


def test_another_organizations_credential_is_not_found(owner: Dashboard, runtime: Runtime) -> None:
    other = make_tenant(runtime, name="Elsewhere")
    theirs = issue(owner.client, other)
    assert theirs.credential_id not in owner.get("/admin/credentials").text
    assert owner.get(_page(theirs)).status_code == 404
    assert owner.get(f"{_page(theirs)}/download/credential.json").status_code == 404
    token = owner.csrf()
    for action in ("revoke", "suspend", "unsuspend", "resend"):
        response = owner.post(
            f"{_page(theirs)}/{action}",
            {"revoke_reason": "x", "suspend_reason": "x", "confirm": "yes"},
            csrf=token,
        )
        assert response.status_code == 404, action
    assert owner.get("/admin/credentials/not-a-uuid").status_code == 404
    response = owner.client.get(
        f"/api/v1/credentials/{theirs.credential_id}", headers=other.headers
    )
    assert response.json()["status"] == "active"


def test_the_credential_page_shows_what_wallets_did(owner: Dashboard, runtime: Runtime) -> None:
    issued = issue(owner.client, owner.tenant, template_name="Crane operation")
    page = owner.get(_page(issued)).text
    assert "Not offered to a wallet yet" in page
    with unit_of_work(runtime.sessions) as session:
        credential = session.get(Credential, uuid.UUID(issued.credential_id))
        assert credential is not None
        claim = claims.open_claim(session, runtime.settings, credential=credential)
        _, notification_id = wallets.deliver(
            session,
            runtime,
            claim,
            holder="did:key:z6MkholderExample",
            protocol=wallets.OID4VCI,
            wallet="Sphereon Wallet/1.2",
        )
        wallets.notice(session, claim, notification_id=notification_id, event=WalletNotice.ACCEPTED)
        claims.open_claim(session, runtime.settings, credential=credential)  # a second offer
    page = owner.get(_page(issued)).text
    assert 'data-claim-status="claimed"' in page and 'data-claim-status="open"' in page
    for shown in ("OpenID4VCI", "Sphereon Wallet/1.2", "did:key:z6MkholderExample", "stored it"):
        assert shown in page
    assert re.search(r"<dt>Stored in a wallet</dt><dd>1</dd>", page)
    # Counted as engagement, and in the export.
    export = owner.client.get(
        "/api/v1/exports/credentials?format=jsonl", headers=owner.tenant.headers
    )
    rows = {r["id"]: r for r in map(json.loads, export.text.splitlines())}
    assert rows[issued.credential_id]["wallet_claimed_at"] is not None


def test_an_open_wallet_offer_is_withdrawn_from_the_credential_page(
    owner: Dashboard, runtime: Runtime
) -> None:
    issued = issue(owner.client, owner.tenant, template_name="Withdrawable")
    with unit_of_work(runtime.sessions) as session:
        credential = session.get(Credential, uuid.UUID(issued.credential_id))
        assert credential is not None
        taken = claims.open_claim(session, runtime.settings, credential=credential)
        wallets.deliver(session, runtime, taken, holder=None, protocol="test", wallet=None)
        offer = claims.open_claim(session, runtime.settings, credential=credential)
        taken_id, offer_id = taken.id, offer.id
    page = owner.get(_page(issued)).text
    assert f"/claims/{offer_id}/withdraw" in page
    assert f"/claims/{taken_id}/withdraw" not in page  # a taken offer cannot be withdrawn
    response = _post(owner, issued, f"claims/{offer_id}/withdraw")
    assert response.status_code == 303
    assert 'data-claim-status="revoked"' in owner.get(_page(issued)).text
    refused = _post(owner, issued, f"claims/{taken_id}/withdraw")
    assert refused.status_code == 409
    assert "revoke the credential instead" in refused.text
    assert _post(owner, issued, f"claims/{uuid.uuid4()}/withdraw").status_code == 404
