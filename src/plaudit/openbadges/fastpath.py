"""Fast eddsa-rdfc-2022 signing and verification for documents of a shape seen before.

JSON-LD processing (PyLD) is about 90% of the cost of signing or verifying, and every credential
of one template version has the same shape: the same keys, list lengths, types and contexts,
with only string values differing. So a shape is compiled once: its document is processed with
every string leaf replaced by a unique placeholder, giving quads whose placeholders later take
the real values. Canonicalisation (cheap, and bounded by the same work limit) and the signature
run per document as usual.

Why a substituted value gives the general path's statements: what JSON-LD does with a string
leaf depends on its key and the active context, both part of the shape, and, for a value that
becomes an IRI, on the value itself (a term, a compact IRI, a relative IRI). So:
- a shape is only compiled when every @context in it is a bundled context URL (tests check those
  define no term a value below could collide with, and alias no keyword but @id and @type);
- values that decide how the rest is read (@context, types, keyword values such as @language)
  are part of the shape, never placeholders;
- a placeholder that became a literal takes any string verbatim; one that became an IRI takes
  only an absolute http(s), did or urn IRI that JSON-LD leaves as it is; any other value sends
  that document to the general path;
- the first document of a shape whose values fit is also run through the general path and must
  give the same statements, or the shape is marked uncompilable for good.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from plaudit.openbadges import dataintegrity
from plaudit.openbadges.dataintegrity import (
    CRYPTOSUITE,
    PROOF_TYPE,
    ProofError,
    to_quads,
)
from plaudit.openbadges.loader import CONTEXTS
from plaudit.openbadges.multikey import b58encode
from plaudit.openbadges.nquads import IRI, Literal, Quad
from plaudit.openbadges.rdfc import DEFAULT_MAX_WORK, canonicalize

# Values here decide the shape (types, vocabularies, contexts), so they are never placeholders.
# So are the values of keywords other than those listed in _VALUE_KEYWORDS (@language,
# @direction, @index, @base, ...).
_STRUCTURAL_KEYS = frozenset(
    {
        "type",
        "achievementType",
        "identityType",
        "statusPurpose",
        "proofPurpose",
        "cryptosuite",
    }
)
# Keywords whose string values are data (@id, @value) or that only hold other nodes.
_VALUE_KEYWORDS = frozenset(
    {"@id", "@value", "@graph", "@list", "@set", "@included", "@nest", "@reverse"}
)
# A placeholder may only stand for an IRI that JSON-LD leaves alone: no bundled context defines
# "did" or "urn" as a prefix (checked by the tests), a suffix starting with "//" is never
# expanded, and none of these characters is one RDF, PyLD (\s) or our IRI check refuses.
_PLAIN_IRI: Final = re.compile(r"(?:https?://|did:[a-z0-9]+:|urn:)[^\s\x00-\x20<>\"{}|^`\\]+")
# Shapes deeper or bigger than any credential are left to the general path: the cache should
# hold small compiled forms, and the walk below recurses.
_MAX_DEPTH: Final = 48
_MAX_LEAVES: Final = 4_000


class _Uncompilable:
    """A shape whose compiled form did not give the general path's statements."""


_UNCOMPILABLE: Final = _Uncompilable()

# A compiled quad: the quad with placeholders, and the index of the value that replaces its
# subject, object and graph name (None: kept as compiled).
_Step = tuple[Quad, int | None, int | None, int | None]


@dataclass
class _Compiled:
    steps: tuple[_Step, ...]
    proven: bool = False  # a document has shown it gives the general path's statements


class _NotCompilable(Exception):
    """The document is outside what the fast path handles (inline contexts, depth, size)."""


def _shape(document: Any, prefix: str | None) -> tuple[bytes, list[str], Any]:
    """(digest of the shape, string leaf values, the document with placeholders or None).

    The document with placeholders is only built when a `prefix` is given. _NotCompilable when
    a @context is not a bundled URL, or the document is too big or deep.
    """
    values: list[str] = []
    parts: list[str] = []

    def context(node: Any) -> None:
        for item in node if isinstance(node, list) else [node]:
            if not (isinstance(item, str) and item in CONTEXTS):
                raise _NotCompilable

    def walk(node: Any, structural: bool, depth: int) -> Any:
        if depth > _MAX_DEPTH or len(parts) > _MAX_LEAVES:
            raise _NotCompilable
        if isinstance(node, dict):
            parts.append("{")
            copy = {}
            for key, value in node.items():
                if key == "@context":
                    context(value)
                parts.append(repr(key))
                keeps = structural or (
                    key in _STRUCTURAL_KEYS or (key[:1] == "@" and key not in _VALUE_KEYWORDS)
                )
                copy[key] = walk(value, keeps, depth + 1)
            parts.append("}")
            return copy
        if isinstance(node, list):
            parts.append("[")
            items = [walk(item, structural, depth + 1) for item in node]
            parts.append("]")
            return items
        if isinstance(node, str) and not structural:
            values.append(node)
            parts.append("s")
            return None if prefix is None else f"{prefix}{len(values) - 1}"
        parts.append(f"{type(node).__name__}:{node!r}")
        return node

    placeholder_doc = walk(document, False, 0)
    key = hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).digest()
    return key, values, placeholder_doc if prefix is not None else None


