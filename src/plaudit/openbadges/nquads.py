"""RDF terms and quads, an N-Quads parser, and the canonical N-Quads serializer RDFC-1.0 hashes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass(frozen=True, slots=True)
class IRI:
    value: str


@dataclass(frozen=True, slots=True)
class BlankNode:
    """A blank node; ``id`` is the label without its ``_:`` prefix."""

    id: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal; giving a language implies the datatype ``rdf:langString``."""

    value: str
    datatype: str = XSD_STRING
    language: str | None = None

    def __post_init__(self) -> None:
        if self.language is None:
            if self.datatype == RDF_LANGSTRING:
                raise ValueError("an rdf:langString literal needs a language tag")
            return
        if not _LANGTAG.fullmatch(self.language):
            raise ValueError(f"not a language tag: {self.language!r}")
        # The default datatype is the only one that can be meant together with a language, so
        # Literal("chat", language="fr") is accepted as shorthand for the langString form.
        if self.datatype == XSD_STRING:
            object.__setattr__(self, "datatype", RDF_LANGSTRING)
        elif self.datatype != RDF_LANGSTRING:
            raise ValueError("a literal with a language tag must have the datatype rdf:langString")


Term = IRI | BlankNode | Literal


@dataclass(frozen=True, slots=True)
class Quad:
    subject: IRI | BlankNode
    predicate: IRI
    object: Term
    graph: IRI | BlankNode | None = None


