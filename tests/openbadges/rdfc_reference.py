"""The straightforward RDFC-1.0 canonicaliser (Plaudit's before optimisation), as a reference.

The property tests compare plaudit.openbadges.rdfc with it; it serialises every quad afresh for
each hash, with its own copy of the canonical N-Quads serializer, so the two share no code path.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from plaudit.openbadges.nquads import IRI, XSD_STRING, BlankNode, Quad, Term
from plaudit.openbadges.rdfc import DEFAULT_MAX_WORK, WorkLimitExceeded

# The canonical N-Quads serializer as it was, so the optimised one is checked too.
_CANONICAL_ESCAPES: dict[int, str] = {code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]} | {
    ord("\b"): "\\b",
    ord("\t"): "\\t",
    ord("\n"): "\\n",
    ord("\f"): "\\f",
    ord("\r"): "\\r",
    ord('"'): '\\"',
    ord("\\"): "\\\\",
}


def _serialize_term(term: Term) -> str:
    if isinstance(term, IRI):
        return f"<{term.value}>"
    if isinstance(term, BlankNode):
        return f"_:{term.id}"
    quoted = '"' + term.value.translate(_CANONICAL_ESCAPES) + '"'
    if term.language is not None:
        return f"{quoted}@{term.language}"
    if term.datatype == XSD_STRING:
        return quoted
    return f"{quoted}^^<{term.datatype}>"


def serialize_quad(quad: Quad) -> str:
    """One quad in canonical N-Quads form, ending in a newline."""
    parts = [_serialize_term(quad.subject), _serialize_term(quad.predicate)]
    parts.append(_serialize_term(quad.object))
    if quad.graph is not None:
        parts.append(_serialize_term(quad.graph))
    parts.append(".\n")
    return " ".join(parts)


@dataclass(frozen=True)
class CanonicalResult:
    nquads: str
    issued: dict[str, str]
    work: int = 0  # hash steps spent (see DEFAULT_MAX_WORK)


class _Issuer:
    """An identifier issuer (RDFC-1.0 4.3/4.5): ``issued`` keeps the order of issue."""

    __slots__ = ("issued", "prefix")

    def __init__(self, prefix: str, issued: dict[str, str] | None = None) -> None:
        self.prefix = prefix
        self.issued: dict[str, str] = {} if issued is None else issued

    def issue(self, identifier: str) -> str:
        existing = self.issued.get(identifier)
        if existing is None:
            existing = self.issued[identifier] = f"{self.prefix}{len(self.issued)}"
        return existing

    def copy(self) -> _Issuer:
        return _Issuer(self.prefix, dict(self.issued))


class _HashResult(NamedTuple):
    hash: str
    issuer: _Issuer


# Hash N-Degree Quads runs as generators on an explicit stack: each yields the
# (identifier, issuer) it wants hashed and is sent back the result. A long chain of
# look-alike blank nodes then recurses as deep as it needs without exhausting Python's stack.
_Recursion = Generator[tuple[str, _Issuer], _HashResult, _HashResult]


HashAlgorithm = Literal["sha256", "sha384"]
_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384}


def _johnson_trotter(size: int) -> Iterator[list[int]]:
    """All orderings of ``range(size)`` by Steinhaus-Johnson-Trotter, starting from the sorted one.

    The specification allows any order, but when two permutations give the same path the first
    one wins; visiting them in the order of the reference implementation (digitalbazaar's
    rdf-canonize) keeps our choice of issuer the same as that of the signers we must agree with.
    """
    perm = list(range(size))
    facing_left = [True] * size
    while True:
        yield perm
        mobile, position = -1, 0
        for index, element in enumerate(perm):
            if element <= mobile:
                continue
            if facing_left[element]:
                if index > 0 and element > perm[index - 1]:
                    mobile, position = element, index
            elif index < size - 1 and element > perm[index + 1]:
                mobile, position = element, index
        if mobile < 0:
            return
        swap = position - 1 if facing_left[mobile] else position + 1
        perm[position], perm[swap] = perm[swap], mobile
        for element in range(mobile + 1, size):
            facing_left[element] = not facing_left[element]


def _distinct_orderings(ordered: list[str]) -> Iterator[tuple[str, ...]]:
    """Each distinct ordering of a sorted list with repeats once, in lexicographic order."""
    current = list(ordered)
    while True:
        yield tuple(current)
        pivot = len(current) - 2
        while pivot >= 0 and current[pivot] >= current[pivot + 1]:
            pivot -= 1
        if pivot < 0:
            return
        successor = len(current) - 1
        while current[successor] <= current[pivot]:
            successor -= 1
        current[pivot], current[successor] = current[successor], current[pivot]
        current[pivot + 1 :] = reversed(current[pivot + 1 :])


def _permutations(nodes: list[str]) -> Iterator[tuple[str, ...]]:
    ordered = sorted(nodes)
    if len(set(ordered)) == len(ordered):
        for indexes in _johnson_trotter(len(ordered)):
            yield tuple(ordered[index] for index in indexes)
        return
    # A node related twice by the same hash (its quads share a blank graph name, or one triple
    # sits in two graphs) repeats in the list. Orderings that only swap repeats give identical
    # paths, so each distinct one is examined once; enumerating the repeats would cost n! for
    # nothing. (rdf-canonize's permuter misses some distinct orderings of such a list; the
    # specification wants all of them.)
    yield from _distinct_orderings(ordered)


def _relabelled_line(quad: Quad, rename: Callable[[str], str]) -> str:
    """The canonical N-Quads line of ``quad`` with every blank node renamed."""
    subject, obj, graph = quad.subject, quad.object, quad.graph
    if isinstance(subject, BlankNode):
        subject = BlankNode(rename(subject.id))
    if isinstance(obj, BlankNode):
        obj = BlankNode(rename(obj.id))
    if isinstance(graph, BlankNode):
        graph = BlankNode(rename(graph.id))
    return serialize_quad(Quad(subject, quad.predicate, obj, graph))


class _Canonicalizer:
    def __init__(
        self,
        quads: list[Quad],
        *,
        max_work: int,
        deadline_seconds: float | None,
        hash_algorithm: HashAlgorithm,
    ) -> None:
        self.new_hash = _HASHES[hash_algorithm]
        self.max_work = max_work
        self.work = 0
        self.deadline_seconds = deadline_seconds
        self.deadline = None if deadline_seconds is None else time.monotonic() + deadline_seconds
        self.canonical = _Issuer("c14n")
        # 4.4.3 step 2: the blank node to quads map, in order of first appearance.
        self.quads_of: dict[str, list[Quad]] = {}
        for quad in quads:
            for term in (quad.subject, quad.object, quad.graph):
                if isinstance(term, BlankNode):
                    mentions = self.quads_of.setdefault(term.id, [])
                    # A quad that mentions a node twice still counts once for it.
                    if not mentions or mentions[-1] is not quad:
                        mentions.append(quad)
        self.first_degree: dict[str, str] = {}
        # For Hash Related Blank Node: every (related node, position and predicate) pair that
        # the quads of a blank node give, with the "s<predicate>" / "o<predicate>" / "g" prefix.
        self.related: dict[str, list[tuple[str, str]]] = {}
        for node, node_quads in self.quads_of.items():
            pairs: list[tuple[str, str]] = []
            for quad in node_quads:
                predicate = f"<{quad.predicate.value}>"
                for term, prefix in (
                    (quad.subject, "s" + predicate),
                    (quad.object, "o" + predicate),
                    (quad.graph, "g"),
                ):
                    if isinstance(term, BlankNode) and term.id != node:
                        pairs.append((term.id, prefix))
            self.related[node] = pairs

    def digest(self, text: str) -> str:
        return self.new_hash(text.encode()).hexdigest()

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise WorkLimitExceeded(
                "the dataset needs too much time to canonicalise "
                f"(more than {self.deadline_seconds} s); refusing it"
            )

    def step(self) -> None:
        self.work += 1
        if self.work > self.max_work:
            raise WorkLimitExceeded(
                "the dataset needs too much work to canonicalise "
                f"(more than {self.max_work} hash steps); refusing it"
            )
        self.check_deadline()

    def hash_first_degree_quads(self, reference: str) -> str:
        """4.6: the node's quads with itself as _:a and every other blank node as _:z."""

        def rename(node: str) -> str:
            return "a" if node == reference else "z"

        lines = sorted(_relabelled_line(quad, rename) for quad in self.quads_of[reference])
        return self.digest("".join(lines))

    def hash_related_blank_node(self, related: str, prefix: str, issuer: _Issuer) -> str:
        """4.7: position, predicate and the best identifier known for the related node."""
        identifier = self.canonical.issued.get(related)
        if identifier is None:
            identifier = issuer.issued.get(related)
        if identifier is not None:
            return self.digest(f"{prefix}_:{identifier}")
        return self.digest(prefix + self.first_degree[related])

    def hash_n_degree_quads(self, identifier: str, issuer: _Issuer) -> _Recursion:
        """4.8, as a generator: yields each recursive call and receives its result."""
        self.step()
        hash_to_related: dict[str, list[str]] = {}
        for related, prefix in self.related[identifier]:
            related_hash = self.hash_related_blank_node(related, prefix, issuer)
            hash_to_related.setdefault(related_hash, []).append(related)

        data_to_hash = self.new_hash()
        canonical = self.canonical.issued
        for related_hash in sorted(hash_to_related):
            data_to_hash.update(related_hash.encode())
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in _permutations(hash_to_related[related_hash]):
                self.step()
                issuer_copy = issuer.copy()
                path = ""
                recursion_list: list[str] = []
                # The specification skips a permutation once the path is longer than or as long
                # as the chosen one and sorts after it; a path that sorts after the chosen one
                # can never sort before it however it grows, so the length test is dropped and
                # hopeless permutations are abandoned sooner, with the same result.
                abandoned = False
                for related in permutation:
                    known = canonical.get(related)
                    if known is None:
                        if related not in issuer_copy.issued:
                            recursion_list.append(related)
                        known = issuer_copy.issue(related)
                    path += "_:" + known
                    if chosen_path and path > chosen_path:
                        abandoned = True
                        break
                if abandoned:
                    continue
                for related in recursion_list:
                    result = yield related, issuer_copy
                    path += f"_:{issuer_copy.issue(related)}<{result.hash}>"
                    issuer_copy = result.issuer
                    if chosen_path and path > chosen_path:
                        abandoned = True
                        break
                if abandoned:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            assert chosen_issuer is not None  # the first permutation is never abandoned
            data_to_hash.update(chosen_path.encode())
            issuer = chosen_issuer
        return _HashResult(data_to_hash.hexdigest(), issuer)

    def run_n_degree(self, identifier: str, issuer: _Issuer) -> _HashResult:
        stack: list[_Recursion] = [self.hash_n_degree_quads(identifier, issuer)]
        sent: _HashResult | None = None
        while True:
            try:
                # A fresh generator is started; one that asked for a hash is sent the result.
                request = next(stack[-1]) if sent is None else stack[-1].send(sent)
            except StopIteration as finished:
                stack.pop()
                result: _HashResult = finished.value
                if not stack:
                    return result
                sent = result
                continue
            sent = None
            stack.append(self.hash_n_degree_quads(*request))

    def canonicalize(self, quads: list[Quad]) -> CanonicalResult:
        """4.4.3: unique first-degree hashes first, then the shared ones by N-degree hashing."""
        hash_to_nodes: dict[str, list[str]] = {}
        for node in self.quads_of:
            self.check_deadline()
            node_hash = self.first_degree[node] = self.hash_first_degree_quads(node)
            hash_to_nodes.setdefault(node_hash, []).append(node)

        shared: list[list[str]] = []
        for node_hash in sorted(hash_to_nodes):
            nodes = hash_to_nodes[node_hash]
            if len(nodes) > 1:
                shared.append(nodes)
            else:
                self.canonical.issue(nodes[0])

        for nodes in shared:
            hash_path_list: list[_HashResult] = []
            for node in nodes:
                if node in self.canonical.issued:
                    continue
                temporary = _Issuer("b")
                temporary.issue(node)
                hash_path_list.append(self.run_n_degree(node, temporary))
            # A stable sort: equal hashes keep the order in which their nodes first appeared.
            for result in sorted(hash_path_list, key=lambda result: result.hash):
                for existing in result.issuer.issued:
                    self.canonical.issue(existing)

        labels = self.canonical.issued
        lines = sorted(_relabelled_line(quad, labels.__getitem__) for quad in quads)
        return CanonicalResult(nquads="".join(lines), issued=dict(labels), work=self.work)


def canonicalize(
    quads: Sequence[Quad],
    *,
    max_work: int = DEFAULT_MAX_WORK,
    deadline_seconds: float | None = 10.0,
    hash_algorithm: HashAlgorithm = "sha256",
) -> CanonicalResult:
    """Canonicalise a dataset (duplicates are dropped, it is a set) with RDFC-1.0.

    ``max_work`` bounds the calls of Hash N-Degree Quads plus the permutations examined, and
    ``deadline_seconds`` the wall time; passing either raises ``WorkLimitExceeded``. SHA-256 is
    the hash of RDFC-1.0 and of eddsa-rdfc-2022; SHA-384 is the variant the specification permits
    (and the W3C suite exercises once).
    """
    unique = list(dict.fromkeys(quads))
    canonicalizer = _Canonicalizer(
        unique,
        max_work=max_work,
        deadline_seconds=deadline_seconds,
        hash_algorithm=hash_algorithm,
    )
    return canonicalizer.canonicalize(unique)
