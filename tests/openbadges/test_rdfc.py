"""RDFC-1.0 and N-Quads: the W3C suite, the poison graph, relabelling, parsing and PyLD input."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld  # type: ignore[import-untyped]

from plaudit.openbadges.nquads import (
    IRI,
    RDF_LANGSTRING,
    XSD_STRING,
    BlankNode,
    Literal,
    NQuadsError,
    Quad,
    from_pyld_dataset,
    parse_nquads,
    serialize,
    serialize_quad,
)
from plaudit.openbadges.rdfc import (
    DEFAULT_MAX_WORK,
    CanonicalizationError,
    HashAlgorithm,
    WorkLimitExceeded,
    canonicalize,
    canonicalize_nquads,
)
from tests.fixtures.paths import standards

STANDARDS = standards()
SUITE = STANDARDS / "w3c" / "rdf-canon-tests"
POISON = SUITE / "poison.nq"
# The W3C manifest runs test075 with the SHA-384 variant of RDFC-1.0 (rdfc:hashAlgorithm).
HASH_ALGORITHMS: dict[str, HashAlgorithm] = {"test075": "sha384"}
EX = "https://example.org/vocab#"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _read(path: Path) -> str:
    # Bytes, not read_text(): universal newlines would hide a stray carriage return.
    return path.read_bytes().decode("utf-8")


def _suite(*, positive: bool) -> list[str]:
    names = sorted(path.name.removesuffix("-in.nq") for path in SUITE.glob("*-in.nq"))
    return [name for name in names if (SUITE / f"{name}-rdfc10.nq").exists() == positive]


def test_the_suite_is_present() -> None:
    assert len(_suite(positive=True)) >= 60
    assert _suite(positive=False)  # the poison graph's own entry (test074)


@pytest.mark.parametrize("name", _suite(positive=True))
def test_w3c_suite(name: str) -> None:
    quads = parse_nquads(_read(SUITE / f"{name}-in.nq"))
    result = canonicalize(quads, hash_algorithm=HASH_ALGORITHMS.get(name, "sha256"))
    assert result.nquads.encode("utf-8") == (SUITE / f"{name}-rdfc10.nq").read_bytes()
    issued_map = SUITE / f"{name}-rdfc10map.json"
    if issued_map.exists():
        assert result.issued == json.loads(issued_map.read_bytes())


@pytest.mark.parametrize("name", _suite(positive=False))
def test_w3c_suite_entries_without_a_result_are_refused(name: str) -> None:
    with pytest.raises(WorkLimitExceeded):
        canonicalize(parse_nquads(_read(SUITE / f"{name}-in.nq")))


def test_poison_graph_is_refused_within_a_second() -> None:
    quads = parse_nquads(_read(POISON))
    started = time.perf_counter()
    with pytest.raises(WorkLimitExceeded, match=f"more than {DEFAULT_MAX_WORK} hash steps"):
        canonicalize(quads)
    assert time.perf_counter() - started < 1.0


def test_deadline_stops_the_poison_graph_when_the_budget_would_not() -> None:
    quads = parse_nquads(_read(POISON))
    started = time.perf_counter()
    with pytest.raises(WorkLimitExceeded, match="too much time"):
        canonicalize(quads, max_work=10**12, deadline_seconds=0.2)
    assert time.perf_counter() - started < 1.0


def test_work_limit_is_counted_in_hash_steps() -> None:
    evil = parse_nquads(_read(SUITE / "test044-in.nq"))
    with pytest.raises(CanonicalizationError, match=r"\(more than 100 hash steps\); refusing it"):
        canonicalize(evil, max_work=100)
    assert canonicalize(evil, deadline_seconds=None).nquads == _read(SUITE / "test044-rdfc10.nq")


def test_issued_map_and_duplicates() -> None:
    text = (
        "_:x <urn:ex:p> _:y .\n"
        "_:x <urn:ex:p> _:y .\n"
        '_:y <urn:ex:q> "leaf" .\n'
        "<urn:ex:s> <urn:ex:p> <urn:ex:o> _:g .\n"
    )
    result = canonicalize(parse_nquads(text))
    assert set(result.issued) == {"x", "y", "g"}
    assert sorted(result.issued.values()) == ["c14n0", "c14n1", "c14n2"]
    assert list(result.issued.values()) == sorted(result.issued.values())  # the order of issue
    assert result.nquads.count("\n") == 3
    assert canonicalize([]).nquads == ""


def test_long_chain_of_look_alike_blank_nodes_needs_no_deep_python_stack() -> None:
    # A list of 1,500 equal items: the middle nodes share a first-degree hash, and one run of
    # Hash N-Degree Quads walks the whole chain (about 4,500 steps), far deeper than Python's
    # recursion limit. The budget lets that first walk finish and stops the second.
    size = 1500
    rest = IRI("http://www.w3.org/1999/02/22-rdf-syntax-ns#rest")
    first = IRI("http://www.w3.org/1999/02/22-rdf-syntax-ns#first")
    quads = [Quad(IRI("urn:ex:s"), IRI("urn:ex:list"), BlankNode("l0"))]
    for index in range(size):
        tail: IRI | BlankNode = BlankNode(f"l{index + 1}")
        if index == size - 1:
            tail = IRI("http://www.w3.org/1999/02/22-rdf-syntax-ns#nil")
        quads.append(Quad(BlankNode(f"l{index}"), first, Literal("same")))
        quads.append(Quad(BlankNode(f"l{index}"), rest, tail))
    with pytest.raises(WorkLimitExceeded, match="more than 5000 hash steps"):
        canonicalize(quads, max_work=5_000, deadline_seconds=None)


def _relabelled(quads: list[Quad], rnd: random.Random) -> list[Quad]:
    terms = {term for quad in quads for term in (quad.subject, quad.object, quad.graph)}
    nodes = sorted(term.id for term in terms if isinstance(term, BlankNode))
    # Labels that look like the output's own (c14n…, b…) must not confuse the algorithm.
    numbers = rnd.sample(range(10 * len(nodes) + 10), len(nodes))
    prefixes = ["c14n", "b", "e", "n_"]
    names = {
        node: f"{rnd.choice(prefixes)}{number}" for node, number in zip(nodes, numbers, strict=True)
    }

    def rename(term: Any) -> Any:
        return BlankNode(names[term.id]) if isinstance(term, BlankNode) else term

    shuffled = [
        Quad(rename(q.subject), q.predicate, rename(q.object), rename(q.graph)) for q in quads
    ]
    rnd.shuffle(shuffled)
    return shuffled


@pytest.mark.parametrize("name", ["test020", "test024", "test044", "test054", "test071", "test073"])
@settings(max_examples=20, deadline=None)
@given(rnd=st.randoms(use_true_random=False))
def test_canonical_form_ignores_quad_order_and_blank_node_labels(
    name: str, rnd: random.Random
) -> None:
    quads = parse_nquads(_read(SUITE / f"{name}-in.nq"))
    expected = _read(SUITE / f"{name}-rdfc10.nq")
    relabelled = _relabelled(quads, rnd)
    assert canonicalize(relabelled).nquads == expected
    # And through the serializer and parser once more.
    assert canonicalize_nquads(serialize(relabelled)) == expected


# --- N-Quads -------------------------------------------------------------------------------


def test_canonical_literal_escapes() -> None:
    value = "a\x00\x07\b\t\n\x0b\f\r\x0e\x1f\x7f\"\\'é\u2028\U0001f600"
    line = serialize_quad(Quad(IRI("urn:ex:s"), IRI("urn:ex:p"), Literal(value)))
    expected = (
        r'<urn:ex:s> <urn:ex:p> "a\u0000\u0007\b\t\n\u000B\f\r\u000E\u001F\u007F\"\\'
        "'é\u2028\U0001f600\" .\n"
    )
    assert line == expected
    assert parse_nquads(line)[0].object == Literal(value)


def test_round_trip_with_languages_datatypes_and_graphs() -> None:
    quads = [
        Quad(IRI("urn:ex:s"), IRI("urn:ex:p"), Literal("chat", language="fr")),
        Quad(IRI("urn:ex:s"), IRI("urn:ex:p"), Literal("Hello", language="en-GB")),
        Quad(IRI("urn:ex:s"), IRI("urn:ex:p"), Literal("42", XSD + "integer"), IRI("urn:ex:g")),
        Quad(BlankNode("b0"), IRI("urn:ex:p"), Literal("plain"), BlankNode("g1")),
        Quad(BlankNode("b0"), IRI("urn:ex:p"), Literal('tab\there "quoted"\r\n')),
        Quad(IRI("urn:ex:∞"), IRI("urn:ex:p"), BlankNode("x.y-z_1")),
    ]
    text = serialize(quads)
    assert parse_nquads(text) == quads
    assert serialize(parse_nquads(text)) == text
    assert '"chat"@fr' in text
    assert '"42"^^<http://www.w3.org/2001/XMLSchema#integer> <urn:ex:g> .' in text
    assert f"<{XSD_STRING}>" not in text
    assert quads[0].object == Literal("chat", RDF_LANGSTRING, "fr")


def test_parser_reads_the_whole_grammar() -> None:
    text = (
        "# a comment line\r\n"
        "\r\n"
        '  <urn:ex:s>\t<urn:ex:p>  "\\u0041\\U0001F600\\t\\\'"@en-US   .  # trailing comment\r'
        '<urn:ex:\\u0073> <urn:ex:p> "x"^^<urn:ex:\\u0064t> <urn:ex:g>.\n'
        '_:a1 <urn:ex:p> "xsd string"^^<http://www.w3.org/2001/XMLSchema#string> _:g.\n'
        "<urn:ex:s><urn:ex:p><urn:ex:o>.\n"
    )
    assert parse_nquads(text) == [
        Quad(IRI("urn:ex:s"), IRI("urn:ex:p"), Literal("A\U0001f600\t'", language="en-US")),
        Quad(IRI("urn:ex:s"), IRI("urn:ex:p"), Literal("x", "urn:ex:dt"), IRI("urn:ex:g")),
        Quad(BlankNode("a1"), IRI("urn:ex:p"), Literal("xsd string"), BlankNode("g")),
        Quad(IRI("urn:ex:s"), IRI("urn:ex:p"), IRI("urn:ex:o")),
    ]
    assert parse_nquads("") == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("<urn:ex:s> <urn:ex:p> <urn:ex:o>\n", 1),
        ("# ok\n<urn:ex:s> <urn:ex:p> <urn:ex:o> .\n<s> <urn:ex:p> <urn:ex:o> .\n", 3),
        ('\n\n"lit" <urn:ex:p> <urn:ex:o> .\n', 3),
        ("<urn:ex:s> _:p <urn:ex:o> .\n", 1),
        ('<urn:ex:s> <urn:ex:p> "bad \\a escape" .\n', 1),
        ('<urn:ex:s> <urn:ex:p> "unterminated .\n', 1),
        ("<urn:ex:s> <urn:ex:p> <urn:ex:o> . extra\n", 1),
        ('<urn:ex:s> <urn:ex:p> "x"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString> .', 1),
        ('<urn:ex:s> <urn:ex:p> "\\uD800" .\n', 1),
        ("<urn:ex:s> <urn:ex:p> <urn:ex:a\\u0020b> .\n", 1),
        ("<urn:ex:s> <urn:ex:p> <urn:ex:a b> .\n", 1),
        ('<urn:ex:s> <urn:ex:p> "x"@ .\n', 1),
        ('<urn:ex:s> <urn:ex:p> "x" "graph" .\n', 1),
        ("_:a. <urn:ex:p> <urn:ex:o> .\n", 1),
        ('<urn:ex:s> <urn:ex:p> "raw\rcr" .\n', 1),
    ],
)
def test_parse_errors_name_the_line(text: str, line: int) -> None:
    with pytest.raises(NQuadsError, match=f"^line {line}: ") as raised:
        parse_nquads(text)
    assert raised.value.line == line


def test_literal_language_and_datatype_must_agree() -> None:
    assert Literal("x", language="en").datatype == RDF_LANGSTRING
    with pytest.raises(ValueError, match="needs a language tag"):
        Literal("x", RDF_LANGSTRING)
    with pytest.raises(ValueError, match="rdf:langString"):
        Literal("x", XSD + "integer", "en")
    with pytest.raises(ValueError, match="not a language tag"):
        Literal("x", language="en us")


# --- PyLD ----------------------------------------------------------------------------------


def _no_remote_documents(url: str, options: Any = None) -> Any:
    raise AssertionError(f"the test must not load {url}")


def _to_rdf(document: dict[str, Any]) -> list[Quad]:
    dataset = jsonld.to_rdf(document, {"documentLoader": _no_remote_documents})
    return from_pyld_dataset(dataset)


CONTEXT = {
    "ex": EX,
    "xsd": XSD,
    "Person": "ex:Person",
    "name": "ex:name",
    "label": {"@id": "ex:label", "@language": "en"},
    "born": {"@id": "ex:born", "@type": "xsd:date"},
    "age": "ex:age",
    "knows": {"@id": "ex:knows", "@type": "@id"},
    "claims": {"@id": "ex:claims", "@container": "@graph"},
}


def test_from_pyld_dataset_single_blank_node() -> None:
    document = {
        "@context": CONTEXT,
        "@id": "https://example.org/alice",
        "@type": "Person",
        "name": 'Alice "A"\n\u0007',
        "label": "Alice",
        "born": "2000-01-02",
        "age": 42,
        "knows": {"name": "Bob"},
    }
    alice = "<https://example.org/alice>"
    assert canonicalize(_to_rdf(document)).nquads == (
        f"{alice} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Person> .\n"
        f'{alice} <{EX}age> "42"^^<{XSD}integer> .\n'
        f'{alice} <{EX}born> "2000-01-02"^^<{XSD}date> .\n'
        f"{alice} <{EX}knows> _:c14n0 .\n"
        f'{alice} <{EX}label> "Alice"@en .\n'
        f'{alice} <{EX}name> "Alice \\"A\\"\\n\\u0007" .\n'
        f'_:c14n0 <{EX}name> "Bob" .\n'
    )


def test_from_pyld_dataset_nested_blank_nodes_and_a_blank_graph() -> None:
    document = {
        "@context": CONTEXT,
        "@id": "https://example.org/alice",
        "knows": [{"name": "Bob", "knows": {"name": "Carol"}}, {"name": "Dan"}],
        "claims": {"@id": "https://example.org/alice", "label": "inside"},
    }
    by_hand = f"""
        <https://example.org/alice> <{EX}knows> _:bob .
        <https://example.org/alice> <{EX}knows> _:dan .
        _:bob <{EX}name> "Bob" .
        _:bob <{EX}knows> _:carol .
        _:carol <{EX}name> "Carol" .
        _:dan <{EX}name> "Dan" .
        <https://example.org/alice> <{EX}claims> _:graph .
        <https://example.org/alice> <{EX}label> "inside"@en _:graph .
    """
    quads = _to_rdf(document)
    assert len(quads) == 8
    assert any(isinstance(quad.graph, BlankNode) for quad in quads)
    assert canonicalize(quads).nquads == canonicalize_nquads(by_hand)
