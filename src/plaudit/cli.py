"""The `plaudit` command line (Typer + Rich)."""

from __future__ import annotations

import logging
import secrets
import sys
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from typer.exceptions import TyperException

from plaudit import jobs, migrate
from plaudit.config import Settings, get_settings
from plaudit.db import unit_of_work
from plaudit.errors import PlauditError, ServiceUnavailable
from plaudit.logs import setup_logging
from plaudit.models.apikey import Scope
from plaudit.models.signing_key import KeyAlgorithm
from plaudit.models.user import Role
from plaudit.runtime import Runtime, build_runtime

M = TypeVar("M", bound=BaseModel)

app = typer.Typer(
    name="plaudit",
    help="Plaudit: credential templates, award rules and verifiable credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
org_app = typer.Typer(help="Organizations (tenants and issuers).", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys of an organization.", no_args_is_help=True)
user_app = typer.Typer(help="Dashboard users and their roles.", no_args_is_help=True)
keys_app = typer.Typer(help="The master key and signing keys.", no_args_is_help=True)
catalog_app = typer.Typer(help="The built-in template catalog.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(apikey_app, name="apikey")
app.add_typer(user_app, name="user")
app.add_typer(keys_app, name="keys")
app.add_typer(catalog_app, name="catalog")

out = Console()
err = Console(stderr=True)


def _setup(*, schema: bool = True) -> tuple[Settings, Runtime]:
    """Settings, logging, runtime and queue; with ``schema``, a database ready for use."""
    settings = get_settings()
    setup_logging(json_lines=settings.log_json, level=settings.log_level)
    runtime = build_runtime(settings)
    jobs.configure(settings, runtime)
    if schema:
        _ensure_schema(runtime)
    return settings, runtime


def _ensure_schema(runtime: Runtime) -> None:
    if runtime.settings.is_embedded:
        migrate.upgrade(runtime.engine)
    elif not migrate.is_current(runtime.engine):
        raise ServiceUnavailable(
            "The database schema is not current: run 'plaudit db upgrade' first."
        )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [PLAUDIT_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [PLAUDIT_PORT].", min=1, max=65535)] = None,
    jobs_in_process: Annotated[
        bool | None,
        typer.Option(
            "--jobs/--no-jobs",
            help="Run job workers in this process [PLAUDIT_RUN_JOBS_IN_PROCESS].",
        ),
    ] = None,
) -> None:
    """Serve the API (and, embedded, the job workers). Upgrades an embedded SQLite schema."""
    import uvicorn

    from plaudit.app import create_app

    settings, runtime = _setup()
    _sync_catalog(runtime)
    run_jobs = settings.run_jobs_in_process if jobs_in_process is None else jobs_in_process
    application = create_app(settings, runtime=runtime, run_jobs=run_jobs)
    bind_host, bind_port = host or settings.host, port or settings.port
    err.print(f"Plaudit on http://{bind_host}:{bind_port}  (API docs: /docs)")
    # X-Forwarded-* are believed only from the configured proxies (uvicorn's own default
    # trusts any local peer, so a local client could pick the address the rate limits see).
    proxies = settings.trusted_proxies.strip()
    uvicorn.run(
        application,
        host=bind_host,
        port=bind_port,
        log_config=None,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or "",
    )


@app.command()
def worker(
    workers: Annotated[
        int | None, typer.Option(help="Worker threads [PLAUDIT_WORKERS].", min=1)
    ] = None,
) -> None:
    """Consume the job queue in the foreground (for PLAUDIT_QUEUE_URL=redis://...)."""
    settings, _runtime = _setup(schema=False)
    err.print(f"Plaudit worker on {settings.resolved_queue_url} (queue '{settings.queue_name}')")
    jobs.run_worker(workers or settings.workers)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    _settings, runtime = _setup(schema=False)
    migrate.upgrade(runtime.engine, revision)
    out.print(f"Database at revision {migrate.current(runtime.engine)}.")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the code's."""
    _settings, runtime = _setup(schema=False)
    out.print(f"database: {migrate.current(runtime.engine)}  code: {migrate.head()}")


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Option(help="Display name of the issuer.")],
    slug: Annotated[str | None, typer.Option(help="URL-safe id (default: from the name).")] = None,
    url: Annotated[str | None, typer.Option(help="Public website.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact email.")] = None,
    language: Annotated[str, typer.Option(help="Default language tag.")] = "en",
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = "UTC",
) -> None:
    """Create an organization."""
    from plaudit.organizations import service as organizations
    from plaudit.organizations.schemas import OrganizationCreate

    _settings, runtime = _setup()
    data = _validate(
        OrganizationCreate,
        name=name,
        slug=slug,
        url=url,
        email=email,
        default_language=language,
        timezone=timezone,
    )
    with unit_of_work(runtime.sessions) as session:
        org = organizations.create(session, data=data)
    out.print(f"Created organization [bold]{org.name}[/] (slug {org.slug}, id {org.id}).")


@org_app.command("list")
def org_list() -> None:
    """List organizations."""
    from plaudit.organizations import service as organizations

    _settings, runtime = _setup()
    with unit_of_work(runtime.read_sessions) as session:
        orgs = organizations.list_all(session)
    table = Table("slug", "name", "id", "created")
    for org in orgs:
        table.add_row(org.slug, org.name, str(org.id), org.created_at.isoformat(timespec="seconds"))
    out.print(table)


@apikey_app.command("create")
def apikey_create(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    scope: Annotated[
        list[Scope] | None, typer.Option(help="Scope; repeat for several. Default: admin.")
    ] = None,
) -> None:
    """Create an API key and print its token (shown once)."""
    from plaudit.apikeys import service as apikeys
    from plaudit.organizations import service as organizations

    _settings, runtime = _setup()
    with unit_of_work(runtime.sessions) as session:
        organization = organizations.get_by_slug(session, org)
        _key, token = apikeys.create(
            session, organization_id=organization.id, name=name, scopes=scope or [Scope.ADMIN]
        )
    out.print(token, soft_wrap=True)


@apikey_app.command("revoke")
def apikey_revoke(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    key_id: Annotated[str, typer.Argument(help="Id of the key (see the API's /api-keys).")],
) -> None:
    """Revoke an API key."""
    import uuid

    from plaudit.apikeys import service as apikeys
    from plaudit.organizations import service as organizations

    _settings, runtime = _setup()
    try:
        ident = uuid.UUID(key_id)
    except ValueError:
        raise typer.BadParameter("must be a key id (a UUID)", param_hint="KEY_ID") from None
    with unit_of_work(runtime.sessions) as session:
        organization = organizations.get_by_slug(session, org)
        key = apikeys.revoke(session, organization_id=organization.id, key_id=ident)
    out.print(f"Revoked {key.name} ({key.prefix}).")


@user_app.command("create")
def user_create(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    role: Annotated[Role, typer.Option(help="Role in the organization.")] = Role.ADMIN,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="Password (10+ characters). Default: a generated one, printed once."),
    ] = None,
) -> None:
    """Create a user (or reuse one by email) and give them a role in an organization."""
    from plaudit.organizations import service as organizations
    from plaudit.users import service as users

    _settings, runtime = _setup()
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with unit_of_work(runtime.sessions) as session:
        organization = organizations.get_by_slug(session, org)
        user = users.get_or_create_user(session, email=email, name=name, password=password)
        users.add_member(session, organization_id=organization.id, user=user, role=role)
    out.print(f"{user.email} is {role.value} of {organization.slug}.")
    if generated:
        out.print(f"password: {password}", soft_wrap=True)


