"""Settings: API keys (the token shown once, only its hash stored), members and their roles
(never without an owner), invitations by email, accepted or withdrawn."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from plaudit.config import Settings
from plaudit.db import unit_of_work
from plaudit.models.apikey import ApiKey
from plaudit.models.user import Invitation, Membership, Role, User
from plaudit.runtime import Runtime
from tests.admin.conftest import PASSWORD, Dashboard, add_person, csrf_of, deliver
from tests.fixtures.admin import error_beside
from tests.fixtures.peers import SmtpServer, delivery_settings, smtp_server
from tests.fixtures.tenants import make_tenant

__all__ = ["smtp_server"]


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server)


def test_an_api_key_token_is_shown_once_and_only_its_hash_is_stored(
    owner: Dashboard, runtime: Runtime
) -> None:
    bad = owner.post("/admin/settings/api-keys", {"name": "Moodle"})
    assert bad.status_code == 422
    assert error_beside(bad.text, "scopes") == "Choose at least one scope."
    assert 'value="Moodle"' in bad.text
    created = owner.post(
        "/admin/settings/api-keys", {"name": "Moodle", "scopes": ["read", "issue"]}
    )
    assert created.status_code == 200
    [token] = re.findall(r"plaudit_[0-9a-f]+_[A-Za-z0-9_-]+", created.text)
    assert "shown only once" in created.text
    listing = owner.get("/admin/settings/api-keys").text
    assert token not in listing and "Moodle" in listing and "read, issue" in listing
    prefix, secret = token.removeprefix("plaudit_").split("_", 1)
    with unit_of_work(runtime.read_sessions) as session:
        key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        assert key.secret_hash != token and secret not in key.secret_hash
        assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        key_id = key.id
    assert f"plaudit_{prefix}_…" in listing
    api = owner.client.get("/api/v1/templates", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    revoked = owner.post(
        f"/admin/settings/api-keys/{key_id}/revoke", page="/admin/settings/api-keys"
    )
    assert revoked.status_code == 303
    listing = owner.get("/admin/settings/api-keys").text
    assert "is revoked" in listing and f'/api-keys/{key_id}/revoke"' not in listing
    api = owner.client.get("/api/v1/templates", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


def test_an_invitation_arrives_by_email_and_the_newcomer_is_listed(
    owner: Dashboard, app: FastAPI, runtime: Runtime, smtp_server: SmtpServer
) -> None:
    bad = owner.post("/admin/settings/members/invite", {"email": "not-an-email", "role": "admin"})
    assert bad.status_code == 422 and error_beside(bad.text, "email")
    assert 'value="not-an-email"' in bad.text
    mine = owner.post("/admin/settings/members/invite", {"email": owner.email, "role": "viewer"})
    assert mine.status_code == 422 and "already a member" in error_beside(mine.text, "email")

    sent = owner.post(
        "/admin/settings/members/invite", {"email": "New.Admin@Example.org", "role": "admin"}
    )
    assert sent.status_code == 303
    page = owner.get("/admin/settings/members").text
    assert "is on its way to new.admin@example.org" in page
    assert re.search(r"<td[^>]*>new\.admin@example\.org</td>\s*<td>admin</td>", page)
    deliver(runtime)
    [message] = smtp_server.mailbox.to("new.admin@example.org")
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    path = re.search(r"http://testserver(/admin/invitations/\S+)", body).group(1)  # type: ignore[union-attr]
    with TestClient(app) as newcomer:
        form = newcomer.get(path)
        joined = newcomer.post(
            path,
            data={"csrf_token": csrf_of(form.text), "name": "Ada", "password": PASSWORD},
            follow_redirects=False,
        )
        assert joined.status_code == 303
    page = owner.get("/admin/settings/members").text
    assert "new.admin@example.org" in page and "No pending invitations." in page
    with unit_of_work(runtime.read_sessions) as session:
        user = session.scalars(select(User).where(User.email == "new.admin@example.org")).one()
        assert session.get(Membership, (user.id, owner.tenant.id)).role is Role.ADMIN  # type: ignore[union-attr]


def test_a_withdrawn_invitation_no_longer_works(
    owner: Dashboard, app: FastAPI, runtime: Runtime, smtp_server: SmtpServer
) -> None:
    owner.post("/admin/settings/members/invite", {"email": "late@example.org", "role": "viewer"})
    deliver(runtime)
    [message] = smtp_server.mailbox.to("late@example.org")
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    path = re.search(r"http://testserver(/admin/invitations/\S+)", body).group(1)  # type: ignore[union-attr]
    page = owner.get("/admin/settings/members").text
    [invitation_id] = re.findall(r"/admin/settings/invitations/([0-9a-f-]{36})/withdraw", page)
    withdrawn = owner.post(
        f"/admin/settings/invitations/{invitation_id}/withdraw", page="/admin/settings/members"
    )
    assert withdrawn.status_code == 303
    page = owner.get("/admin/settings/members").text
    assert "is withdrawn" in page and "No pending invitations." in page
    with unit_of_work(runtime.read_sessions) as session:
        row = session.scalars(
            select(Invitation).where(Invitation.email == "late@example.org")
        ).one()
        assert row.revoked_at is not None
    with TestClient(app) as stranger:
        assert stranger.get(path).status_code == 404
    other = make_tenant(runtime, name="Beta School")
    with unit_of_work(runtime.sessions) as session:
        from plaudit.db import utcnow
        from plaudit.users import invitations

        theirs = invitations.invite(
            session,
            organization_id=other.id,
            email="theirs@example.org",
            role=Role.VIEWER,
            invited_by=None,
            now=utcnow(),
        ).id
    refused = owner.post(
        f"/admin/settings/invitations/{theirs}/withdraw", page="/admin/settings/members"
    )
    assert refused.status_code == 404
    with unit_of_work(runtime.read_sessions) as session:
        assert session.get(Invitation, theirs).revoked_at is None  # type: ignore[union-attr]


def test_roles_change_and_the_last_owner_stays(owner: Dashboard, runtime: Runtime) -> None:
    colleague = add_person(runtime, owner.tenant.id, Role.VIEWER)
    with unit_of_work(runtime.read_sessions) as session:
        ids = {
            u.email: u.id
            for u in session.scalars(select(User).where(User.email.in_([owner.email, colleague])))
        }
    me, them = ids[owner.email], ids[colleague]
    # The only owner cannot step down or leave: the API's protection, shown as a message.
    refused = owner.post(
        f"/admin/settings/members/{me}/role", {"role": "admin"}, page="/admin/settings/members"
    )
    assert refused.status_code == 303
    assert "last owner" in owner.get("/admin/settings/members").text
    refused = owner.post(f"/admin/settings/members/{me}/remove", page="/admin/settings/members")
    assert "last owner" in owner.get("/admin/settings/members").text
    promoted = owner.post(
        f"/admin/settings/members/{them}/role", {"role": "owner"}, page="/admin/settings/members"
    )
    assert promoted.status_code == 303
    assert f"{colleague} is now owner." in owner.get("/admin/settings/members").text
    api = owner.client.get("/api/v1/members", headers=owner.tenant.headers).json()["items"]
    assert {m["email"]: m["role"] for m in api}[colleague] == "owner"
    nonsense = owner.post(
        f"/admin/settings/members/{them}/role", {"role": "emperor"}, page="/admin/settings/members"
    )
    assert nonsense.status_code == 303
    removed = owner.post(f"/admin/settings/members/{them}/remove", page="/admin/settings/members")
    assert removed.status_code == 303
    page = owner.get("/admin/settings/members").text
    assert f"{colleague} is no longer a member." in page
    with unit_of_work(runtime.read_sessions) as session:
        assert session.get(Membership, (them, owner.tenant.id)) is None
    # Someone of another organization is not a member here.
    outsider = add_person(runtime, make_tenant(runtime, name="Beta").id, Role.OWNER)
    with unit_of_work(runtime.read_sessions) as session:
        outsider_id = session.scalars(select(User.id).where(User.email == outsider)).one()
    assert (
        owner.post(
            f"/admin/settings/members/{outsider_id}/remove", page="/admin/settings/members"
        ).status_code
        == 404
    )
    assert (
        owner.post(
            f"/admin/settings/members/{outsider_id}/role",
            {"role": "viewer"},
            page="/admin/settings/members",
        ).status_code
        == 404
    )


def test_only_owners_make_or_remove_owners(
    dashboard: Callable[..., Dashboard], runtime: Runtime
) -> None:
    admin = dashboard(Role.ADMIN)
    owner = dashboard(Role.OWNER)
    with unit_of_work(runtime.read_sessions) as session:
        admin_id = session.scalars(select(User.id).where(User.email == admin.email)).one()
        owner_id = session.scalars(select(User.id).where(User.email == owner.email)).one()
    page = "/admin/settings/members"
    invite = admin.post(
        "/admin/settings/members/invite",
        {"email": "boss@example.org", "role": "owner"},
        page=page,
    )
    assert invite.status_code == 422
    assert "Only an owner can" in invite.text
    assert 'value="boss@example.org"' in invite.text
    for path, data in [
        (f"/admin/settings/members/{admin_id}/role", {"role": "owner"}),
        (f"/admin/settings/members/{owner_id}/role", {"role": "viewer"}),
        (f"/admin/settings/members/{owner_id}/remove", {}),
    ]:
        assert admin.post(path, data, page=page).status_code == 303
        assert "Only an owner can" in admin.get(page).text
    with unit_of_work(runtime.read_sessions) as session:
        roles = dict(
            session.execute(
                select(Membership.user_id, Membership.role).where(
                    Membership.organization_id == admin.tenant.id
                )
            ).all()
        )
    assert roles[admin_id] is Role.ADMIN and roles[owner_id] is Role.OWNER
    # An owner may.
    assert (
        owner.post(
            f"/admin/settings/members/{admin_id}/role", {"role": "owner"}, page=page
        ).status_code
        == 303
    )
    with unit_of_work(runtime.read_sessions) as session:
        assert session.get(Membership, (admin_id, admin.tenant.id)).role is Role.OWNER  # type: ignore[union-attr]
