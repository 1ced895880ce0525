"""The `plaudit` command line (Typer + Rich)."""

from __future__ import annotations

import logging
import secrets
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, get_args

import typer
from rich.console import Console
from typer.exceptions import TyperException

if TYPE_CHECKING:
    # Only for the type checker: each command imports what it needs when it runs, so that
    # `plaudit --help` starts without SQLAlchemy, FastAPI, pydantic-settings or the job queue.
    from pydantic import BaseModel
    from rich.table import Table
    from sqlalchemy.orm import Session

    from plaudit.config import Settings
    from plaudit.models.organization import Organization
    from plaudit.runtime import Runtime

M = TypeVar("M", bound="BaseModel")

# The values of plaudit.models.user.Role, signing_key.KeyAlgorithm and apikey.Scope, written out
# so that the options list them without importing the models (tests/cli checks they agree).
RoleName = Literal["owner", "admin", "viewer"]
AlgorithmName = Literal["Ed25519", "RSA"]
ScopeName = Literal["read", "write", "issue", "admin"]

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

# soft_wrap: ids, tokens, URLs and paths are printed whole, never broken at the terminal's width
# (a terminal wraps them for the eye; a copy or a pipe gets them in one piece).
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("plaudit")
        except PackageNotFoundError:  # running from a source tree that was never installed
            from plaudit import __version__ as installed
        print(f"plaudit {installed}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the installed version and exit.",
            callback=_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Plaudit: credential templates, award rules and verifiable credentials."""


def _setup(*, schema: bool = True) -> tuple[Settings, Runtime]:
    """Settings, logging, runtime and queue; with ``schema``, a database ready for use."""
    from plaudit import jobs
    from plaudit.config import get_settings
    from plaudit.logs import setup_logging
    from plaudit.runtime import build_runtime

    settings = get_settings()
    setup_logging(json_lines=settings.log_json, level=settings.log_level)
    runtime = build_runtime(settings)
    jobs.configure(settings, runtime)
    if schema:
        _ensure_schema(runtime)
    return settings, runtime


def _ensure_schema(runtime: Runtime) -> None:
    from plaudit import migrate
    from plaudit.errors import ServiceUnavailable

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
    processes: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Server processes sharing the port (each with its own job workers unless "
            "--no-jobs). With more than one, use a Redis queue so the page cache and the rate "
            "limits are shared.",
        ),
    ] = 1,
) -> None:
    """Serve the API (and, embedded, the job workers). Upgrades an embedded SQLite schema."""
    import functools
    import logging
    import os

    import uvicorn

    from plaudit.app import create_app

    settings, runtime = _setup()
    _sync_catalog(runtime)
    run_jobs = settings.run_jobs_in_process if jobs_in_process is None else jobs_in_process
    bind_host, bind_port = host or settings.host, port or settings.port
    err.print(f"Plaudit on http://{bind_host}:{bind_port}  (API docs: /docs)")
    # X-Forwarded-* are believed only from the configured proxies (uvicorn's own default
    # trusts any local peer, so a local client could pick the address the rate limits see).
    proxies = settings.trusted_proxies.strip()
    run = functools.partial(
        uvicorn.run,
        host=bind_host,
        port=bind_port,
        log_config=None,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or "",
    )
    if processes == 1:
        run(create_app(settings, runtime=runtime, run_jobs=run_jobs))
        return
    if not settings.resolved_queue_url.startswith(("redis://", "rediss://", "unix://")):
        logging.getLogger("plaudit.serve").warning(
            "%d processes without a Redis queue (PLAUDIT_QUEUE_URL): each keeps its own page "
            "cache, so a revocation shows in the others only after up to %.0f s "
            "(PLAUDIT_PAGE_CACHE_SECONDS), and each counts its own rate limits (a client "
            "gets up to %d times PLAUDIT_VERIFY_RATE_LIMIT)",
            processes,
            settings.page_cache_seconds,
            processes,
        )
    runtime.close()
    # The processes are spawned afresh and read their settings from the environment.
    os.environ["PLAUDIT_RUN_JOBS_IN_PROCESS"] = "true" if run_jobs else "false"
    run("plaudit.app:create_served_app", factory=True, workers=processes)


@app.command()
def worker(
    workers: Annotated[
        int | None, typer.Option(help="Worker threads [PLAUDIT_WORKERS].", min=1)
    ] = None,
) -> None:
    """Consume the job queue in the foreground (for PLAUDIT_QUEUE_URL=redis://...)."""
    from plaudit import jobs

    settings, _runtime = _setup(schema=False)
    err.print(f"Plaudit worker on {settings.resolved_queue_url} (queue '{settings.queue_name}')")
    jobs.run_worker(workers or settings.workers)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from alembic.util import CommandError

    from plaudit import migrate

    _settings, runtime = _setup(schema=False)
    try:
        migrate.upgrade(runtime.engine, revision)
    except CommandError as exc:
        if revision == "head":  # not the caller's doing: the last-resort handler reports it
            raise
        # An unknown revision: say so, in alembic's words.
        raise typer.BadParameter(str(exc), param_hint="REVISION") from None
    out.print(f"Database at revision {migrate.current(runtime.engine)}.")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the code's."""
    from plaudit import migrate

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
    from plaudit.db import unit_of_work
    from plaudit.organizations import service as organizations
    from plaudit.organizations.schemas import OrganizationCreate

    data = _validate(
        OrganizationCreate,
        name=name,
        slug=slug,
        url=url,
        email=email,
        default_language=language,
        timezone=timezone,
        options={"default_language": "--language"},
    )
    _settings, runtime = _setup()
    with unit_of_work(runtime.sessions) as session:
        org = organizations.create(session, data=data)
    out.print(f"Created organization [bold]{_esc(org.name)}[/] (slug {org.slug}, id {org.id}).")


@org_app.command("list")
def org_list() -> None:
    """List organizations."""
    from plaudit.db import unit_of_work
    from plaudit.organizations import service as organizations

    _settings, runtime = _setup()
    with unit_of_work(runtime.read_sessions) as session:
        orgs = organizations.list_all(session)
    table = _table("slug", "name", "id", "created (UTC)", whole=("id",))
    for org in orgs:
        table.add_row(org.slug, _esc(org.name), str(org.id), f"{org.created_at:%Y-%m-%d %H:%M}")
    out.print(table)


@apikey_app.command("create")
def apikey_create(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Scope: {', '.join(get_args(ScopeName))}; repeat for several. Default: admin."
        ),
    ] = None,
) -> None:
    """Create an API key and print its token (shown once)."""
    from plaudit.apikeys import service as apikeys
    from plaudit.apikeys.schemas import ApiKeyCreate
    from plaudit.db import unit_of_work

    data = _validate(
        ApiKeyCreate, name=name, scopes=scope or ["admin"], options={"scopes": "--scope"}
    )
    _settings, runtime = _setup()
    with unit_of_work(runtime.sessions) as session:
        organization = _organization(session, org)
        _key, token = apikeys.create(
            session, organization_id=organization.id, name=data.name, scopes=data.scopes
        )
    out.print(token, soft_wrap=True)


