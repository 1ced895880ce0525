"""Dashboard: a rule's backfill, from the dry run (who would get what) to the job's progress."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaudit import jobs
from plaudit.admin.rule_form import rule_of, template_names
from plaudit.admin.web import (
    ADMIN,
    Editor,
    Viewer,
    parse_uuid,
    redirect,
    render,
)
from plaudit.api.deps import SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.errors import Conflict, not_found
from plaudit.models.rule import BackfillStatus
from plaudit.rules import backfill as backfills
from plaudit.rules import queries as rule_queries
from plaudit.rules import tasks as rule_tasks

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)
RULES = f"{ADMIN}/rules"


@router.get("/rules/{rule_id}/backfill")
def backfill_preview(
    request: Request, rule_id: str, admin: Viewer, session: SessionDep
) -> Response:
    """The dry run: who would be awarded what from the stored events (nothing is written)."""
    rule = rule_of(session, admin, rule_id)
    preview = backfills.preview(session, rule=rule)
    running = rule_queries.running_backfill(session, rule_id=rule.id)
    return render(
        request,
        admin,
        "admin/rules_backfill.html",
        {
            "rule": rule,
            "preview": preview,
            "names": template_names(session, admin, rule.actions),
            "running": running,
        },
        section="rules",
    )


@router.post("/rules/{rule_id}/backfills")
def backfill_start(rule_id: str, admin: Editor, session: SessionDep) -> Response:
    rule = rule_of(session, admin, rule_id)
    try:
        backfill = backfills.start(session, rule=rule)
    except Conflict as exc:
        return redirect(f"{RULES}/{rule.id}/backfill", flash=exc.detail, kind="error")
    jobs.enqueue(session, rule_tasks.run_backfill, str(backfill.id))
    return redirect(
        f"{RULES}/{rule.id}/backfills/{backfill.id}",
        flash="The backfill has started; this page follows its progress.",
    )


@router.get("/rules/{rule_id}/backfills/{backfill_id}")
def backfill_progress(
    request: Request, rule_id: str, backfill_id: str, admin: Viewer, session: SessionDep
) -> Response:
    rule = rule_of(session, admin, rule_id)
    ident = parse_uuid(backfill_id)
    if ident is None:
        raise not_found("backfill", backfill_id)
    backfill = backfills.get(session, organization_id=admin.organization_id, backfill_id=ident)
    if backfill.rule_id != rule.id:
        raise not_found("backfill", backfill_id)
    return render(
        request,
        admin,
        "admin/rules_backfill_progress.html",
        {
            "rule": rule,
            "backfill": backfill,
            "running": backfill.status in (BackfillStatus.PENDING, BackfillStatus.RUNNING),
        },
        section="rules",
    )
