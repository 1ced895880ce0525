"""How the API stores what clients send: an upserted credential is an import (verified, never
signed by Plaudit, on an archived template of its achievement) held by the learner who
consented; codes are exchanged once even when two requests race."""

from __future__ import annotations

import threading
import uuid

import httpx2
from sqlalchemy import select

from plaudit.db import unit_of_work
from plaudit.models.award import AwardGuard, Credential
from plaudit.models.template import Template, TemplateStatus
from tests.obapi.conftest import Live
from tests.obapi.obclient import tokens_of
from tests.obapi.samples import fixture


def test_an_upserted_credential_is_an_import_of_the_learner_who_consented(live: Live) -> None:
    # Two learners share an address; imports would give the credential to the first one made.
    first = live.learner(credentials=0, email="shared@example.org")
    second = live.learner(credentials=0, email="shared@example.org")
    ob = live.ob()
    tokens = ob.tokens(ob.register(), wallet=second.wallet)
    sample = fixture("simple.json")
    assert ob.upsert(tokens, sample).status_code == 201
    with unit_of_work(live.runtime.sessions) as session:
        stored = session.scalars(
            select(Credential).where(Credential.legacy_id == sample["id"])
        ).one()
        assert str(stored.learner_id) == second.id
        assert stored.imported and stored.signed_at is None and stored.status_index is None
        assert stored.imported_document == sample
        assert stored.import_details is not None
        assert stored.import_details["verification"]["verified"] is True
        template = session.get(Template, stored.template_id)
        assert template is not None and template.status is TemplateStatus.ARCHIVED
        guards = set(session.execute(select(AwardGuard.learner_id, AwardGuard.template_id)).all())
        assert guards == {(uuid.UUID(second.id), stored.template_id)}
    first_tokens = ob.tokens(ob.register(), wallet=first.wallet)
    assert ob.all_credentials(first_tokens)["credential"] == []
    assert ob.all_credentials(tokens)["credential"] == [sample]


def test_two_exchanges_of_one_code_at_once_give_tokens_once_and_revoke_them(live: Live) -> None:
    learner = live.learner(credentials=1)
    ob = live.ob()
    client = ob.register()
    code, verifier = ob.authorize(client, wallet=learner.wallet)
    answers: list[httpx2.Response] = []
    start = threading.Barrier(2)

    def exchange() -> None:
        with httpx2.Client(timeout=30) as http:
            start.wait()
            answers.append(
                http.post(
                    ob.flow["tokenUrl"],
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": "https://wallet.example.org/callback",
                        "code_verifier": verifier,
                    },
                    auth=(client.client_id, client.client_secret or ""),
                )
            )

    threads = [threading.Thread(target=exchange) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 400], [a.text for a in answers]
    [won] = [a for a in answers if a.status_code == 200]
    [lost] = [a for a in answers if a.status_code == 400]
    assert lost.json()["error"] == "invalid_grant"
    # The second presentation is a replay: what the first one bought is revoked too.
    assert ob.get("/credentials", tokens_of(won)).status_code == 401
