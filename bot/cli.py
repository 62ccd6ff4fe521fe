"""``crisisbot``: the command line. Typer for parsing, Rich for output.

Every command loads settings and the plan the same way, so an invalid plan stops each of them
with the same clear list of problems and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot import __version__, container
from bot.config import Settings
from bot.core.model.errors import CrisisError
from bot.core.plan.chain import resolve, role_people
from bot.core.plan.model import LoadedPlan
from bot.datafiles.yaml import DataFileError
from bot.observability import logs

app = typer.Typer(
    name="crisisbot",
    help="Run your social-media crisis plan from chat: Slack, Microsoft Teams, or this terminal.",
    no_args_is_help=True,
    add_completion=False,
)


def out() -> Console:
    """A console made when printing, so it sees the terminal (and COLUMNS) as it is now."""
    return Console()


def err() -> Console:
    return Console(stderr=True)


PlanOption = Annotated[
    Path | None, typer.Option("--plan", help="Plan file (default: $CRISISBOT_PLAN or playbooks/plan.yaml).")
]


def _settings(**overrides: object) -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            err().print(Text(f"Setting {'.'.join(str(p) for p in e['loc'])}: {e['msg']}", style="red"))
        raise typer.Exit(2) from None
    updates = {k: v for k, v in overrides.items() if v is not None}
    if updates:  # validated like the environment, so --port 70000 is refused too
        try:
            settings = Settings(**updates)  # type: ignore[arg-type]
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                err().print(Text(f"Option {'.'.join(str(p) for p in e['loc'])}: {e['msg']}", style="red"))
            raise typer.Exit(2) from None
    if not logging.getLogger().handlers:  # as basicConfig: a host that set logging up keeps it
        try:
            logs.configure(level=settings.log_level)  # readable, or JSON with CRISISBOT_LOG_FORMAT=json
        except ValueError as exc:
            err().print(Text(str(exc), style="red"))
            raise typer.Exit(2) from None
    return settings


def _plan(settings: Settings) -> LoadedPlan:
    try:
        return container.plan_from(settings)
    except DataFileError as exc:
        count = len(exc.issues)
        err().print(
            Text(f"The crisis plan is not valid ({count} problem{'s' if count > 1 else ''}):", style="bold red")
        )
        err().print(Text(exc.render()))
        raise typer.Exit(2) from None


@app.command()
def console(
    plan: PlanOption = None,
    script: Annotated[
        Path | None, typer.Option("--script", help="Run the commands in this file, then exit ('-' for stdin).")
    ] = None,
    as_person: Annotated[str | None, typer.Option("--as", help="Act as this person of the plan.")] = None,
    unreachable: Annotated[
        list[str] | None,
        typer.Option("--unreachable", help="Simulate a person who cannot be invited (repeatable)."),
    ] = None,
) -> None:
    """Open the console workspace: the bot and a simulated chat workspace in your terminal."""
    from bot.adapters.console.app import ConsoleApp
    from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace

    settings = _settings(plan_path=plan)
    loaded = _plan(settings)
    lines: list[str] | None = None
    if script is not None:
        lines = _read_script(script)
    elif not sys.stdin.isatty():
        lines = sys.stdin.read().splitlines()

    async def run() -> None:
        missing = {pid: "account deactivated (simulated)" for pid in unreachable or []}
        workspace = ConsoleWorkspace(loaded.plan, out(), unreachable=missing)
        renderer, problems = container.frameworks_from(settings)
        if problems:
            err().print(Text(f"{len(problems)} message framework problem(s): run crisisbot check-plan", style="yellow"))
        async with container.storage(settings) as store:
            core = container.build_core(
                loaded, store.scoped("console"), ConsoleChat(workspace), renderer, replica=settings.replica_id
            )
            try:
                shell = ConsoleApp(core.service, workspace, as_person)
            except ValueError as exc:
                err().print(Text(str(exc), style="red"))
                raise typer.Exit(2) from None
            await shell.restore()
            if lines is not None:  # scripted: finish leftovers first, so output is in order
                await core.service.resume_unfinished()
                await shell.run_lines(lines)
                return
            async with container.background(core, interval=2.0):
                await shell.run_interactive()

    _run(run())


def _read_script(script: Path) -> list[str]:
    if str(script) == "-":
        return sys.stdin.read().splitlines()
    try:
        return script.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        err().print(Text(f"Cannot read the script {script}: {exc.strerror}", style="red"))
        raise typer.Exit(2) from None


@app.command("check-plan")
def check_plan(path: Annotated[Path | None, typer.Argument(help="Plan file to check.")] = None) -> None:
    """Validate a crisis plan and its playbooks, and print the chain of command."""
    settings = _settings(plan_path=path)
    loaded = _plan(settings)
    plan = loaded.plan
    out().print(Text(f"{loaded.path}: valid · {plan.company}", style="bold green"))
    renderer, problems = container.frameworks_from(settings)

    roles = Table(title="Chain of command (people in order: primary first)", title_justify="left")
    roles.add_column("Role")
    roles.add_column("People")
    for rid, role in plan.roles.items():
        names = ", ".join(plan.people[p].name for p in role_people(plan, rid))
        roles.add_row(f"{role.name} ({rid})" + (" · lead" if rid == plan.lead_role else ""), names)
    out().print(roles)

    levels = Table(title="Severities (worst first)", title_justify="left")
    for column in ("Severity", "Meaning", "Invited", "Paged"):
        levels.add_column(column)
    for sid in plan.severity_ids():
        level = plan.severities[sid]
        levels.add_row(
            f"{sid} {level.name}",
            level.description,
            ", ".join(plan.roles[r].name for r in level.invite),
            ", ".join(plan.roles[r].name for r in level.page),
        )
    out().print(levels)

    scenarios = Table(title="Scenarios at their usual severity", title_justify="left")
    for column in ("Scenario", "Also", "Severity", "War room", "Paged first", "Playbook"):
        scenarios.add_column(column)
    for sid, sc in plan.scenarios.items():
        roster = resolve(plan, sid, sc.default_severity)
        room = ", ".join(a.role_name for a in roster.assignments)
        paged = ", ".join(plan.people[p].name for p in roster.paged())
        scenarios.add_row(f"{sc.name} ({sid})", ", ".join(sc.aliases), sc.default_severity, room, paged, sc.playbook)
    out().print(scenarios)
    loaded_frameworks = ", ".join(sorted(renderer.frameworks())) or "none"
    out().print(Text(f"Message frameworks ({settings.frameworks_path}): {loaded_frameworks}"))
    out().print(Text(f"Listening sources: {', '.join(['generic', *sorted(loaded.sources)])}"))
    if problems:
        err().print(Text(f"{len(problems)} message framework problem(s); the others still work:", style="bold red"))
        err().print(Text("\n".join(p.render() for p in problems)))
        raise typer.Exit(2)


@app.command()
def serve(
    plan: PlanOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on (HTTP mode).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (HTTP mode).")] = None,
) -> None:
    """Run the bot for every configured platform, in one process on one port: Slack (SLACK_*:
    POST /slack/events, or Socket Mode if SLACK_APP_TOKEN is set) and Microsoft Teams (TEAMS_*:
    POST /api/messages); GET /healthz, /readyz; POST /intake/{source} takes mentions from
    listening tools."""
    settings = _settings(plan_path=plan, host=host, port=port)
    platforms = settings.platforms
    if not platforms:
        err().print(Text("crisisbot cannot start: no chat platform is configured.", style="bold red"))
        for name, problems in (("Slack", settings.slack_problems()), ("Teams", settings.teams_problems())):
            err().print(Text(f"For {name}:"))
            for problem in problems:
                err().print(Text(f"  - {problem}"))
        err().print(Text("To try crisisbot without either: crisisbot console"))
        raise typer.Exit(2)
    if "slack" in platforms:
        _refuse("Slack", settings.slack_problems())
    if "teams" in platforms:
        _refuse("Microsoft Teams", settings.teams_problems())
    _refuse("listening", settings.listening_problems())
    from bot.serving import NAMES, serve_platforms

    names = " and ".join(NAMES[p] for p in platforms)
    also = f"; listening alerts in {NAMES[settings.listening_on]}" if len(platforms) > 1 else ""
    err().print(Text(f"crisisbot serves {names} (set in the environment){also}"))
    loaded = _plan(settings)

    async def run() -> None:
        renderer, _ = container.frameworks_from(settings)
        async with container.storage(settings) as store:
            await serve_platforms(settings, loaded, renderer, store)

    try:
        _run(run())
    except KeyboardInterrupt:
        err().print("stopped")


def _refuse(platform: str, problems: list[str]) -> None:
    if problems:
        err().print(Text(f"crisisbot cannot start for {platform}:", style="bold red"))
        for problem in problems:
            err().print(Text(f"  - {problem}"))
        raise typer.Exit(2)


@app.command("teams-package")
def teams_package(
    output: Annotated[Path, typer.Option("--output", "-o", help="The zip to write.")] = Path("crisisbot-teams.zip"),
    app_id: Annotated[str | None, typer.Option(help="The Microsoft App ID (default: TEAMS_APP_ID).")] = None,
) -> None:
    """Build the Teams app package (manifest and icons) to upload in Teams or the Teams Admin Center."""
    import re

    from bot.adapters.teams.package import build_package

    chosen = (app_id or _settings().teams_app_id or "").strip()
    if not re.fullmatch(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", chosen):
        err().print(Text("Give the Microsoft App ID (a GUID): --app-id, or TEAMS_APP_ID.", style="red"))
        raise typer.Exit(2)
    build_package(chosen, output)
    err().print(Text(f"Wrote {output}: upload it in Teams (Apps > Manage your apps > Upload an app).", style="green"))


@app.command("export")
def export_crisis(
    crisis: Annotated[str, typer.Argument(help="The crisis, e.g. CRISIS-0007.")],
    fmt: Annotated[str, typer.Option("--format", help="md (Markdown) or json.")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead.")] = None,
) -> None:
    """Write the post-incident report of a crisis: key times, escalations, drafts, timeline, review."""
    from bot.core.commands import parse_crisis_ref
    from bot.core.listening.report import mentions_report
    from bot.core.model.clock import SystemClock
    from bot.core.reports import export

    if fmt not in ("md", "json"):
        err().print(Text("--format is md or json.", style="red"))
        raise typer.Exit(2)
    settings = _settings()
    loaded = _plan(settings)
    number = _crisis_number(crisis, parse_crisis_ref)

    async def run() -> None:
        async with container.storage(settings) as store:
            found = await store.crises.get(number)
            if found is None:
                err().print(Text(f"There is no crisis CRISIS-{number:04d} in {settings.db_url()}.", style="red"))
                raise typer.Exit(2)
            events, drafts = await store.crises.timeline(number), await store.drafts.drafts_of(number)
            now = SystemClock().now()
            mentions = await mentions_report(loaded.plan, store.mentions, store.alerts, found, now)
            text = export.render(loaded.plan, found, events, drafts, fmt, found.review, mentions)
            if output is None:
                sys.stdout.write(text)
            else:
                output.write_text(text, encoding="utf-8")
                err().print(Text(f"Wrote {output}", style="green"))

    _run(run())


@app.command()
def report(
    viewer: Annotated[
        str | None,
        typer.Option("--as", help="A person of the plan (id): include the restricted crises they may see."),
    ] = None,
    drills: Annotated[bool, typer.Option("--drills", help="Drill results over time, per scenario.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained page with charts to this file.")
    ] = None,
) -> None:
    """Across crises, per scenario and severity: count and median times to each milestone (real
    crises only; --drills shows the drills)."""
    from bot.core.model.clock import SystemClock
    from bot.core.model.crisis import Actor
    from bot.core.plan.access import Access
    from bot.core.reports.drills import DrillResult, drill_result, drills_markdown
    from bot.core.reports.figures import figures
    from bot.core.reports.html import page
    from bot.core.reports.report import report as build_report
    from bot.core.reports.report import report_markdown

    settings = _settings()
    loaded = _plan(settings)
    if viewer is not None and viewer not in loaded.plan.people:
        err().print(Text(f"--as names a person of the plan by id; {viewer!r} is not one.", style="red"))
        raise typer.Exit(2)
    access = Access(loaded.plan)
    actor = Actor(platform_id=viewer or "", name=viewer or "", person_id=viewer)

    async def run() -> None:
        now = SystemClock().now()
        async with container.storage(settings) as store:
            rows, real, results, left_out = [], [], [], 0
            for crisis in await store.crises.list_crises(limit=100_000):
                if access.restricted(crisis) and not (viewer and access.may_see(crisis, actor)):
                    left_out += 1  # even a count per scenario says too much about an HR case
                    continue
                number = crisis.number
                events, drafts = await store.crises.timeline(number), await store.drafts.drafts_of(number)
                if crisis.drill is not None:  # drills never count among real crises
                    injects = await store.drills.injects_of(number)
                    results.append(drill_result(crisis, events, drafts, injects, now))
                    continue
                rows.append((crisis, events, drafts))
                t = figures(crisis, events, drafts).times
                held = min((a for a in (t.first_approved_at, t.first_published_at) if a), default=None)
                real.append((crisis.scenario_id, crisis.key, t.declared_at, t.since_declared(held), t.to_first_ack))
            drill_results: list[DrillResult] = results
            if drills:
                sys.stdout.write(drills_markdown(loaded.plan, drill_results))
            else:
                sys.stdout.write(report_markdown(loaded.plan, build_report(rows)))
            if html is not None:
                html.write_text(page(loaded.plan, real, drill_results, now), encoding="utf-8")
                sys.stdout.write(f"\nWrote {html}\n")
            if left_out:
                sys.stdout.write(
                    f"\n{left_out} restricted crisis(es) left out: `crisisbot report --as <person id>` "
                    "includes those that person may see.\n"
                )

    _run(run())


drill_app = typer.Typer(help="Drills: a made-up crisis to rehearse (the scripts are in playbooks/drills/).")
app.add_typer(drill_app, name="drill")


@drill_app.command("run")
def drill_run(
    script: Annotated[str, typer.Argument(help="The script: its file name in playbooks/drills/, without .yaml.")],
    speed: Annotated[float, typer.Option("--speed", min=1, max=600, help="How much faster than real time.")] = 60,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Jump from one inject to the next instead of waiting for it.")
    ] = False,
) -> None:
    """Play a drill through with nobody answering, on a throwaway database: every inject as the
    team will see it, and the scorecard of a team that stays silent."""
    from bot.adapters.console.drill import run_drill

    settings = _settings()
    loaded = _plan(settings)
    if script not in loaded.drills:
        names = ", ".join(sorted(loaded.drills)) or "none (add one in playbooks/drills/)"
        err().print(Text(f"There is no drill script {script!r}. Scripts: {names}", style="red"))
        raise typer.Exit(2)
    renderer, _ = container.frameworks_from(settings)
    _run(run_drill(loaded, renderer, script, speed, not no_wait, out()))


intake_app = typer.Typer(help="Listening: mentions from listening tools (the sources are in playbooks/sources/).")
app.add_typer(intake_app, name="intake")


@intake_app.command("import")
def intake_import(
    file: Annotated[Path, typer.Argument(help="An export: .csv (a header row) or .jsonl (one mention per line).")],
    source: Annotated[str, typer.Option("--source", help="How its rows are shaped: generic, or a mapping's name.")],
) -> None:
    """Load an export of mentions into the evidence store (a backfill, or a drill's posts)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    from bot.core.listening.intake import MAX_BATCH, Intake
    from bot.core.model.clock import SystemClock
    from bot.core.model.mentions import IntakeRefused, Rejected
    from bot.intake_files import batches

    settings = _settings()
    loaded = _plan(settings)
    if not file.is_file():
        err().print(Text(f"There is no file {file}.", style="red"))
        raise typer.Exit(2)

    async def run() -> None:
        async with container.storage(settings) as store:
            intake = Intake(loaded.sources, store.mentions, SystemClock(), loaded.plan.monitoring)
            try:
                intake.source(source)
            except IntakeRefused as exc:
                err().print(Text(exc.message, style="red"))
                raise typer.Exit(2) from None
            accepted = duplicates = 0
            rejected: list[tuple[int, Rejected]] = []
            columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
            with Progress(*columns, console=err()) as bar:
                task = bar.add_task(f"Importing {file.name}", total=file.stat().st_size)
                for batch in batches(file, MAX_BATCH):
                    report = await intake.take_items(source, batch.items, from_text=batch.from_text)
                    accepted, duplicates = accepted + report.accepted, duplicates + report.duplicates
                    rejected += [(batch.lines[r.index], r) for r in report.rejected]
                    rejected += [(line, Rejected(0, "", "not a JSON object")) for line in batch.not_json]
                    bar.update(task, completed=batch.done_bytes)
            out().print(Text(f"{accepted} accepted, {duplicates} duplicates, {len(rejected)} rejected", style="bold"))
            for line, why in sorted(rejected, key=lambda r: r[0])[:20]:
                err().print(Text(f"  line {line}: {why.field or 'the row'}: {why.message}", style="red"))
            if len(rejected) > 20:
                err().print(Text(f"  ... and {len(rejected) - 20} more", style="red"))
            if rejected:
                raise typer.Exit(1)

    try:
        _run(run())
    except ValueError as exc:
        err().print(Text(str(exc), style="red"))
        raise typer.Exit(2) from None


def _crisis_number(text: str, parse: Callable[[str], int]) -> int:
    try:
        return parse(text)
    except CrisisError as exc:
        err().print(Text(str(exc), style="red"))
        raise typer.Exit(2) from None


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (run once per release on PostgreSQL)."""
    from bot.storage import migrate as migrations

    settings = _settings()
    url = settings.db_url()
    before = migrations.current(url)
    migrations.upgrade(url)
    out().print(Text(f"Database schema: {before or 'empty'} -> {migrations.current(url)}", style="green"))


@app.command()
def version() -> None:
    """Print the version."""
    out().print(__version__)


def _run(coro: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(coro)
    except container.StartupError as exc:
        err().print(Text(str(exc), style="red"))
        raise typer.Exit(2) from None


def main() -> None:
    app()