def _compile(quads: list[Quad], slots: dict[str, int]) -> _Compiled:
    def slot(term: Any) -> int | None:
        return slots.get(term.value) if isinstance(term, IRI | Literal) else None

    steps: list[_Step] = []
    for quad in quads:
        if slot(quad.predicate) is not None:
            raise _NotCompilable  # a value became a property: never from a bundled context
        steps.append((quad, slot(quad.subject), slot(quad.object), slot(quad.graph)))
    return _Compiled(tuple(steps))


def _iri(value: str) -> IRI | None:
    return IRI(value) if _PLAIN_IRI.fullmatch(value) else None


def _substitute(compiled: _Compiled, values: list[str]) -> list[Quad] | None:
    """The quads with the document's values, or None when a value is not one an IRI
    placeholder may take (the general path decides then)."""
    out: list[Quad] = []
    for quad, subject_slot, object_slot, graph_slot in compiled.steps:
        if subject_slot is None and object_slot is None and graph_slot is None:
            out.append(quad)
            continue
        subject, obj, graph = quad.subject, quad.object, quad.graph
        if subject_slot is not None:
            subject_iri = _iri(values[subject_slot])
            if subject_iri is None:
                return None
            subject = subject_iri
        if object_slot is not None:
            if isinstance(obj, Literal):
                obj = Literal(values[object_slot], obj.datatype, obj.language)
            else:
                object_iri = _iri(values[object_slot])
                if object_iri is None:
                    return None
                obj = object_iri
        if graph_slot is not None:
            graph_iri = _iri(values[graph_slot])
            if graph_iri is None:
                return None
            graph = graph_iri
        out.append(Quad(subject, quad.predicate, obj, graph))
    return out


class ShapeCache:
    """Compiled shapes, least recently used dropped first; safe to share between threads.

    `compile_after` is how many documents of a shape must be seen before it is compiled: 1 for
    signing (our own shapes), 2 for verification, so that documents of a shape never seen again
    (anything anyone posts) cost one general pass rather than two.
    """

    def __init__(self, max_shapes: int = 256, *, compile_after: int = 1) -> None:
        self.max_shapes = max_shapes
        self.compile_after = compile_after
        # shape digest -> _Compiled, _UNCOMPILABLE, or how many documents of it were seen
        self._entries: OrderedDict[bytes, _Compiled | _Uncompilable | int] = OrderedDict()
        self._lock = threading.Lock()
        self._prefix = f"urn:x-plaudit-slot:{secrets.token_hex(8)}:"
        self.hits = self.misses = self.fallbacks = 0

    def _store(self, key: bytes, entry: _Compiled | _Uncompilable | int) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            if len(self._entries) > self.max_shapes:
                self._entries.popitem(last=False)

    def quads(self, document: Mapping[str, Any]) -> list[Quad]:
        """The statements of `document`, as dataintegrity.to_quads gives them (errors too)."""
        try:
            key, values, _ = _shape(dict(document), None)
        except _NotCompilable:
            self.fallbacks += 1
            return to_quads(document)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None or isinstance(entry, int):
            seen = (entry or 0) + 1
            self.misses += 1
            if seen < self.compile_after:
                self._store(key, seen)
                return to_quads(document)
            entry = self._compile(document)
            self._store(key, entry)
        if isinstance(entry, _Uncompilable):
            self.fallbacks += 1
            return to_quads(document)
        quads = _substitute(entry, values)
        if quads is None:
            self.fallbacks += 1
            return to_quads(document)
        if not entry.proven:
            # The first document of the shape proves the compilation against the general path.
            general = to_quads(document)
            if set(general) == set(quads):
                entry.proven = True
            else:
                self._store(key, _UNCOMPILABLE)
            return general
        self.hits += 1
        return quads

    def _compile(self, document: Mapping[str, Any]) -> _Compiled | _Uncompilable:
        try:
            _, values, placeholder_doc = _shape(dict(document), self._prefix)
            slots = {f"{self._prefix}{i}": i for i in range(len(values))}
            return _compile(to_quads(placeholder_doc), slots)
        except (_NotCompilable, ProofError):
            return _UNCOMPILABLE


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


# Verification sees documents from anyone, so its shapes are kept apart from signing's and
# compiled only once repeated; a flood of one-off shapes then costs what the general path costs.
VERIFICATION_SHAPES: Final = ShapeCache(1024, compile_after=2)


def verify_rdfc(
    secured: Mapping[str, Any],
    *,
    public_key: Ed25519PublicKey,
    cache: ShapeCache = VERIFICATION_SHAPES,
) -> bool:
    """dataintegrity.verify_rdfc (same verdicts and errors), through compiled shapes."""
    return dataintegrity.verify_rdfc(secured, public_key=public_key, quads=cache.quads)


def verify_rdfc_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    public_key: Ed25519PublicKey,
    cache: ShapeCache = VERIFICATION_SHAPES,
) -> bool:
    """dataintegrity.verify_rdfc_proof (same verdicts and errors), through compiled shapes."""
    return dataintegrity.verify_rdfc_proof(
        document, proof, public_key=public_key, quads=cache.quads
    )
