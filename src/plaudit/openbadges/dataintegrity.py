"""Data Integrity with eddsa-rdfc-2022, also verifying eddsa-2022 and Ed25519Signature2020."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld  # type: ignore[import-untyped]
from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped]

from plaudit.openbadges.jcs import _XSD_DATETIME, with_proof
from plaudit.openbadges.loader import CONTEXTS, document_loader, unknown_context_in
from plaudit.openbadges.multikey import b58decode, b58encode
from plaudit.openbadges.nquads import Quad, from_pyld_dataset
from plaudit.openbadges.rdfc import (
    DEFAULT_MAX_WORK,
    CanonicalizationError,
    WorkLimitExceeded,
    canonicalize,
)

PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-rdfc-2022"
# The name the cryptosuite had in drafts up to 2023; 1EdTech's fixtures still carry it and the
# algorithm is the same.
LEGACY_CRYPTOSUITE: Final = "eddsa-2022"
ED25519_2020_TYPE: Final = "Ed25519Signature2020"

# One signature or verification shares one budget among all it canonicalises, so a document
# cannot multiply it by carrying many proofs. What decides is the work (hash steps, counted
# the same on every machine): whether a credential verifies must never depend on how busy the
# machine is. The wall-time deadline is only a last resort for what the steps do not count
# (reading a huge document as JSON-LD); honest credentials take milliseconds, and a deadline
# of one second refused valid ones on a loaded machine (the page said "Does not verify").
_DEADLINE_SECONDS: Final = 10.0


# What turns a JSON-LD document into its statements: to_quads, or fastpath's compiled shapes.
QuadSource = Callable[[Mapping[str, Any]], list[Quad]]


@dataclass
class _Budget:
    work: int = DEFAULT_MAX_WORK
    deadline: float = field(default_factory=lambda: time.monotonic() + _DEADLINE_SECONDS)
    quads: QuadSource | None = None  # None: to_quads


# The base contexts of the VC Data Model, 2.0 and 1.1: a credential must list one of them first.
_VC_BASE_CONTEXTS: Final = (
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
)

# An IRI that RDF (and canonical N-Quads) can carry: a scheme, then none of the characters
# the IRIREF production excludes. Blank node labels ("_:...") are matched separately.
_WELL_FORMED_IRI: Final = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\]*')
_BLANK_NODE: Final = re.compile(r"_:\S+")


class ProofError(ValueError):
    """A proof that is missing, malformed or of an unsupported suite, or a document that
    JSON-LD cannot turn into the statements a proof signs."""


class _BundledContextCache(dict[str, Any]):
    """PyLD's shared cache of resolved contexts, restricted to the bundled context URLs.

    A bundled URL always resolves to the same file, so its processed form may be reused by every
    call; inline contexts (keyed by their content) are left out, which keeps the cache bounded
    whatever documents we are sent.
    """

    def __setitem__(self, key: str, value: Any) -> None:
        if key in CONTEXTS:
            super().__setitem__(key, value)


_CONTEXT_CACHE: Final = _BundledContextCache()


def _cacheable_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    remote = document_loader(url, options)
    # PyLD keeps a remote context in its shared cache only when the loader tags it.
    remote["tag"] = "static"
    return remote


def _jsonld_options() -> dict[str, Any]:
    return {
        "documentLoader": _cacheable_loader,
        # A fresh resolver per call: its own per-operation cache never empties.
        "contextResolver": ContextResolver(_CONTEXT_CACHE, _cacheable_loader),
        # Data Integrity (4.x, "base URL set to null"): a relative IRI must stay relative, and
        # so be refused below, rather than be resolved against some URL the signer never saw.
        "base": None,
        # As digitalbazaar's canonize for Data Integrity, so @direction becomes the same RDF.
        "rdfDirection": "i18n-datatype",
        "produceGeneralizedRdf": False,
    }


def _property_dropped(expanded: str | None) -> None:
    raise ProofError(
        f"the property {expanded!r} is not defined by the document's @context; JSON-LD would "
        "drop it, so it could not be signed"
    )


def _check_iri(value: Any, what: str) -> None:
    if not isinstance(value, str) or not (
        _WELL_FORMED_IRI.fullmatch(value) or _BLANK_NODE.fullmatch(value)
    ):
        raise ProofError(
            f"{what} {value!r} is not an absolute IRI; JSON-LD would drop it, "
            "so it could not be signed"
        )


def _check_expanded(element: Any) -> None:
    """Refuse what expanded JSON-LD holds but RDF would silently lose (relative IRIs)."""
    if isinstance(element, list):
        for item in element:
            _check_expanded(item)
        return
    if not isinstance(element, dict):
        return
    if "@value" in element:
        if element.get("@type", "@json") != "@json":
            _check_iri(element["@type"], "the datatype")
        return
    for key, value in element.items():
        if key == "@id":
            _check_iri(value, "the identifier")
        elif key == "@type":
            for type_ in value if isinstance(value, list) else [value]:
                _check_iri(type_, "the type")
        elif key == "@reverse" and isinstance(value, dict):
            for reverse_key, reverse_value in value.items():
                _check_property(reverse_key)
                _check_expanded(reverse_value)
        elif key.startswith("@"):
            _check_expanded(value)
        else:
            _check_property(key)
            _check_expanded(value)


def _check_property(key: str) -> None:
    if key.startswith("_:"):
        raise ProofError(f"the property {key!r} is a blank node, which RDF does not allow")
    _check_iri(key, "the property")


def _innermost_jsonld_message(error: BaseException) -> str:
    # PyLD wraps the error that explains the problem in ones that only say where it surfaced.
    message = f"the document is not valid JSON-LD: {error}"
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, jsonld.JsonLdError):
            code = f" ({current.code})" if current.code else ""
            message = f"invalid JSON-LD{code}: {current.args[0] if current.args else current}"
        current = current.__cause__ or current.__context__
    return message


def to_quads(document: Mapping[str, Any]) -> list[Quad]:
    """The RDF statements of a JSON-LD document, using only the bundled contexts.

    Anything JSON-LD would silently drop (a term the context does not define, a relative IRI)
    raises ProofError, as Data Integrity requires: such data would travel with the credential
    without being signed. So do unknown contexts and invalid JSON-LD.
    """
    processor = jsonld.JsonLdProcessor(on_property_dropped=_property_dropped)
    try:
        expanded = processor.expand(dict(document), _jsonld_options())
        _check_expanded(expanded)
        quads = from_pyld_dataset(processor.to_rdf(expanded, _jsonld_options()))
    except RecursionError as exc:
        raise ProofError("the document is nested too deeply to process") from exc
    except ProofError:
        raise
    except (
        jsonld.JsonLdError,
        TypeError,
        ValueError,
        KeyError,
        AttributeError,
        ArithmeticError,  # a number too large for xsd:double
    ) as exc:
        unknown = unknown_context_in(exc)
        if unknown is not None:
            raise ProofError(
                f"the JSON-LD context {unknown.url} is not bundled with Plaudit "
                "and contexts are never fetched"
            ) from exc
        raise ProofError(_innermost_jsonld_message(exc)) from exc
    if not quads:
        raise ProofError("the document expresses no statements once read as JSON-LD")
    return quads


def _canonical(document: Mapping[str, Any], budget: _Budget) -> str:
    quads = (budget.quads or to_quads)(document)
    remaining = budget.deadline - time.monotonic()
    if remaining <= 0:
        raise WorkLimitExceeded(
            f"the documents need more than {_DEADLINE_SECONDS} s to canonicalise; refusing them"
        )
    try:
        result = canonicalize(
            quads, max_work=budget.work, deadline_seconds=remaining, hash_algorithm="sha256"
        )
        budget.work -= result.work
        return result.nquads
    except CanonicalizationError as exc:
        if type(exc) is CanonicalizationError:
            raise ProofError(f"the document cannot be canonicalised: {exc}") from exc
        raise  # WorkLimitExceeded: the caller reports the document as too complex


def canonical_document(document: Mapping[str, Any], *, max_work: int = DEFAULT_MAX_WORK) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document (at most `max_work` steps)."""
    return _canonical(document, _Budget(work=max_work))


