"""RDF Dataset Canonicalization (RDFC-1.0, SHA-256) with a work limit that refuses hostile input."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from plaudit.openbadges.nquads import (
    IRI,
    BlankNode,
    Quad,
    parse_nquads,
    serialize_literal,
    serialize_term,
)
from plaudit.openbadges.nquads import Literal as LiteralTerm

# A step is one call of Hash N-Degree Quads or one permutation examined. Measured on the
# development machine: the hardest tests of the W3C suite ("evil", 044-046) take 3,082 steps,
# 1EdTech's complete.json credential 40, and the poison graph runs through 50,000 steps in about
# a quarter of a second. So honest data has some fifteen times the room it needs, and a refusal
# comes within a second even on a machine several times slower. The step count decides, the
# same on every machine; the wall-time deadline is a last resort far above it.
DEFAULT_MAX_WORK = 50_000


class CanonicalizationError(ValueError):
    """The dataset cannot be canonicalised."""


class WorkLimitExceeded(CanonicalizationError):
    """Canonicalising the dataset would take more work (or time) than we are willing to spend."""


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


# A quad is serialised once, as the fixed text around its blank nodes: ``pieces`` has one more
# item than ``blanks``, and its line under a labelling is pieces[0] + label(blanks[0]) + pieces[1]
# + ... Canonicalisation writes each quad's line several times (once per blank node it mentions
# for the first-degree hashes, once more at the end) under different labels, and this keeps
# those writes to a concatenation.
class _Statement(NamedTuple):
    pieces: tuple[str, ...]
    blanks: tuple[str, ...]
    quad: Quad


def _statement(quad: Quad) -> _Statement:
    subject, obj, graph = quad.subject, quad.object, quad.graph
    predicate = quad.predicate.value
    if graph is None:
        # The common case, a triple of the default graph whose object is not a blank node, is
        # written directly; exact type tests are enough here (anything else takes the long way).
        if type(obj) is LiteralTerm:
            text = f" <{predicate}> {serialize_literal(obj)} .\n"
        elif type(obj) is IRI:
            text = f" <{predicate}> <{obj.value}> .\n"
        else:
            text = ""
        if text:
            if type(subject) is BlankNode:
                return tuple.__new__(_Statement, (("_:", text), (subject.id,), quad))
            if type(subject) is IRI:
                return tuple.__new__(_Statement, ((f"<{subject.value}>{text}",), (), quad))
    pieces: list[str] = []
    blanks: list[str] = []
    if isinstance(subject, BlankNode):
        pieces.append("_:")
        blanks.append(subject.id)
        text = f" <{predicate}> "
    else:
        text = f"<{subject.value}> <{predicate}> "
    if isinstance(obj, BlankNode):
        pieces.append(text + "_:")
        blanks.append(obj.id)
        text = ""
    else:
        text += serialize_term(obj)
    if graph is None:
        text += " .\n"
    elif isinstance(graph, BlankNode):
        pieces.append(text + " _:")
        blanks.append(graph.id)
        text = " .\n"
    else:
        text += f" <{graph.value}> .\n"
    pieces.append(text)
    return _Statement(tuple(pieces), tuple(blanks), quad)


def _line(statement: _Statement, label: Callable[[str], str]) -> str:
    """The canonical N-Quads line of the statement with every blank node labelled ``label(id)``."""
    pieces, blanks = statement.pieces, statement.blanks
    if not blanks:
        return pieces[0]
    if len(blanks) == 1:
        return pieces[0] + label(blanks[0]) + pieces[1]
    parts = [pieces[0]]
    for blank, piece in zip(blanks, pieces[1:], strict=True):
        parts.append(label(blank))
        parts.append(piece)
    return "".join(parts)


def _statements(quads: Iterable[Quad]) -> list[_Statement]:
    """The quads as statements, duplicates dropped (the first of each kept, in order).

    Quads are compared by their text and blank nodes, which is cheaper than hashing terms and
    is quad equality for RDF: canonical N-Quads writes each term unambiguously. Only terms that
    are not RDF (an IRI holding a space or '>', which the parser and dataintegrity refuse) could
    give two different quads one line; such a dataset has no canonical form and is refused.
    """
    unique: dict[tuple[tuple[str, ...], tuple[str, ...]], _Statement] = {}
    for quad in quads:
        statement = _statement(quad)
        first = unique.setdefault((statement.pieces, statement.blanks), statement)
        if first is not statement and first.quad != quad:
            raise CanonicalizationError(
                "two different quads have the same N-Quads form; an IRI in them is not valid"
            )
    return list(unique.values())


class _Canonicalizer:
    def __init__(
        self,
        statements: list[_Statement],
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
        self.quads_of: dict[str, list[_Statement]] = {}
        for statement in statements:
            for blank in statement.blanks:
                mentions = self.quads_of.get(blank)
                if mentions is None:
                    self.quads_of[blank] = [statement]
                # A quad that mentions a node twice still counts once for it.
                elif mentions[-1] is not statement:
                    mentions.append(statement)
        self.first_degree: dict[str, str] = {}
        # For Hash Related Blank Node: every (related node, position and predicate) pair that
        # the quads of a blank node give, with the "s<predicate>" / "o<predicate>" / "g" prefix.
        # Only N-degree hashing needs them, so they are gathered on first use.
        self._related: dict[str, list[tuple[str, str]]] = {}
        self.related_hashes: dict[str, str] = {}

    def related(self, node: str) -> list[tuple[str, str]]:
        pairs = self._related.get(node)
        if pairs is not None:
            return pairs
        pairs = []
        for statement in self.quads_of[node]:
            quad = statement.quad
            predicate = f"<{quad.predicate.value}>"
            for term, prefix in (
                (quad.subject, "s" + predicate),
                (quad.object, "o" + predicate),
                (quad.graph, "g"),
            ):
                if isinstance(term, BlankNode) and term.id != node:
                    pairs.append((term.id, prefix))
        self._related[node] = pairs
        return pairs

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

        lines: list[str] = []
        for statement in self.quads_of[reference]:
            pieces = statement.pieces
            if len(pieces) == 2:  # the quad's only blank node is the reference itself
                lines.append(pieces[0] + "a" + pieces[1])
            else:
                lines.append(_line(statement, rename))
        lines.sort()
        return self.new_hash("".join(lines).encode()).hexdigest()

    def hash_related_blank_node(self, related: str, prefix: str, issuer: _Issuer) -> str:
        """4.7: position, predicate and the best identifier known for the related node."""
        identifier = self.canonical.issued.get(related)
        if identifier is None:
            identifier = issuer.issued.get(related)
        if identifier is not None:
            text = f"{prefix}_:{identifier}"
        else:
            text = prefix + self.first_degree[related]
        # Permutations ask for the same few texts again and again.
        related_hash = self.related_hashes.get(text)
        if related_hash is None:
            related_hash = self.related_hashes[text] = self.digest(text)
        return related_hash

    def hash_n_degree_quads(self, identifier: str, issuer: _Issuer) -> _Recursion:
        """4.8, as a generator: yields each recursive call and receives its result."""
        self.step()
        hash_to_related: dict[str, list[str]] = {}
        for related, prefix in self.related(identifier):
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

    def canonicalize(self, statements: list[_Statement]) -> CanonicalResult:
        """4.4.3: unique first-degree hashes first, then the shared ones by N-degree hashing."""
        hash_to_nodes: dict[str, list[str]] = {}
        for node in self.quads_of:
            self.check_deadline()
            node_hash = self.first_degree[node] = self.hash_first_degree_quads(node)
            nodes = hash_to_nodes.get(node_hash)
            if nodes is None:
                hash_to_nodes[node_hash] = [node]
            else:
                nodes.append(node)

        # Step 5's shortcut: when every first-degree hash is unique (Plaudit's credentials),
        # issuing in hash order is the whole labelling; no N-degree hashing happens.

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
        label = labels.__getitem__
        lines = [
            statement.pieces[0] if not statement.blanks else _line(statement, label)
            for statement in statements
        ]
        lines.sort()
        return CanonicalResult(nquads="".join(lines), issued=labels, work=self.work)


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
    unique = _statements(quads)
    canonicalizer = _Canonicalizer(
        unique,
        max_work=max_work,
        deadline_seconds=deadline_seconds,
        hash_algorithm=hash_algorithm,
    )
    return canonicalizer.canonicalize(unique)


def canonicalize_nquads(text: str, **kw: Any) -> str:
    """Parse N-Quads and return their canonical form; keywords go to ``canonicalize``."""
    return canonicalize(parse_nquads(text), **kw).nquads


__all__ = [
    "DEFAULT_MAX_WORK",
    "CanonicalResult",
    "CanonicalizationError",
    "WorkLimitExceeded",
    "canonicalize",
    "canonicalize_nquads",
]