@apikey_app.command("revoke")
def apikey_revoke(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    key_id: Annotated[str, typer.Argument(help="Id of the key (see the API's /api-keys).")],
) -> None:
    """Revoke an API key."""
    from plaudit.apikeys import service as apikeys
    from plaudit.db import unit_of_work

    try:
        ident = uuid.UUID(key_id)
    except ValueError:
        raise typer.BadParameter(
            "must be the id of a key (a UUID such as 0b5c8a9e-3f4d-4c6e-9a1b-2d3e4f5a6b7c)",
            param_hint="KEY_ID",
        ) from None
    _settings, runtime = _setup()
    with unit_of_work(runtime.sessions) as session:
        organization = _organization(session, org)
        key = apikeys.revoke(session, organization_id=organization.id, key_id=ident)
    out.print(f"Revoked {_esc(key.name)} ({key.prefix}).")


@user_app.command("create")
def user_create(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    role: Annotated[RoleName, typer.Option(help="Role in the organization.")] = "admin",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="Password (10+ characters). Default: a generated one, printed once."),
    ] = None,
) -> None:
    """Create a user (or reuse one by email) and give them a role in an organization."""
    from plaudit.db import unit_of_work
    from plaudit.users import service as users
    from plaudit.users.schemas import MemberCreate

    # The checks of POST /members (the same schema) and of setting a password.
    data = _validate(MemberCreate, email=email, name=name, role=role)
    if password is not None:
        _refuse(users.check_password_strength, password, option="--password")
    _settings, runtime = _setup()
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with unit_of_work(runtime.sessions) as session:
        organization = _organization(session, org)
        user = users.get_or_create_user(
            session, email=str(data.email), name=data.name, password=password
        )
        users.add_member(session, organization_id=organization.id, user=user, role=data.role)
    out.print(f"{user.email} is {data.role.value} of {organization.slug}.")
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
        AlgorithmName, typer.Option(help="Which signing key to rotate.")
    ] = "Ed25519",
) -> None:
    """Retire an organization's active signing key and create its successor."""
    from plaudit.db import unit_of_work
    from plaudit.keys import service as keys
    from plaudit.models.signing_key import KeyAlgorithm

    _settings, runtime = _setup()
    with unit_of_work(runtime.sessions) as session:
        organization = _organization(session, org)
        key = keys.rotate(
            session,
            organization_id=organization.id,
            vault=runtime.vault,
            algorithm=KeyAlgorithm(algorithm),
        )
        key_id = key.id
    out.print(
        f"New active {algorithm} key of {organization.slug}: {key_id} (the old one is retired)."
    )