@keys_app.command("master-key")
def keys_master_key() -> None:
    """Print a new random master key (for PLAUDIT_MASTER_KEY in production)."""
    from plaudit.vault import new_master_key

    out.print(new_master_key(), soft_wrap=True)


@keys_app.command("rotate")
def keys_rotate(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    algorithm: Annotated[
        KeyAlgorithm, typer.Option(help="Which signing key to rotate.")
    ] = KeyAlgorithm.ED25519,
) -> None:
    """Retire an organization's active signing key and create its successor."""
    from plaudit.keys import service as keys
    from plaudit.organizations import service as organizations

    _settings, runtime = _setup()
    with unit_of_work(runtime.sessions) as session:
        organization = organizations.get_by_slug(session, org)
        key = keys.rotate(
            session, organization_id=organization.id, vault=runtime.vault, algorithm=algorithm
        )
        key_id = key.id
    out.print(f"New active {algorithm.value} key of {org}: {key_id} (the old one is retired).")


@catalog_app.command("list")
def catalog_list() -> None:
    """List the catalog's entries."""
    from plaudit.catalog.entries import CATALOG

    table = Table("key", "version", "kind", "name", "languages")
    for entry in CATALOG:
        table.add_row(
            entry.key,
            str(entry.version),
            entry.kind.value,
            entry.texts["en"].name,
            ", ".join(entry.texts),
        )
    out.print(table)


