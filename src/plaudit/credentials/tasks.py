"""Jobs of credentials: sign them once their award has committed; re-sign status lists."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from plaudit import jobs
from plaudit.certificates import service as certificates
from plaudit.credentials import issuance
from plaudit.db import unit_of_work
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.organization import Organization
from plaudit.models.status_list import StatusList
from plaudit.models.template import TemplateVersion


@jobs.task(retries=5, retry_delay=10)
def sign_credentials(credential_ids: list[str]) -> None:
    """Each credential in its own transaction: one failure does not hold back the others."""
    rt = jobs.runtime()
    for ident in credential_ids:
        with unit_of_work(rt.sessions) as session:
            imported = session.get(Credential, uuid.UUID(ident))
            if imported is not None and imported.imported:
                # Another issuer's credential (plaudit.imports): ours to show, never to sign.
                continue
            # Loaded above: sign() finds it in the session without a second query.
            credential = issuance.sign(session, rt, credential_id=uuid.UUID(ident))
            if credential is not None and credential.status is not CredentialStatus.ACTIVE:
                # Revoked or suspended before it was signed: signing set its bits just now.
                jobs.enqueue(session, sign_status_lists, str(credential.organization_id))
    # Every signature above has committed: the certificates among them can be rendered.
    render_certificates(credential_ids)


@jobs.task(retries=3, retry_delay=30)
def render_certificates(credential_ids: list[str]) -> None:
    """The PDF of each certificate among them, stored once (badges have none)."""
    rt = jobs.runtime()
    with unit_of_work(rt.read_sessions) as session:
        rows = session.execute(
            select(Credential)
            .join(TemplateVersion, TemplateVersion.id == Credential.template_version_id)
            .where(
                Credential.id.in_([uuid.UUID(i) for i in credential_ids]),
                Credential.document.is_not(None),
                TemplateVersion.snapshot["kind"].as_string() == "certificate",
            )
        ).scalars()
        for credential in rows:
            certificates.ensure_pdf(session, rt, credential=credential)


@jobs.task(retries=5, retry_delay=10)
def sign_status_lists(organization_id: str) -> None:
    """Publish the organization's lists signed at their current version (a no-op if they are)."""
    rt = jobs.runtime()
    with unit_of_work(rt.sessions) as session:
        organization = session.get(Organization, uuid.UUID(organization_id))
        if organization is None:
            return
        stale = [
            status_list
            for status_list in session.scalars(
                select(StatusList)
                .where(StatusList.organization_id == organization.id)
                .order_by(StatusList.purpose)
                .with_for_update()
            )
            if status_list.stale
        ]
        for status_list in stale:
            status_list.document = issuance.signed_status_list(
                session, rt, organization=organization, status_list=status_list
            )
            status_list.signed_version = status_list.version