class NQuadsError(ValueError):
    """An N-Quads document that breaks the grammar; the message names the line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


# Productions of the N-Quads grammar (https://www.w3.org/TR/n-quads/#sec-grammar).
_HEX_ESCAPE = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_IRIREF = re.compile(r'<((?:[^\x00-\x20<>"{}|^`\\]|' + _HEX_ESCAPE + r")*)>")
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_:"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_BLANK_NODE_LABEL = re.compile(f"_:([{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)")
_STRING_LITERAL_QUOTE = re.compile(r'"((?:[^"\\\n\r]|\\[tbnrf"\'\\]|' + _HEX_ESCAPE + r')*)"')
_LANGTAG_AT = re.compile(r"@([A-Za-z]+(?:-[A-Za-z0-9]+)*)")
_LANGTAG = re.compile(r"[A-Za-z]+(?:-[A-Za-z0-9]+)*")
_WHITESPACE = re.compile(r"[ \t]*")
_EOL = re.compile(r"\r\n|\r|\n")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_IRI_FORBIDDEN = frozenset('<>"{}|^`\\' + "".join(map(chr, range(0x21))))

# Canonical N-Quads (RDF 1.2): \b \t \n \f \r \" \\ take their ECHAR form, the other C0
# controls and DEL take \u and four upper-case hex digits, and everything else (the apostrophe too)
# is written as is. Hashes are computed over this text, so one byte off breaks every signature.
_CANONICAL_ESCAPES: dict[int, str] = {code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]} | {
    ord("\b"): "\\b",
    ord("\t"): "\\t",
    ord("\n"): "\\n",
    ord("\f"): "\\f",
    ord("\r"): "\\r",
    ord('"'): '\\"',
    ord("\\"): "\\\\",
}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')


def _unescape(text: str, line: int) -> str:
    if "\\" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        short = match.group(3)
        if short is not None:
            return _ECHARS[short]
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise NQuadsError(line, f"{match.group(0)} is not a Unicode scalar value")
        return chr(code)

    return _ESCAPE.sub(replace, text)


class _LineParser:
    """Reads one statement; positions are indexes into the line."""

    def __init__(self, text: str, number: int) -> None:
        self.text = text
        self.number = number
        self.pos = 0

    def fail(self, message: str) -> NQuadsError:
        return NQuadsError(self.number, f"{message} at column {self.pos + 1}")

    def skip_space(self) -> None:
        match = _WHITESPACE.match(self.text, self.pos)
        assert match is not None  # the pattern matches the empty string
        self.pos = match.end()

    def at_end(self) -> bool:
        return self.pos >= len(self.text) or self.text[self.pos] == "#"

    def iri(self) -> IRI | None:
        match = _IRIREF.match(self.text, self.pos)
        if match is None:
            return None
        value = _unescape(match.group(1), self.number)
        if not _SCHEME.match(value):
            raise self.fail(f"relative IRI <{value}>")
        # An escape must not smuggle in a character the IRIREF production excludes.
        if not _IRI_FORBIDDEN.isdisjoint(value):
            raise self.fail(f"IRI <{match.group(1)}> encodes a character IRIs may not contain")
        self.pos = match.end()
        return IRI(value)

    def blank_node(self) -> BlankNode | None:
        match = _BLANK_NODE_LABEL.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return BlankNode(match.group(1))

    def literal(self) -> Literal | None:
        match = _STRING_LITERAL_QUOTE.match(self.text, self.pos)
        if match is None:
            return None
        value = _unescape(match.group(1), self.number)
        self.pos = match.end()
        if self.text.startswith("^^", self.pos):
            self.pos += 2
            datatype = self.iri()
            if datatype is None:
                raise self.fail("expected a datatype IRI after ^^")
            if datatype.value == RDF_LANGSTRING:
                raise self.fail("rdf:langString needs a language tag, not ^^")
            return Literal(value, datatype.value)
        tag = _LANGTAG_AT.match(self.text, self.pos)
        if tag is not None:
            self.pos = tag.end()
            return Literal(value, RDF_LANGSTRING, tag.group(1))
        return Literal(value)

    def term(self, what: str, *, literal: bool = False) -> Term:
        found: Term | None = self.iri() or self.blank_node()
        if found is None and literal:
            found = self.literal()
        if found is None:
            raise self.fail(f"expected {what}")
        self.skip_space()
        return found

    def statement(self) -> Quad:
        subject = self.term("a subject (IRI or blank node)")
        predicate = self.iri()
        if predicate is None:
            raise self.fail("expected a predicate IRI")
        self.skip_space()
        obj = self.term("an object (IRI, blank node or literal)", literal=True)
        graph: Term | None = None
        if not self.text.startswith(".", self.pos):
            graph = self.term("a graph name (IRI or blank node) or '.'")
        if not self.text.startswith(".", self.pos):
            raise self.fail("expected '.'")
        self.pos += 1
        self.skip_space()
        if not self.at_end():
            raise self.fail("unexpected text after '.'")
        assert isinstance(subject, IRI | BlankNode)
        assert isinstance(graph, IRI | BlankNode | None)
        return Quad(subject, predicate, obj, graph)


def parse_nquads(text: str) -> list[Quad]:
    """Parse an N-Quads document; comments and blank lines are allowed, IRIs must be absolute."""
    quads: list[Quad] = []
    for number, line in enumerate(_EOL.split(text), start=1):
        parser = _LineParser(line, number)
        parser.skip_space()
        if parser.at_end():
            continue
        quads.append(parser.statement())
    return quads


def serialize_term(term: Term) -> str:
    """One term in canonical N-Quads form."""
    if isinstance(term, IRI):
        return f"<{term.value}>"
    if isinstance(term, BlankNode):
        return f"_:{term.id}"
    return serialize_literal(term)


def serialize_literal(term: Literal) -> str:
    """One literal in canonical N-Quads form."""
    value = term.value
    # Most values need no escape, and searching is much cheaper than translating.
    if _NEEDS_ESCAPE.search(value) is not None:
        value = value.translate(_CANONICAL_ESCAPES)
    quoted = f'"{value}"'
    if term.language is not None:
        return f"{quoted}@{term.language}"
    if term.datatype == XSD_STRING:
        return quoted
    return f"{quoted}^^<{term.datatype}>"


def serialize_quad(quad: Quad) -> str:
    """One quad in canonical N-Quads form, ending in a newline."""
    parts = [serialize_term(quad.subject), serialize_term(quad.predicate)]
    parts.append(serialize_term(quad.object))
    if quad.graph is not None:
        parts.append(serialize_term(quad.graph))
    parts.append(".\n")
    return " ".join(parts)


def serialize(quads: Iterable[Quad]) -> str:
    """The quads as canonical N-Quads lines, in the order given."""
    return "".join(serialize_quad(quad) for quad in quads)


def _pyld_term(term: Mapping[str, Any]) -> Term:
    kind = term["type"]
    value = term["value"]
    if kind == "IRI":
        return IRI(value)
    if kind == "blank node":
        return BlankNode(value.removeprefix("_:"))
    if kind == "literal":
        return Literal(value, term.get("datatype") or XSD_STRING, term.get("language"))
    raise ValueError(f"unknown RDF term type from PyLD: {kind!r}")


def from_pyld_dataset(dataset: Mapping[str, Any]) -> list[Quad]:
    """Convert the dataset ``pyld.jsonld.to_rdf`` returns (graph name -> triples) to quads."""
    quads: list[Quad] = []
    for graph_name, triples in dataset.items():
        graph: IRI | BlankNode | None = None
        if graph_name != "@default":
            graph = (
                BlankNode(graph_name.removeprefix("_:"))
                if graph_name.startswith("_:")
                else IRI(graph_name)
            )
        for triple in triples:
            subject = _pyld_term(triple["subject"])
            predicate = _pyld_term(triple["predicate"])
            if isinstance(subject, Literal) or not isinstance(predicate, IRI):
                raise ValueError("generalized RDF (literal subject, blank predicate) is not RDF")
            quads.append(Quad(subject, predicate, _pyld_term(triple["object"]), graph))
    return quads