@catalog_app.command("sync")
def catalog_sync() -> None:
    """Update every template that follows a newer catalog entry (also done by `serve`)."""
    _settings, runtime = _setup()
    count = _sync_catalog(runtime)
    out.print(f"{count} template(s) updated from the catalog.")


def _sync_catalog(runtime: Runtime) -> int:
    from plaudit.catalog import service as catalog

    with unit_of_work(runtime.sessions) as session:
        return len(catalog.sync(session, runtime.files))


@app.command()
def verify(
    file: Annotated[
        Path,
        typer.Argument(
            help="A credential: JSON, a VC-JWT, a baked PNG/SVG or a PDF certificate.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
) -> None:
    """Verify a credential file and print every check; exit 1 when it is not valid."""
    from plaudit.verification import service as verification

    settings, runtime = _setup()
    with unit_of_work(runtime.read_sessions) as session:
        report = verification.verify(
            session, base_url=settings.public_base_url, data=file.read_bytes()
        )
    colours = {"passed": "green", "warning": "yellow", "failed": "red"}
    table = Table("check", "verdict", "why")
    for check in report.checks:
        colour = colours[check.verdict.value]
        table.add_row(check.name, f"[{colour}]{check.verdict.value}[/]", check.message)
    out.print(table)
    out.print(f"[bold]{report.outcome}[/]")
    if not report.valid:
        raise typer.Exit(1)


@app.command()
def issue(
    csv_file: Annotated[
        Path,
        typer.Option(
            "--csv",
            help="UTF-8 CSV: email, first_name, last_name, template (id or name), issue_date, "
            "expiry_date, evidence_url, narrative, then certificate fields by name.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    org: Annotated[str, typer.Option(help="Organization slug.")],
    apply: Annotated[
        bool,
        typer.Option("--apply", "--yes", help="Issue the rows (default: only preview them)."),
    ] = False,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify/--no-notify", help="Email the learners and tell the webhooks of each one."
        ),
    ] = True,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="With --apply: issue the valid rows anyway.")
    ] = False,
) -> None:
    """Issue credentials from a CSV: preview every row, then --apply it with a progress bar."""
    from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

    from plaudit import leases
    from plaudit.bulk import service as bulk
    from plaudit.bulk import tasks as bulk_tasks
    from plaudit.models.bulk import BulkStatus
    from plaudit.organizations import service as organizations

    _settings, runtime = _setup()
    with unit_of_work(runtime.read_sessions) as session, csv_file.open("rb") as stream:
        organization_id = organizations.get_by_slug(session, org).id
        report = bulk.preview(session, organization_id=organization_id, stream=stream)
    summary = Table("rows", "valid", "invalid", "to issue", "already issued")
    summary.add_row(
        *(
            f"{n:,}"
            for n in (
                report.rows,
                report.valid,
                report.invalid,
                report.to_issue,
                report.already_issued,
            )
        )
    )
    out.print(summary)
    if report.errors:
        errors = Table("line", "column", "problem", "code", title="Errors")
        for e in report.errors[:50]:
            errors.add_row(str(e.line), e.column or "", e.message, e.code)
        out.print(errors)
        if report.error_count > 50:
            out.print(f"... and {report.error_count - 50:,} more error(s).")
    if not apply:
        if report.to_issue and not report.error_count:
            out.print("Nothing was written. Run again with --apply to issue.")
        raise typer.Exit(1 if report.error_count else 0)
    if report.valid == 0 or (report.error_count and not skip_invalid):
        err.print("Nothing was issued: correct the errors, or pass --skip-invalid.")
        raise typer.Exit(1)
    with unit_of_work(runtime.sessions) as session, csv_file.open("rb") as stream:
        job, _new = bulk.start(
            session,
            runtime.files,
            organization_id=organization_id,
            stream=stream,
            filename=csv_file.name,
            notify=notify,
            skip_invalid=skip_invalid,
            uploaded_by="the command line (plaudit issue)",
        )
        bulk_id, status, total = job.id, job.status, job.total_rows
    if status is BulkStatus.COMPLETED:
        out.print(f"This file was applied before (bulk issuance {bulk_id}): nothing to do.")
        return
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err) as bar:
            task = bar.add_task("Issuing", total=total)
            done = bulk_tasks.run(
                runtime,
                bulk_id,
                on_progress=lambda p: bar.update(task, completed=p.processed_rows),
            )
    except leases.Held as held:
        until = f" until {held.until:%H:%M:%S} UTC" if held.until else ""
        out.print(
            f"Bulk issuance {bulk_id} is being applied by another process ({held.holder}"
            f"{until}); see its progress. If that process died, it is taken over when that "
            "time has passed, by a worker or by running this command again."
        )
        return
    if done is None:
        raise PlauditError(f"Bulk issuance {bulk_id} failed; see GET /api/v1/bulk-issuances.")
    out.print(
        f"Bulk issuance {bulk_id}: {done.issued:,} issued, {done.skipped:,} already issued, "
        f"{done.failed:,} failed. The credentials are signed by the job workers "
        "(`plaudit serve` or `plaudit worker`)."
    )