@catalog_app.command("list")
def catalog_list() -> None:
    """List the catalog's entries."""
    from plaudit.catalog.entries import CATALOG

    table = _table("key", "version", "kind", "name", "languages", whole=("key",))
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
    from plaudit.db import unit_of_work

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
    from plaudit.db import unit_of_work
    from plaudit.verification import service as verification

    settings, runtime = _setup()
    with unit_of_work(runtime.read_sessions) as session:
        report = verification.verify(
            session, base_url=settings.public_base_url, data=file.read_bytes()
        )
    colours = {"passed": "green", "warning": "yellow", "failed": "red"}
    table = _table("check", "verdict", "why")
    for check in report.checks:
        colour = colours[check.verdict.value]
        # The message may quote the file (an issuer's name, an id): text, never markup.
        table.add_row(_esc(check.name), f"[{colour}]{check.verdict.value}[/]", _esc(check.message))
    out.print(table)
    out.print(f"[bold]{_esc(report.outcome)}[/]")
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
    late: Annotated[
        str,
        typer.Option(
            "--late",
            help="Rows whose credential would arrive expired or about to: issue (as dated), "
            "skip, or today (issue them dated today).",
        ),
    ] = "issue",
) -> None:
    """Issue credentials from a CSV: preview every row, then --apply it with a progress bar."""
    from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

    from plaudit import leases
    from plaudit.bulk import service as bulk
    from plaudit.bulk import tasks as bulk_tasks
    from plaudit.db import unit_of_work
    from plaudit.errors import PlauditError
    from plaudit.models.bulk import BulkStatus

    if late not in {c.value for c in bulk.LateChoice}:
        err.print(f"--late is issue, skip or today, not '{_esc(late)}'.")
        raise typer.Exit(2)
    late_choice = bulk.LateChoice(late)
    _settings, runtime = _setup()
    with unit_of_work(runtime.read_sessions) as session, csv_file.open("rb") as stream:
        organization_id = _organization(session, org).id
        report = bulk.preview(session, organization_id=organization_id, stream=stream)
    summary = _table("rows", "valid", "invalid", "to issue", "already issued")
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
    if report.expired_count or report.expiring_count:
        out.print(
            f"{report.expired_count:,} row(s) would arrive already expired and "
            f"{report.expiring_count:,} would expire within the reminder window: they are "
            f"issued as dated unless --late skip or --late today (now: --late {_esc(late)})."
        )
    if report.errors:
        errors = _table("line", "column", "problem", "code", title="Errors", whole=("code",))
        for e in report.errors[:50]:
            errors.add_row(str(e.line), _esc(e.column or ""), _esc(e.message), e.code)
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
            choices=bulk.Choices(default=late_choice),
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
            f"Bulk issuance {bulk_id} is being applied by another process ({_esc(held.holder)}"
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
    from sqlalchemy import select

    from plaudit.db import unit_of_work, utcnow
    from plaudit.demo import load_demo
    from plaudit.learners import links
    from plaudit.models.award import Credential, CredentialStatus
    from plaudit.models.organization import Organization

    settings, runtime = _setup()
    with unit_of_work(runtime.sessions) as session:
        result = load_demo(session, runtime.files)
        # One that is valid (the demo also has a revoked and an expired one), most recent first.
        first = session.scalars(
            select(Credential)
            .join(Organization, Organization.id == Credential.organization_id)
            .where(
                Organization.slug == result.slug,
                Credential.status == CredentialStatus.ACTIVE,
                (Credential.expires_at.is_(None)) | (Credential.expires_at > utcnow()),
            )
            .order_by(Credential.emitted_at.desc(), Credential.public_id)
            .limit(1)
        ).first()
    base = settings.public_base_url
    out.print(f"[bold]Demo organization:[/] {_esc(result.organization_name)} (slug {result.slug})")
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


