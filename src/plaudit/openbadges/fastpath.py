"""Fast eddsa-rdfc-2022 signing for documents of a shape seen before.

JSON-LD processing (PyLD) is about 90% of the cost of signing, and every credential of one
template version has the same shape: the same keys, list lengths, types and contexts, with only
string values differing. So a shape is compiled once: its document is processed with every
string leaf replaced by a unique placeholder, giving quads whose placeholders later take the
real values. On compiling, the substituted quads of that first document are compared with the
general path's; a shape that differs (a value JSON-LD would treat specially) is marked so and
always takes the general path. Canonicalisation (cheap) and signing run per document as usual.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from plaudit.openbadges.dataintegrity import (
    CRYPTOSUITE,
    PROOF_TYPE,
    ProofError,
    to_quads,
)
from plaudit.openbadges.multikey import b58encode
from plaudit.openbadges.nquads import IRI, Literal, Quad
from plaudit.openbadges.rdfc import DEFAULT_MAX_WORK, canonicalize

# Values here decide the shape (types, vocabularies, contexts), so they are never placeholders.
_STRUCTURAL_KEYS = frozenset(
    {
        "@context",
        "type",
        "@type",
        "@vocab",
        "achievementType",
        "identityType",
        "statusPurpose",
        "proofPurpose",
        "cryptosuite",
    }
)
# A placeholder may only stand for an IRI this module knows JSON-LD leaves alone.
_PLAIN_IRI = re.compile(
    r"^(https?://[^\s<>\"{}|\\^`]+|did:[a-z0-9]+:[^\s<>\"{}|\\^`]+|urn:[^\s<>\"]+)$"
)
_UNCOMPILABLE = object()


@dataclass(frozen=True)
class _Compiled:
    quads: tuple[Quad, ...]
    slots: dict[str, int]  # placeholder -> index of the value in the document's string leaves


def _shape(document: Any, prefix: str) -> tuple[Any, list[str], Any]:
    """(shape key, string leaf values, the document with placeholders)."""
    values: list[str] = []

    def walk(node: Any, structural: bool) -> tuple[Any, Any]:
        if isinstance(node, dict):
            parts, copy = [], {}
            for key, value in node.items():
                shape, copy[key] = walk(value, structural or key in _STRUCTURAL_KEYS)
                parts.append((key, shape))
            return ("d", tuple(parts)), copy
        if isinstance(node, list):
            pairs = [walk(item, structural) for item in node]
            return ("l", tuple(p[0] for p in pairs)), [p[1] for p in pairs]
        if isinstance(node, str) and not structural:
            values.append(node)
            return "s", f"{prefix}{len(values) - 1}"
        return ("v", type(node).__name__, node), node

    key, placeholder_doc = walk(document, False)
    return key, values, placeholder_doc


def _substitute(compiled: _Compiled, values: list[str]) -> list[Quad] | None:
    def term(node: Any) -> Any:
        if isinstance(node, IRI) and node.value in compiled.slots:
            value = values[compiled.slots[node.value]]
            return IRI(value) if _PLAIN_IRI.match(value) else None
        if isinstance(node, Literal) and node.value in compiled.slots:
            return Literal(values[compiled.slots[node.value]], node.datatype, node.language)
        return node

    out = []
    for quad in compiled.quads:
        parts = [term(quad.subject), term(quad.predicate), term(quad.object)]
        graph = term(quad.graph) if quad.graph is not None else None
        if any(p is None for p in parts) or (quad.graph is not None and graph is None):
            return None  # a value outside what the shape was checked for: general path
        out.append(Quad(parts[0], parts[1], parts[2], graph))
    return out


class ShapeCache:
    """Compiled shapes, least recently used dropped first; safe to share between threads."""

    def __init__(self, max_shapes: int = 256) -> None:
        self.max_shapes = max_shapes
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._prefix = f"urn:x-plaudit-slot:{secrets.token_hex(8)}:"
        self.hits = self.misses = self.fallbacks = 0

    def quads(self, document: Mapping[str, Any]) -> list[Quad]:
        key, values, placeholder_doc = _shape(dict(document), self._prefix)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None:
            self.misses += 1
            entry = self._compile(document, placeholder_doc, values)
            with self._lock:
                self._entries[key] = entry
                if len(self._entries) > self.max_shapes:
                    self._entries.popitem(last=False)
        else:
            self.hits += 1
        if entry is not _UNCOMPILABLE:
            quads = _substitute(entry, values)
            if quads is not None:
                return quads
        self.fallbacks += 1
        return to_quads(document)

    def _compile(self, document: Mapping[str, Any], placeholder_doc: Any, values: list[str]) -> Any:
        try:
            compiled = _Compiled(
                tuple(to_quads(placeholder_doc)),
                {f"{self._prefix}{i}": i for i in range(len(values))},
            )
        except ProofError:
            return _UNCOMPILABLE
        substituted = _substitute(compiled, values)
        # The first document of a shape proves the compilation against the general path.
        if substituted is None or set(substituted) != set(to_quads(document)):
            return _UNCOMPILABLE
        return compiled


def canonical(cache: ShapeCache, document: Mapping[str, Any]) -> str:
    return canonicalize(cache.quads(document), max_work=DEFAULT_MAX_WORK).nquads


def create_proof_rdfc_fast(
    cache: ShapeCache,
    document: Mapping[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """The same proof as dataintegrity.create_proof_rdfc, computed through compiled shapes."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    config = {**proof, "@context": unsecured.get("@context")}
    hash_data = (
        hashlib.sha256(canonical(cache, config).encode()).digest()
        + hashlib.sha256(canonical(cache, unsecured).encode()).digest()
    )
    proof["proofValue"] = "z" + b58encode(private_key.sign(hash_data))
    return proof


def sign_rdfc_fast(cache: ShapeCache, document: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
    if "proof" in document:
        raise ProofError("the fast path signs documents without proofs only")
    return {**document, "proof": create_proof_rdfc_fast(cache, document, **kw)}
