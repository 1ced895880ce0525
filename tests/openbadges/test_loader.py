"""Bundled JSON-LD contexts: byte-for-byte copies, packaged, and served with the network off."""

from __future__ import annotations

import hashlib
import json
import socket
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld  # type: ignore[import-untyped]

from plaudit.openbadges.loader import (
    CONTEXTS,
    UnknownContext,
    document_loader,
    load_context,
    unknown_context_in,
)
from tests.fixtures.paths import standards

STANDARDS = standards()
FIXTURES = STANDARDS / "ob3" / "validator-fixtures"
VCDM2_INPUTS = STANDARDS / "w3c" / "vcdm2-test-suite-inputs"

# Bundled file -> where it came from in the shared standards folder.
SOURCES = {
    **{
        name: STANDARDS / "w3c" / "contexts" / name
        for name in (
            "credentials-v2.jsonld",
            "credentials-v1.jsonld",
            "credentials-examples-v2.jsonld",
            "credentials-undefined-terms-v2.jsonld",
            "data-integrity-v2.jsonld",
            "data-integrity-v1.jsonld",
            "multikey-v1.jsonld",
            "jwk-v1.jsonld",
            "credentials-status-v1.jsonld",
            "ed25519-signature-2020-v1.jsonld",
            "did-v1.jsonld",
        )
    },
    **{
        name: STANDARDS / "ob3" / "context" / name
        for name in ("context-3.0.3.json", "context-3.0.2.json", "context-3.0.1.json")
    },
    "context.json": STANDARDS / "ob3" / "context" / "context.json",
    "extensions.json": STANDARDS / "ob3" / "context" / "validator-copy" / "extensions.json",
    "v2-context.json": STANDARDS / "ob2" / "context" / "v2-context.json",
    "v1-context.json": STANDARDS / "ob2" / "context" / "v1-context.json",
}

OB3_TYPE = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"


def _bundled(name: str) -> bytes:
    return resources.files("plaudit.openbadges").joinpath("contexts", name).read_bytes()


def _string_contexts(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                for entry in item if isinstance(item, list) else [item]:
                    if isinstance(entry, str):
                        found.add(entry)
            found |= _string_contexts(item)
    elif isinstance(value, list):
        for item in value:
            found |= _string_contexts(item)
    return found


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_bundled_file_is_a_byte_for_byte_copy(name: str) -> None:
    assert _bundled(name) == SOURCES[name].read_bytes()


def test_every_mapped_file_is_bundled_and_every_bundled_file_is_mapped() -> None:
    directory = resources.files("plaudit.openbadges").joinpath("contexts")
    shipped = {entry.name for entry in directory.iterdir() if entry.name.endswith((".json", "ld"))}
    assert set(CONTEXTS.values()) == shipped == set(SOURCES)


def test_credentials_v2_has_the_hash_the_vc_spec_publishes() -> None:
    digest = hashlib.sha256(_bundled("credentials-v2.jsonld")).hexdigest()
    assert digest == "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"


def test_readme_urls_are_all_mapped() -> None:
    expected = {
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/2018/credentials/v1",
        "https://www.w3.org/ns/credentials/examples/v2",
        "https://www.w3.org/ns/credentials/undefined-terms/v2",
        "https://w3id.org/security/data-integrity/v2",
        "https://w3id.org/security/data-integrity/v1",
        "https://w3id.org/security/multikey/v1",
        "https://w3id.org/security/jwk/v1",
        "https://www.w3.org/ns/credentials/status/v1",
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "https://www.w3.org/ns/did/v1",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        "https://w3id.org/openbadges/v2",
        "https://w3id.org/openbadges/v1",
    }
    assert expected <= set(CONTEXTS)


def test_fixture_context_urls_that_name_a_bundled_context_are_served() -> None:
    used: set[str] = set()
    for path in [*FIXTURES.rglob("*.json"), *VCDM2_INPUTS.rglob("*.json")]:
        used |= _string_contexts(json.loads(path.read_text(encoding="utf-8")))
    # Contexts Plaudit does not ship: a vendor's extension, a deliberately broken URL, and
    # an early-draft URL that served a different (Badge Connect) context.
    not_ours = {
        "https://lib.velocitynetwork.foundation/contexts/credential-extensions-2022.jsonld.json",
        "https ://not-a-url/contexts/example/v1",
        "https://imsglobal.github.io/openbadges-specification/context.json",
    }
    assert used - not_ours <= set(CONTEXTS)


def test_load_context_parses_and_protects_its_cache() -> None:
    first = load_context("https://www.w3.org/ns/credentials/v2")
    assert first["@context"]["@protected"] is True
    first["@context"].clear()
    assert load_context("https://www.w3.org/ns/credentials/v2")["@context"]["@protected"] is True


def test_document_loader_returns_a_pyld_remote_document() -> None:
    url = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    remote = document_loader(url, {})
    assert remote == {"contextUrl": None, "documentUrl": url, "document": load_context(url)}


@pytest.mark.parametrize(
    "url",
    [
        "http://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/v2/",
        "https://www.w3.org/ns/credentials/v2#",
        "https://example.com/contexts/v1",
    ],
)
def test_an_unknown_context_is_refused(url: str) -> None:
    with pytest.raises(UnknownContext, match="is not bundled with Plaudit") as caught:
        document_loader(url)
    assert caught.value.url == url


@pytest.mark.usefixtures("no_network")
def test_pyld_expands_an_ob3_fixture_offline() -> None:
    credential = json.loads((FIXTURES / "simple.json").read_text(encoding="utf-8"))
    expanded = jsonld.expand(credential, {"documentLoader": document_loader})
    assert OB3_TYPE in expanded[0]["@type"]


def _expandable() -> list[Path]:
    ob3 = [p for p in FIXTURES.rglob("*.json") if "-err-" not in p.name]
    vcdm2 = list(VCDM2_INPUTS.rglob("*-ok.json"))
    return sorted(ob3 + vcdm2)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("path", _expandable(), ids=lambda p: p.name)
def test_valid_fixtures_expand_offline(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert jsonld.expand(document, {"documentLoader": document_loader})


@pytest.mark.usefixtures("no_network")
def test_pyld_reports_the_unknown_context() -> None:
    url = "https://example.com/not-bundled/v1"
    document = {"@context": ["https://www.w3.org/ns/credentials/v2", url], "name": "x"}
    with pytest.raises(jsonld.JsonLdError) as caught:
        jsonld.expand(document, {"documentLoader": document_loader})
    assert url in str(caught.value)
    cause = unknown_context_in(caught.value)
    assert isinstance(cause, UnknownContext)
    assert cause.url == url


def test_unknown_context_in_finds_nothing_in_other_errors() -> None:
    assert unknown_context_in(ValueError("something else")) is None