def _without_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _check_base_context(document: Mapping[str, Any]) -> None:
    # Reordering contexts can leave the RDF, and so the signature, unchanged, while the JSON
    # no longer reads as the credential it claims to be; the VC Data Model (2.0 section 4.3,
    # 1.1 section 4.1) settles it by requiring its base context first.
    contexts = _as_list(document.get("@context"))
    for base in _VC_BASE_CONTEXTS:
        if base in contexts[1:]:
            raise ProofError(f"the @context {base} must come first")


def _hash_data(
    proof_config: Mapping[str, Any], document: Mapping[str, Any], budget: _Budget
) -> bytes:
    # vc-di-eddsa 3.2.4, and the 2020 suite before it: the proof configuration's hash first.
    _check_base_context(document)
    try:
        canonical_config = _canonical(proof_config, budget)
    except ProofError as exc:
        raise ProofError(f"in the proof configuration: {exc}") from exc
    canonical = _canonical(document, budget)
    return (
        hashlib.sha256(canonical_config.encode("utf-8")).digest()
        + hashlib.sha256(canonical.encode("utf-8")).digest()
    )


def _rdfc_hash_data(
    document: Mapping[str, Any], proof_options: Mapping[str, Any], budget: _Budget
) -> bytes:
    # `document` is what the proof signs: without proofs, or, in a chain, with the proofs it
    # names as its `proof` (Data Integrity 4.3).
    proof_config = {key: value for key, value in proof_options.items() if key != "proofValue"}
    proof_config["@context"] = document.get("@context")
    return _hash_data(proof_config, document, budget)