@app.command()
def demo() -> None:
    """Create (or refresh) the demo organization and print what to open and an API key."""
    from plaudit.demo import load_demo

    settings, runtime = _setup()
    from sqlalchemy import select

    from plaudit.learners import links
    from plaudit.models.award import Credential
    from plaudit.models.organization import Organization

    with unit_of_work(runtime.sessions) as session:
        result = load_demo(session, runtime.files)
        first = session.scalars(
            select(Credential)
            .join(Organization, Organization.id == Credential.organization_id)
            .where(Organization.slug == result.slug)
            .order_by(Credential.emitted_at, Credential.public_id)
            .limit(1)
        ).first()
    base = settings.public_base_url
    out.print(f"[bold]Demo organization:[/] {result.organization_name} (slug {result.slug})")
    out.print(f"Dashboard:  {base}/admin/")
    out.print(f"Sign in:    {result.email} / {result.password}")
    out.print(f"API docs:   {base}/docs")
    if first is not None:
        out.print(f"A credential's public page: {base}/credentials/{first.public_id}")
        out.print(
            f"Its learner's wallet:       {links.url(base, runtime.vault, first.learner_id)}",
            soft_wrap=True,
        )
    out.print("API key (admin; shown once):")
    out.print(f"  {result.api_key}", soft_wrap=True)
    out.print(
        f"Try:        curl -H 'Authorization: Bearer {result.api_key}' {base}/api/v1/organization",
        soft_wrap=True,
    )


def _validate(model: type[M], **values: object) -> M:
    from pydantic import ValidationError

    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "value"
        raise typer.BadParameter(
            str(first["msg"]), param_hint=f"--{field.replace('_', '-')}"
        ) from None


def main() -> None:
    """Entry point: every error is one line on stderr and a non-zero exit."""
    command = typer.main.get_command(app)
    try:
        # Without standalone mode an Exit raised by a command comes back as the return value.
        code = command.main(standalone_mode=False, prog_name="plaudit")
        if isinstance(code, int) and code:
            sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("Aborted.", file=sys.stderr)
        sys.exit(130)
    except TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `plaudit` alone, or a group alone
            print(exc.format_message())
            sys.exit(0)
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            hint = f" (see '{ctx.command_path} --help')"
        print(f"error: {exc.format_message()}{hint}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 1))
    except PlauditError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # a last resort for the terminal: one sentence, details in the log
        logging.getLogger("plaudit.cli").debug("command failed", exc_info=True)
        summary = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"error: {type(exc).__name__}: {summary}", file=sys.stderr)
        sys.exit(1)
