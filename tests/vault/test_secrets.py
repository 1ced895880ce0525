"""Private keys are encrypted at rest and never leave the database in clear."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from plaudit.config import Settings
from plaudit.db import unit_of_work
from plaudit.keys import service as keys
from plaudit.models.signing_key import SigningKey
from plaudit.runtime import Runtime
from plaudit.vault import MasterKeyError, Vault, load_vault, new_master_key
from tests.fixtures.tenants import make_tenant


def test_sealed_secrets_open_only_with_their_key_and_context() -> None:
    vault = Vault(base64.b64decode(new_master_key()))
    blob = vault.seal(b"private", context="row-1")
    assert vault.open(blob, context="row-1") == b"private"
    with pytest.raises(InvalidTag):
        vault.open(blob, context="row-2")
    with pytest.raises(InvalidTag):
        Vault(base64.b64decode(new_master_key())).open(blob, context="row-1")


def test_the_master_key_is_created_once_embedded_and_required_otherwise(tmp_path: Path) -> None:
    embedded = Settings(data_dir=tmp_path)
    first, second = load_vault(embedded), load_vault(embedded)
    assert first.key == second.key
    assert (tmp_path / "master.key").stat().st_mode & 0o777 == 0o600
    networked = Settings(
        data_dir=tmp_path / "other", database_url="postgresql+psycopg://db/plaudit"
    )
    with pytest.raises(MasterKeyError, match="PLAUDIT_MASTER_KEY"):
        load_vault(networked)
    with pytest.raises(MasterKeyError, match="32 bytes"):
        load_vault(Settings(data_dir=tmp_path, master_key=base64.b64encode(b"short").decode()))


def test_private_keys_never_appear_in_a_database_dump_or_the_api(
    client: TestClient, runtime: Runtime, engine: Engine
) -> None:
    tenant = make_tenant(runtime)
    with unit_of_work(runtime.sessions) as session:
        provisioned = keys.provision(session, organization_id=tenant.id, vault=runtime.vault)
        private_forms = []
        for key in provisioned:
            private = keys.load_private_key(key, vault=runtime.vault)
            der = private.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            private_forms += [der, der.hex().encode(), base64.b64encode(der), der[-32:]]
    assert {k.algorithm.value for k in provisioned} == {"Ed25519", "RSA"}

    dump = b""
    with engine.connect() as conn:
        for table in ("signing_keys", "organizations", "api_keys", "idempotency_records"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                dump += repr(tuple(row)).encode() + b"\n"
                dump += b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    assert all(form not in dump for form in private_forms)

    responses = b"".join(
        client.get(path, headers=tenant.headers).content
        for path in ("/api/v1/organization", "/api/v1/api-keys", "/api/v1/members", "/openapi.json")
    )
    assert all(form not in responses for form in private_forms)
    with runtime.sessions() as session:
        stored = session.scalars(select(SigningKey)).all()
        assert all(k.master_key_id == runtime.vault.key_id for k in stored)