def proof_hash_data(
    document_without_proof: Mapping[str, Any], proof_options: Mapping[str, Any]
) -> bytes:
    """sha256(canonical proof configuration) || sha256(canonical document), for eddsa-rdfc-2022.

    The proof configuration is the proof options without proofValue, given the document's
    @context (vc-di-eddsa 3.2.5); a `proof` left in the document is ignored.
    """
    return _rdfc_hash_data(_without_proof(document_without_proof), proof_options, _Budget())


def create_proof_rdfc(
    document: Mapping[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    proof_purpose: str = "assertionMethod",
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An eddsa-rdfc-2022 DataIntegrityProof over `document` (any existing `proof` left out).

    Unlike eddsa-jcs-2022, the proof does not carry @context: the Recommendation's test vector
    has none, and the document's contexts are what the proof's terms are read with.
    """
    if not _XSD_DATETIME.fullmatch(created):
        raise ProofError(f"created must be an XML Schema dateTime, got {created!r}")
    # Key order matches the W3C test vector, so a signed document serialises the same way.
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        # More proof options when asked: id, challenge, domain, expires, previousProof, nonce.
        **(options or {}),
    }
    signature = private_key.sign(proof_hash_data(document, proof))
    proof["proofValue"] = "z" + b58encode(signature)
    return proof


def sign_rdfc(document: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
    """`document` with an eddsa-rdfc-2022 proof added; keywords as for create_proof_rdfc.

    A document that already has proofs gets a proof set: each proof signs the document
    without the others, as Data Integrity's "add proof set" prescribes.
    """
    return with_proof(document, create_proof_rdfc(document, **kw))


def _signature(proof: Mapping[str, Any]) -> bytes:
    """The proof's Ed25519 signature; ProofError if the proof is not well formed."""
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str) or not proof_value.startswith("z"):
        raise ProofError("proofValue must be a multibase base58btc string starting with 'z'")
    try:
        signature = b58decode(proof_value[1:])
    except ValueError as exc:
        raise ProofError(f"proofValue is not valid base58btc: {exc}") from exc
    if len(signature) != 64:
        raise ProofError(f"proofValue holds {len(signature)} bytes; an Ed25519 signature has 64")
    created = proof.get("created")
    if created is not None and not (isinstance(created, str) and _XSD_DATETIME.fullmatch(created)):
        raise ProofError(f"the proof's created is not an XML Schema dateTime: {created!r}")
    for required in ("verificationMethod", "proofPurpose"):
        value = proof.get(required)
        if not isinstance(value, str) or not value:
            raise ProofError(f"the proof has no {required}")
    return signature


def _signed_by(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _proofs(secured: Mapping[str, Any], accept: Callable[[Mapping[str, Any]], bool]) -> list[Any]:
    return [
        proof
        for proof in _as_list(secured.get("proof"))
        if isinstance(proof, Mapping) and accept(proof)
    ]


def _any_verifies(
    proofs: Iterable[Mapping[str, Any]], verify_one: Callable[[Mapping[str, Any]], bool]
) -> bool:
    # A proof that verifies settles it; otherwise a malformed proof is worth more to the caller
    # as its reason than as a bare False.
    problem: ProofError | None = None
    for proof in proofs:
        try:
            if verify_one(proof):
                return True
        except ProofError as exc:
            problem = problem or exc
    if problem is not None:
        raise problem
    return False


def _verify_rdfc_one(
    unsecured: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: Ed25519PublicKey,
    budget: _Budget,
) -> bool:
    signature = _signature(proof)
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    document = unsecured
    if "@context" in options:
        # 3.2.2 step 4: the document's contexts must begin with the proof's, in order, and the
        # proof's contexts are the ones that were signed.
        proof_contexts = _as_list(options["@context"])
        document_contexts = _as_list(unsecured.get("@context", []))
        if document_contexts[: len(proof_contexts)] != proof_contexts:
            return False
        document = {**unsecured, "@context": options["@context"]}
    return _signed_by(public_key, signature, _rdfc_hash_data(document, options, budget))


def verify_rdfc(
    secured: Mapping[str, Any],
    *,
    public_key: Ed25519PublicKey,
    quads: QuadSource = to_quads,
) -> bool:
    """Whether an eddsa-rdfc-2022 (or eddsa-2022) proof on `secured` verifies with `public_key`.

    With a proof set, True when any such proof verifies (each against the document without the
    other proofs); proofs with `previousProof` (chains) never count here: verify_rdfc_proof
    checks them. A wrong signature gives
    False. ProofError when there is no such proof, or none verifies and one is malformed, or the
    document is not JSON-LD the bundled contexts can read. WorkLimitExceeded propagates: the
    document is too complex to canonicalise. Whether the verificationMethod belongs to the
    issuer, and is `public_key`, is the caller's check. `quads` reads documents as statements
    (fastpath passes its compiled shapes).
    """
    proofs = _proofs(
        secured,
        lambda proof: (
            proof.get("type") == PROOF_TYPE
            and proof.get("cryptosuite") in (CRYPTOSUITE, LEGACY_CRYPTOSUITE)
        ),
    )
    if not proofs:
        raise ProofError(
            "the document has no DataIntegrityProof with cryptosuite eddsa-rdfc-2022 or eddsa-2022"
        )
    unsecured = _without_proof(secured)
    budget = _Budget(quads=quads)
    return _any_verifies(
        (proof for proof in proofs if "previousProof" not in proof),
        lambda proof: _verify_rdfc_one(unsecured, proof, public_key, budget),
    )


def verify_rdfc_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    public_key: Ed25519PublicKey,
    quads: QuadSource = to_quads,
) -> bool:
    """Whether one eddsa-rdfc-2022 `proof` verifies over `document` with `public_key`.

    `document` is what the proof signed: the document without its proofs, or, for a proof
    in a chain, with the proofs its `previousProof` names as its `proof` (Data Integrity 4.3;
    the caller finds them). Errors as for verify_rdfc.
    """
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") not in (
        CRYPTOSUITE,
        LEGACY_CRYPTOSUITE,
    ):
        raise ProofError("the proof is not a DataIntegrityProof with cryptosuite eddsa-rdfc-2022")
    return _verify_rdfc_one(document, proof, public_key, _Budget(quads=quads))