def _validate(model: type[M], *, options: dict[str, str] | None = None, **values: object) -> M:
    """The API's schema and its messages; a refusal names the option (``options`` maps a
    field to its option where the names differ)."""
    from pydantic import ValidationError

    from plaudit.api.problems import validation_errors

    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = validation_errors([first])[0]["reason"]
        field = str(first["loc"][0]) if first["loc"] else "value"
        option = (options or {}).get(field, f"--{field.replace('_', '-')}")
        raise typer.BadParameter(reason, param_hint=option) from None


def _refuse(check: Any, value: object, *, option: str) -> None:
    """Run a service's check of a value before anything is opened; its message names the option."""
    from plaudit.errors import PlauditError

    try:
        check(value)
    except PlauditError as exc:
        raise typer.BadParameter(exc.detail, param_hint=option) from None


def _organization(session: Session, slug: str) -> Organization:
    from plaudit.errors import NotFound
    from plaudit.organizations import service as organizations

    try:
        return organizations.get_by_slug(session, slug)
    except NotFound:
        raise typer.BadParameter(
            f"there is no organization with the slug '{slug}' ('plaudit org list' shows them)",
            param_hint="--org",
        ) from None


def _esc(text: str) -> str:
    """Text from users or files, printed as it is (Rich would read '[b]' as markup)."""
    from rich.markup import escape

    return escape(text)


def _table(*columns: str, whole: tuple[str, ...] = (), title: str | None = None) -> Table:
    """A table whose ``whole`` columns (ids, slugs, dates) are never cut or wrapped, whatever the
    terminal's width, and whose other columns fold rather than end in an ellipsis."""
    from rich.table import Table

    table = Table(title=title)
    for name in columns:
        if name in whole:
            table.add_column(name, no_wrap=True, overflow="ignore", min_width=len(name))
        else:
            table.add_column(name, overflow="fold")
    return table


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
        # Typer words a refused choice as pydantic does ("Value error, 'x' is not one of ...").
        message = exc.format_message().replace("Value error, ", "")
        print(f"error: {message}{hint}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 1))
    except Exception as exc:
        from plaudit.errors import PlauditError

        if isinstance(exc, PlauditError):
            print(f"error: {exc.detail}", file=sys.stderr)
            sys.exit(1)
        # A last resort for the terminal: one sentence, details in the log.
        logging.getLogger("plaudit.cli").debug("command failed", exc_info=True)
        summary = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"error: {type(exc).__name__}: {summary}", file=sys.stderr)
        sys.exit(1)
