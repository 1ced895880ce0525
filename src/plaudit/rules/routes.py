"""HTTP routes of rules: CRUD, simulation, backfill."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from plaudit import jobs
from plaudit.api import API_PREFIX
from plaudit.api.deps import ReadPrincipal, SessionDep, WritePrincipal
from plaudit.api.idempotency import Idempotent
from plaudit.api.pagination import Page, PageParams, page_params, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.errors import InvalidInput
from plaudit.models.rule import Rule, RuleMode, RuleStatus
from plaudit.rules import backfill as backfills
from plaudit.rules import service as rule_service
from plaudit.rules import tasks as rule_tasks
from plaudit.rules.schemas import (
    BackfillOut,
    BackfillPreviewOut,
    RuleIn,
    RuleOut,
    RuleUpdate,
    SimulationIn,
    SimulationOut,
)
from plaudit.rules.simulate import simulate

router = APIRouter(prefix=f"{API_PREFIX}/rules", tags=["rules"], route_class=UnitOfWorkRoute)
backfills_router = APIRouter(
    prefix=f"{API_PREFIX}/backfills", tags=["rules"], route_class=UnitOfWorkRoute
)


@router.post(
    "", response_model=RuleOut, status_code=201, dependencies=[Idempotent], summary="Create a rule"
)
def create(body: RuleIn, session: SessionDep, principal: WritePrincipal) -> object:
    return rule_service.create(session, organization_id=principal.organization_id, data=body)


@router.get("", response_model=Page[RuleOut], summary="List rules")
def list_rules(
    session: SessionDep,
    principal: ReadPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    status: RuleStatus | None = None,
    mode: RuleMode | None = None,
) -> Page[RuleOut]:
    rows, cursor = paginate(
        session,
        rule_service.query(organization_id=principal.organization_id, status=status, mode=mode),
        id_column=Rule.id,
        params=page,
    )
    return Page[RuleOut](items=[RuleOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/simulate",
    response_model=SimulationOut,
    summary="Simulate an unsaved rule against a sample event and history (writes nothing)",
)
def simulate_unsaved(
    body: SimulationIn, session: SessionDep, principal: ReadPrincipal
) -> SimulationOut:
    if body.rule is None:
        raise InvalidInput(
            "Send the 'rule' to simulate, or use /rules/{id}/simulate.",
            extra={"errors": [{"field": "rule", "reason": "is required here"}]},
        )
    rule_service.validate(session, organization_id=principal.organization_id, data=body.rule)
    rule = rule_service.unsaved(principal.organization_id, body.rule)
    return simulate(
        session,
        organization_id=principal.organization_id,
        rule=rule,
        event=body.event,
        history=body.history,
        held_template_ids=body.held_template_ids,
    )


@router.get("/{rule_id}", response_model=RuleOut, summary="Read a rule")
def read(rule_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal) -> object:
    return rule_service.get(session, organization_id=principal.organization_id, rule_id=rule_id)


@router.patch(
    "/{rule_id}", response_model=RuleOut, summary="Change a rule (status: draft, active, paused)"
)
def update(
    rule_id: uuid.UUID, body: RuleUpdate, session: SessionDep, principal: WritePrincipal
) -> object:
    rule = rule_service.get(session, organization_id=principal.organization_id, rule_id=rule_id)
    return rule_service.update(session, rule=rule, data=body)


@router.delete("/{rule_id}", status_code=204, summary="Delete a rule (its award logs stay)")
def delete(rule_id: uuid.UUID, session: SessionDep, principal: WritePrincipal) -> Response:
    rule = rule_service.get(session, organization_id=principal.organization_id, rule_id=rule_id)
    rule_service.delete(session, rule=rule)
    return Response(status_code=204)


@router.post(
    "/{rule_id}/simulate",
    response_model=SimulationOut,
    summary="Simulate this rule against a sample event and history (writes nothing)",
)
def simulate_saved(
    rule_id: uuid.UUID, body: SimulationIn, session: SessionDep, principal: ReadPrincipal
) -> SimulationOut:
    rule = rule_service.get(session, organization_id=principal.organization_id, rule_id=rule_id)
    if body.rule is not None:
        raise InvalidInput(
            "Do not send a 'rule' when simulating a saved one.",
            extra={"errors": [{"field": "rule", "reason": "not allowed here"}]},
        )
    return simulate(
        session,
        organization_id=principal.organization_id,
        rule=rule,
        event=body.event,
        history=body.history,
        held_template_ids=body.held_template_ids,
    )


@router.post(
    "/{rule_id}/backfill/preview",
    response_model=BackfillPreviewOut,
    summary="Dry run: who would be awarded now from stored history",
)
def backfill_preview(
    rule_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> BackfillPreviewOut:
    rule = rule_service.get(session, organization_id=principal.organization_id, rule_id=rule_id)
    return backfills.preview(session, rule=rule)


@router.post(
    "/{rule_id}/backfills",
    response_model=BackfillOut,
    status_code=202,
    dependencies=[Idempotent],
    summary="Award retroactively from stored history (a job; poll its progress)",
)
def backfill_start(rule_id: uuid.UUID, session: SessionDep, principal: WritePrincipal) -> object:
    rule = rule_service.get(session, organization_id=principal.organization_id, rule_id=rule_id)
    backfill = backfills.start(session, rule=rule)
    jobs.enqueue(session, rule_tasks.run_backfill, str(backfill.id))
    return backfill


@backfills_router.get(
    "/{backfill_id}", response_model=BackfillOut, summary="Progress of a backfill"
)
def backfill_status(
    backfill_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> object:
    return backfills.get(
        session, organization_id=principal.organization_id, backfill_id=backfill_id
    )