def _verify_2020_one(
    unsecured: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: Ed25519PublicKey,
    budget: _Budget,
) -> bool:
    signature = _signature(proof)
    # As jsonld-signatures builds it: the proof's own @context, if it has one, wins over the
    # document's; the document itself is canonicalised as it stands.
    proof_config: dict[str, Any] = {"@context": unsecured.get("@context")}
    proof_config.update((key, value) for key, value in proof.items() if key != "proofValue")
    return _signed_by(public_key, signature, _hash_data(proof_config, unsecured, budget))


def verify_ed25519_2020(secured: Mapping[str, Any], *, public_key: Ed25519PublicKey) -> bool:
    """Whether a legacy Ed25519Signature2020 proof on `secured` verifies with `public_key`.

    The 2020 suite hashes like eddsa-rdfc-2022 (URDNA2015 is RDFC-1.0), with the proof type
    Ed25519Signature2020 and no cryptosuite. Errors and proof sets are handled as by verify_rdfc.
    """
    proofs = _proofs(secured, lambda proof: proof.get("type") == ED25519_2020_TYPE)
    if not proofs:
        raise ProofError("the document has no Ed25519Signature2020 proof")
    unsecured = _without_proof(secured)
    budget = _Budget()
    return _any_verifies(
        proofs, lambda proof: _verify_2020_one(unsecured, proof, public_key, budget)
    )
