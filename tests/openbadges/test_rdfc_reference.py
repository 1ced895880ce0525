"""The optimised RDFC-1.0 canonicaliser agrees with the straightforward reference on any dataset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaudit.openbadges import credential as ob
from plaudit.openbadges.dataintegrity import to_quads
from plaudit.openbadges.nquads import (
    IRI,
    RDF_LANGSTRING,
    XSD_STRING,
    BlankNode,
    Literal,
    Quad,
)
from plaudit.openbadges.rdfc import CanonicalizationError, WorkLimitExceeded, canonicalize
from tests.openbadges import rdfc_reference as reference

EX = "https://example.org/vocab#"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Small pools, so that generated datasets share nodes, predicates and values often: that is
# what makes first-degree hashes collide and N-degree hashing (and its permutations) run.
blank_nodes = st.sampled_from([BlankNode(f"b{i}") for i in range(6)])
iris = st.sampled_from([IRI(f"{EX}{name}") for name in ("s", "o", "g", "ünï")])
predicates = st.sampled_from([IRI(f"{EX}{name}") for name in ("p", "q", "r")])
# Every character class canonical N-Quads treats apart: ECHARs, other controls, DEL, the
# apostrophe (written as is), non-ASCII and astral characters.
literal_text = st.text(
    alphabet=st.sampled_from(
        [
            "a",
            "é",
            '"',
            "\\",
            "\n",
            "\r",
            "\t",
            "\b",
            "\f",
            "\x00",
            "\x1f",
            "\x7f",
            "'",
            " ",
            "\U0001f600",
            "<",
            ">",
        ]
    ),
    max_size=6,
)
literals = st.one_of(
    st.builds(Literal, literal_text),
    st.builds(Literal, literal_text, st.sampled_from([f"{EX}type", XSD_STRING])),
    st.builds(Literal, literal_text, st.just(RDF_LANGSTRING), st.sampled_from(["en", "fr-CA"])),
)
subjects = st.one_of(blank_nodes, blank_nodes, iris)
objects = st.one_of(blank_nodes, blank_nodes, iris, literals)
graphs = st.one_of(st.none(), st.none(), st.none(), iris, blank_nodes)
quads = st.builds(Quad, subjects, predicates, objects, graphs)
datasets = st.lists(quads, max_size=14)


@st.composite
def automorphic_datasets(draw: st.DrawFn) -> list[Quad]:
    """Rings, and copies of one small blank-node graph: datasets whose blank nodes are
    interchangeable by an automorphism, so no hash can tell them apart."""
    result: list[Quad] = []
    rings = draw(st.lists(st.integers(min_value=2, max_value=5), min_size=1, max_size=2))
    for ring, size in enumerate(rings):
        graph = draw(st.sampled_from([None, IRI(f"{EX}g"), BlankNode(f"ring{ring}g")]))
        for index in range(size):
            here, after = BlankNode(f"r{ring}n{index}"), BlankNode(f"r{ring}n{(index + 1) % size}")
            result.append(Quad(here, IRI(f"{EX}next"), after, graph))
            if draw(st.booleans()):
                result.append(Quad(after, IRI(f"{EX}next"), here, graph))
    template = draw(st.lists(st.tuples(blank_nodes, predicates, objects), max_size=5))
    for copy in range(draw(st.integers(min_value=0, max_value=3))):
        for subject, predicate, obj in template:
            if isinstance(obj, BlankNode):
                obj = BlankNode(f"c{copy}{obj.id}")
            result.append(Quad(BlankNode(f"c{copy}{subject.id}"), predicate, obj))
    order = draw(st.permutations(result))
    # A duplicate or two: a dataset is a set.
    duplicates = draw(st.lists(st.sampled_from(order), max_size=2)) if order else []
    return [*order, *duplicates]


def _assert_same(dataset: list[Quad], *, max_work: int = 50_000) -> None:
    try:
        expected = reference.canonicalize(dataset, max_work=max_work, deadline_seconds=None)
    except WorkLimitExceeded:
        with pytest.raises(WorkLimitExceeded):
            canonicalize(dataset, max_work=max_work, deadline_seconds=None)
        return
    got = canonicalize(dataset, max_work=max_work, deadline_seconds=None)
    assert got.nquads == expected.nquads
    assert got.issued == expected.issued
    assert list(got.issued) == list(expected.issued)  # the same order of issue
    assert got.work == expected.work  # the same N-degree steps: the same algorithm


@SETTINGS
@given(dataset=datasets)
def test_generated_datasets_canonicalise_as_the_reference_does(dataset: list[Quad]) -> None:
    _assert_same(dataset)


@SETTINGS
@given(dataset=automorphic_datasets())
def test_automorphic_blank_nodes_canonicalise_as_the_reference_does(dataset: list[Quad]) -> None:
    _assert_same(dataset)


@SETTINGS
@given(dataset=automorphic_datasets(), max_work=st.integers(min_value=1, max_value=40))
def test_the_work_budget_refuses_exactly_where_the_reference_does(
    dataset: list[Quad], max_work: int
) -> None:
    _assert_same(dataset, max_work=max_work)


def test_the_generators_reach_n_degree_hashing() -> None:
    # A ring of three look-alike nodes: no first-degree hash is unique, so the answer comes from
    # Hash N-Degree Quads (work > 0), and still equals the reference's.
    ring = [
        Quad(BlankNode(f"n{i}"), IRI(f"{EX}next"), BlankNode(f"n{(i + 1) % 3}")) for i in range(3)
    ]
    _assert_same(ring)
    assert canonicalize(ring).work > 0


def test_a_typical_credential_takes_the_unique_hash_shortcut() -> None:
    data = ob.CredentialData(
        id="https://plaudit.example/credentials/c1",
        issuer=ob.Issuer(id="https://plaudit.example/issuers/1", name='Plaudit "Academy"'),
        achievement=ob.Achievement(
            id="https://plaudit.example/achievements/v1",
            name="Course Completer",
            description="Line one\nline two, with a \\ and a tab\t.",
            criteria_narrative="Complete all lessons.",
            alignments=[ob.Alignment("Safety", "https://skills.example/safety", code="S1")],
        ),
        valid_from=datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
        recipient_email="learner@example.org",
        recipient_salt="salt",
        evidence=[ob.Evidence(narrative="course.completed")],
    )
    dataset = to_quads(ob.build_credential(data))
    _assert_same(dataset)
    result = canonicalize(dataset)
    assert len(result.issued) >= 3
    assert result.work == 0  # every first-degree hash unique: no N-degree hashing at all
    assert "\\n" in result.nquads and '\\"Academy\\"' in result.nquads


def test_quads_that_only_invalid_iris_make_look_alike_are_refused_not_merged() -> None:
    # Duplicates are found by their N-Quads text; an "IRI" with a space and brackets in it
    # could make two different quads write the same line, and that must not pass silently.
    spliced = Quad(IRI("urn:ex:a"), IRI("urn:ex:b> <urn:ex:c"), IRI("urn:ex:d"))
    in_a_graph = Quad(IRI("urn:ex:a"), IRI("urn:ex:b"), IRI("urn:ex:c"), IRI("urn:ex:d"))
    with pytest.raises(CanonicalizationError, match="same N-Quads form"):
        canonicalize([spliced, in_a_graph])
    assert canonicalize([in_a_graph, in_a_graph]).nquads.count("\n") == 1
