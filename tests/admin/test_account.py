"""Signing in and out, lockout, CSRF, password resets, invitations, organization switching."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from plaudit.config import Settings
from plaudit.db import unit_of_work, utcnow
from plaudit.models.user import AdminSession, Role, User
from plaudit.runtime import Runtime
from plaudit.users import invitations, signin
from tests.admin.conftest import (
    PASSWORD,
    Dashboard,
    add_person,
    admin_posts,
    csrf_of,
    deliver,
    sign_in,
)
from tests.fixtures.peers import SmtpServer, delivery_settings, smtp_server
from tests.fixtures.tenants import Tenant, make_tenant

__all__ = ["smtp_server"]


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server)


@pytest.fixture
def browser(app: FastAPI) -> TestClient:
    with TestClient(app) as client:
        return client


def test_signing_in_opens_the_dashboard_with_a_safe_cookie(
    browser: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    email = add_person(runtime, tenant.id, Role.ADMIN)
    assert browser.get("/admin/", follow_redirects=False).headers["location"] == (
        "/admin/login?next=%2Fadmin%2F"
    )
    response = sign_in(browser, email)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/"
    cookie = response.headers["set-cookie"]
    assert "plaudit_admin=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    with unit_of_work(runtime.read_sessions) as session:
        stored = session.scalars(select(AdminSession.token_hash)).all()
    token = browser.cookies.get("plaudit_admin")
    assert token and token not in stored and signin.token_hash(token) in stored
    page = browser.get("/admin/")
    assert page.status_code == 200
    assert "Acme Academy" in page.text and "Sign out" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_sign_in_goes_back_to_the_page_asked_for_but_never_elsewhere(
    browser: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    email = add_person(runtime, tenant.id, Role.ADMIN)
    for asked, lands in [
        ("/admin/credentials?q=ada", "/admin/credentials?q=ada"),
        ("https://evil.example/admin", "/admin/"),
        ("//evil.example/admin", "/admin/"),
    ]:
        page = browser.get("/admin/login", params={"next": asked})
        response = browser.post(
            "/admin/login",
            data={
                "csrf_token": csrf_of(page.text),
                "email": email,
                "password": PASSWORD,
                "next": asked,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == lands


def test_wrong_passwords_are_refused_alike_and_keep_the_email(
    browser: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    email = add_person(runtime, tenant.id, Role.ADMIN)
    wrong = sign_in(browser, email, "not the password")
    unknown = sign_in(browser, "nobody@example.org", "not the password")
    for response, typed in [(wrong, email), (unknown, "nobody@example.org")]:
        assert response.status_code == 422
        assert "That email and password do not match an account." in response.text
        assert f'value="{typed}"' in response.text
    empty = browser.post(
        "/admin/login",
        data={"csrf_token": csrf_of(browser.get("/admin/login").text), "email": "", "password": ""},
    )
    assert empty.status_code == 422
    assert re.search(r'id="e-email">Enter your email address.<', empty.text)
    assert re.search(r'id="e-password">Enter your password.<', empty.text)


def test_five_failures_lock_the_account_for_a_while(
    browser: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    email = add_person(runtime, tenant.id, Role.ADMIN)
    for _ in range(signin.MAX_FAILURES):
        assert sign_in(browser, email, "guessing wrong").status_code == 422
    locked = sign_in(browser, email)  # the right password, but locked
    assert locked.status_code == 422
    assert "locked until" in locked.text
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(User).where(User.email == email).values(locked_until=utcnow() - timedelta(1))
        )
    assert sign_in(browser, email).status_code == 303
    with unit_of_work(runtime.read_sessions) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        assert user.failed_logins == 0 and user.locked_until is None


def test_forms_without_the_token_or_from_another_site_are_refused(
    owner: Dashboard, browser: TestClient
) -> None:
    missing = owner.client.post("/admin/logout", data={}, follow_redirects=False)
    assert missing.status_code == 403
    assert "security token" in missing.text
    assert "text/html" in missing.headers["content-type"]
    token = owner.csrf()
    cross_site = owner.client.post(
        "/admin/logout",
        data={"csrf_token": token},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert cross_site.status_code == 403
    assert "another site" in cross_site.text
    # Another person's token is worthless too.
    other = owner.client.post(
        "/admin/logout", data={"csrf_token": "x" * 43}, follow_redirects=False
    )
    assert other.status_code == 403
    assert owner.get("/admin/").status_code == 200  # still signed in
    # The sign-in form has its own token, bound to a cookie.
    login = browser.post(
        "/admin/login", data={"email": owner.email, "password": PASSWORD}, follow_redirects=False
    )
    assert login.status_code == 403


def test_signing_out_ends_the_session(owner: Dashboard, runtime: Runtime) -> None:
    token = owner.client.cookies.get("plaudit_admin")
    response = owner.post("/admin/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login"
    assert owner.get("/admin/").status_code == 303
    # The old cookie is dead even if someone kept it.
    with TestClient(owner.client.app) as thief:
        thief.cookies.set("plaudit_admin", token or "", path="/admin")
        assert thief.get("/admin/", follow_redirects=False).status_code == 303


def _link(message: object, pattern: str) -> str:
    body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    match = re.search(pattern, body)
    assert match, body
    return match.group(0)


def test_a_password_reset_by_email_works_once(
    browser: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    email = add_person(runtime, tenant.id, Role.ADMIN)
    page = browser.get("/admin/password/forgot")
    asked = browser.post(
        "/admin/password/forgot",
        data={"csrf_token": csrf_of(page.text), "email": email.upper()},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    unknown = browser.post(
        "/admin/password/forgot",
        data={"csrf_token": csrf_of(page.text), "email": "nobody@example.org"},
        follow_redirects=False,
    )
    assert unknown.status_code == 303  # the same answer: no account discovery
    deliver(runtime)
    [message] = smtp_server.mailbox.to(email)
    assert smtp_server.mailbox.to("nobody@example.org") == []
    assert message["Subject"] == "Choose a new Plaudit password"
    link = _link(message, r"http://testserver/admin/password/reset/\S+")
    path = link.removeprefix("http://testserver")

    form = browser.get(path)
    short = browser.post(
        path,
        data={"csrf_token": csrf_of(form.text), "password": "short", "password_again": "short"},
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    new = "a much better passphrase"
    done = browser.post(
        path,
        data={"csrf_token": csrf_of(form.text), "password": new, "password_again": new},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert sign_in(browser, email).status_code == 422
    assert sign_in(browser, email, new).status_code == 303
    again = browser.post(
        path,
        data={
            "csrf_token": csrf_of(browser.get(path).text),
            "password": "another one!!",
            "password_again": "another one!!",
        },
    )
    assert again.status_code == 422
    assert "expired or was already used" in again.text


def test_an_invitation_makes_a_member_with_its_role(
    app: FastAPI, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    with unit_of_work(runtime.sessions) as session:
        invitation = invitations.invite(
            session,
            organization_id=tenant.id,
            email="new.viewer@example.org",
            role=Role.VIEWER,
            invited_by=None,
            now=utcnow(),
        )
        invitation_id = invitation.id
    deliver(runtime)
    [message] = smtp_server.mailbox.to("new.viewer@example.org")
    assert "Acme Academy" in message["Subject"]
    path = _link(message, r"http://testserver/admin/invitations/\S+").removeprefix(
        "http://testserver"
    )
    with TestClient(app) as newcomer:
        form = newcomer.get(path)
        assert form.status_code == 200 and "viewer" in form.text
        weak = newcomer.post(
            path, data={"csrf_token": csrf_of(form.text), "name": "Vera", "password": "short"}
        )
        assert weak.status_code == 422
        assert 'value="Vera"' in weak.text
        joined = newcomer.post(
            path,
            data={"csrf_token": csrf_of(form.text), "name": "Vera", "password": PASSWORD},
            follow_redirects=False,
        )
        assert joined.status_code == 303
        overview = newcomer.get("/admin/")
        assert "You are a viewer" in overview.text
        # The link is spent.
        assert newcomer.get(path).status_code == 404
    with unit_of_work(runtime.read_sessions) as session:
        from plaudit.models.user import Invitation, Membership

        assert session.get(Invitation, invitation_id).accepted_at is not None  # type: ignore[union-attr]
        user = session.scalars(select(User).where(User.email == "new.viewer@example.org")).one()
        assert session.get(Membership, (user.id, tenant.id)).role is Role.VIEWER  # type: ignore[union-attr]
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    with TestClient(app) as stranger:
        assert stranger.get(tampered).status_code == 404


def test_people_in_several_organizations_switch_between_them(
    owner: Dashboard, runtime: Runtime
) -> None:
    other = make_tenant(runtime, name="Beta School")
    with unit_of_work(runtime.sessions) as session:
        user = session.scalars(select(User).where(User.email == owner.email)).one()
        from plaudit.users import service as users

        users.add_member(session, organization_id=other.id, user=user, role=Role.VIEWER)
    page = owner.get("/admin/")
    assert "Beta School (viewer)" in page.text
    switched = owner.post("/admin/switch", {"organization_id": str(other.id)})
    assert switched.status_code == 303
    page = owner.get("/admin/")
    assert "<h1>Beta School</h1>" in page.text and "You are a viewer" in page.text
    stranger = make_tenant(runtime, name="Not Mine")
    refused = owner.post("/admin/switch", {"organization_id": str(stranger.id)})
    assert refused.status_code == 403


def test_unknown_dashboard_pages_are_pages_not_json(owner: Dashboard) -> None:
    response = owner.get("/admin/nothing-here")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "There is nothing at /admin/nothing-here" in response.text


def test_viewers_cannot_send_any_form_that_changes_something(
    dashboard: Callable[..., Dashboard], app: FastAPI
) -> None:
    """Every POST under /admin, but signing out and switching, refuses a viewer."""
    viewer = dashboard(Role.VIEWER)
    token = viewer.csrf()
    open_to_all = {"/admin/logout", "/admin/switch", "/admin/login", "/admin/password/forgot"}
    posts = [p for p in admin_posts(app) if p not in open_to_all and "{token}" not in p]
    # Every area has forms: the test cannot pass by finding none.
    for area in ("settings", "credentials", "bulk", "templates", "rules"):  # AREAS
        assert any(p.startswith(f"/admin/{area}") for p in posts), area
    for path in posts:
        url = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
        response = viewer.client.post(url, data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403, (path, response.status_code)
        assert "Viewers can look at everything" in response.text or "owner" in response.text
