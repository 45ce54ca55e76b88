"""The `gridhub` command: a Flask CLI group."""

from __future__ import annotations

import atexit
import os
import signal
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, pass_script_info, routes_command, shell_command, with_appcontext

from server import create_app
from server.config import ConfigError, from_env
from server.extensions.dbserver import DatabaseServer, DatabaseServerError

# The embedded database of this command (MONGODB_URI unset): started when the app is first
# needed, stopped when the command ends. `gridhub run --fresh` empties it first.
_embedded: dict = {"server": None, "fresh": False}


def _cli_admin():
    from server.auth.principals import Principal

    return Principal(kind="user", id="cli", name="命令行", roles=frozenset({"platform_admin"}))


def data_dir() -> Path:
    return Path(os.environ.get("GRIDHUB_DATA_DIR") or "var")


def _db_port() -> int:
    value = os.environ.get("GRIDHUB_DB_PORT") or "0"
    if not value.isdigit() or int(value) > 65535:
        raise click.ClickException(f"GRIDHUB_DB_PORT: expected a port number (0: any free port), "
                                   f"got {value!r}")
    return int(value)


def _start_embedded() -> str:
    server = DatabaseServer(data_dir(), port=_db_port())
    server.start(fresh=_embedded["fresh"])
    _embedded["server"] = server
    atexit.register(server.stop)
    return server.uri


def _create_app():
    try:
        if os.environ.get("MONGODB_URI"):
            return create_app()
        from_env()  # a bad setting stops us before a database server is started
        return create_app(override={"MONGODB_URI": _start_embedded(), "DB_EMBEDDED": True})
    except (ConfigError, DatabaseServerError) as exc:  # one clear line, no traceback
        raise click.ClickException(str(exc)) from exc


class Group(FlaskGroup):
    def list_commands(self, ctx):
        """Our commands only: `gridhub --help` must not start a database to list plugins'."""
        return click.Group.list_commands(self, ctx)


@click.group(cls=Group, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def cli() -> None:
    """gridhub — grid-governance backend.

    Without MONGODB_URI every command works on the embedded database: a SecantusDB server
    started for the command with its data in GRIDHUB_DATA_DIR (default ./var/).
    """


cli.add_command(routes_command)
cli.add_command(shell_command)


@cli.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create every collection's indexes now (otherwise each is made on first use), add the
    preset SLA profiles that are missing and make the first token-signing key."""
    from server.auth.tokens import ensure_signing_key
    from server.catalog import sla_presets
    from server.documents import backfill_case_scope, backfill_dissatisfied_flags, ensure_indexes

    for name in ensure_indexes():
        click.echo(f"indexes ready: {name}")
    click.echo(f"cases given their scope keys: {backfill_case_scope()}")
    click.echo(f"cases given their 不满意 flags: {backfill_dissatisfied_flags()}")
    click.echo(f"preset SLA profiles added: {sla_presets.install()}")
    click.echo(f"token-signing key: {ensure_signing_key()}")


@cli.group("keys")
def keys_group() -> None:
    """Our token-signing keys (private halves are never shown)."""


@keys_group.command("rotate")
@with_appcontext
def keys_rotate_command() -> None:
    """Start signing with a new key; the old ones stay published until their tokens expire."""
    from server.auth.tokens import KeysFromFiles, rotate

    try:
        key = rotate(current_app.config["JWT_ALGORITHM"])
    except KeysFromFiles as exc:
        raise click.ClickException(str(exc)) from exc
    current_app.extensions["gridhub_keyring"].clear()
    click.echo(f"new signing key {key.kid} ({key.alg}); API processes switch within a minute")


@keys_group.command("list")
@with_appcontext
def keys_list_command() -> None:
    """kid, algorithm, state (active / published / expired), created and retired times."""
    from server.auth.tokens import key_states

    for key in key_states():
        retired = f"  retired {key['retired_at']:%Y-%m-%d %H:%M}" if key["retired_at"] else ""
        created = f"created {key['created_at']:%Y-%m-%d %H:%M}" if key["created_at"] else "from file"
        click.echo(f"{key['kid']}  {key['alg']}  {key['state']:<9}  {created}{retired}")


@cli.command("worker", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def worker_command(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (notifications, SLA sweep); extra arguments go to Celery."""
    current_app.extensions["celery"].worker_main(["worker", "--loglevel=INFO", *celery_args])


@cli.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def beat_command(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat (run exactly one): the SLA sweep every minute."""
    current_app.extensions["celery"].start(["beat", "--loglevel=INFO", *celery_args])


@cli.command("import-grids")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_grids_command(path: str) -> None:
    """Import grid polygons from a GeoJSON FeatureCollection, all or nothing."""
    import json

    from server.grids import regions

    try:
        with open(path, encoding="utf-8") as handle:
            collection = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
    checked = regions.check_import(collection)
    if checked.errors:
        for error in checked.errors:
            click.echo(f"feature {error['index']} ({error.get('code')}): {error['reason']}",
                       err=True)
        raise click.ClickException(f"{len(checked.errors)} bad feature(s): nothing imported")
    with click.progressbar(length=len(checked.grids), label="importing grids") as bar:
        regions.write_grids(checked, progress=bar.update)
    for overlap in checked.overlaps:
        click.echo(f"overlap: {overlap['codes'][0]} and {overlap['codes'][1]}")
    click.echo(f"imported {len(checked.grids)} grid(s)")


@cli.command("load-calendar")
@click.argument("region")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, help="replace that year's days with the file's")
@with_appcontext
def load_calendar_command(region: str, path: str, year: int | None) -> None:
    """Load a county's days (e.g. a State Council holiday notice) from a JSON list of
    {"date": "YYYY-MM-DD", "workday": true|false, "note": "…"}."""
    import json

    from marshmallow import ValidationError

    from server.catalog import calendars
    from server.catalog.schemas import DaySchema
    from server.errors import GridhubError

    try:
        with open(path, encoding="utf-8") as handle:
            days = DaySchema(many=True).load(json.load(handle))
        result = calendars.set_days(principal=_cli_admin(), region=region, days=days,
                                    replace_year=year)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError,
            GridhubError) as exc:
        raise click.ClickException(f"{path}: {getattr(exc, 'message', exc)}") from exc
    click.echo(f"{region}: {len(result['days'])} day(s) of its own")


@cli.command("create-platform-admin")
@click.argument("username")
@click.option("--name", required=True, help="the person's name, as staff see it")
@click.password_option(envvar="GRIDHUB_NEW_ADMIN_PASSWORD",
                       help="at least 10 characters (prompted twice when not given)")
@with_appcontext
def create_platform_admin_command(username: str, name: str, password: str) -> None:
    """Create a platform admin (every county, sister apps, the catalogue) — the first account
    of a new installation; county admins and staff are then created through the API."""
    from marshmallow import ValidationError

    from server.errors import GridhubError
    from server.organisation import service as users
    from server.organisation.schemas import UserCreateSchema

    try:
        data = UserCreateSchema().load({"username": username, "name": name, "password": password,
                                        "role": "platform_admin"})
        user = users.create_user(principal=_cli_admin(), data=data)
    except ValidationError as exc:
        raise click.ClickException(f"invalid: {exc.messages}") from exc
    except GridhubError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"platform admin {user.username} created")


@cli.command("seed-demo")
@click.option("--cases/--no-cases", default=True, show_default=True,
              help="also file the demo's cases (every state and SLA light) and the grid "
                   "worker's last week of patrols, check-ins, logs and visits, once")
@with_appcontext
def seed_demo_command(cases: bool) -> None:
    """Load the demo county 乳山市 (371083) with its demo users (and its cases)."""
    from server.demo import DEMO_PASSWORD, seed_demo
    from server.demo_cases import seed_demo_cases

    counts = seed_demo()
    if cases:
        from server.demo_patrols import seed_demo_week

        counts["cases_filed"] = seed_demo_cases()
        counts.update({f"week_{k}": v for k, v in seed_demo_week().items()})
    click.echo("demo county loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    click.echo(f"demo users: platform admin dispatcher supervisor handler gridworker resident "
               f"(password: {DEMO_PASSWORD})")


def _stop_on_sigterm() -> None:
    """SIGTERM (a supervisor, `kill`) unwinds like Ctrl-C, so the database server is stopped
    cleanly instead of being left running."""
    def handler(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


@cli.command("run", with_appcontext=False)  # the app is loaded after --fresh is known
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--fresh", is_flag=True,
              help="empty the embedded database first (the demo county is loaded again)")
@pass_script_info
def run_command(info, host: str, port: int, fresh: bool) -> None:
    """Serve the API. Without MONGODB_URI: start the embedded database (data kept in
    GRIDHUB_DATA_DIR, default ./var/), load the demo county on its first start, and run the
    Celery worker and beat in this process."""
    from werkzeug.serving import run_simple

    if fresh and os.environ.get("MONGODB_URI"):
        raise click.ClickException("--fresh empties the embedded database only; MONGODB_URI is set")
    _embedded["fresh"] = fresh
    app = info.load_app()
    try:
        with app.app_context():
            if app.config["DB_EMBEDDED"]:
                _embedded_demo(app)
        _stop_on_sigterm()  # after the embedded Celery worker, which sets its own handlers
        click.echo(f"gridhub API on http://{host}:{port}/api/v1  "
                   "(docs: /api/docs, mini-app: /miniapp/)")
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if _embedded["server"] is not None:
            _embedded["server"].stop()
            click.echo("embedded database stopped")


def _embedded_demo(app) -> None:
    from notifications import embedded
    from server.demo import DEMO_PASSWORD, demo_loaded, seed_demo
    from server.demo_cases import seed_demo_cases

    folder = _embedded["server"].folder
    if demo_loaded():
        click.echo(f"embedded database in {folder} (kept across restarts; "
                   "`gridhub run --fresh` starts it empty)")
    else:
        from server.demo_patrols import seed_demo_week

        seed_demo()
        cases = seed_demo_cases()
        week = seed_demo_week()
        click.echo(f"embedded database in {folder}: demo county 乳山市 loaded "
                   f"with {cases} open and closed cases and the grid worker's last week "
                   f"({week.get('patrols', 0)} patrols)")
    app.config["IDENTITY_PROVIDER"] = app.config["IDENTITY_PROVIDER"] or "dev"
    app.config["DEMO"] = True
    click.echo(f"demo users platform, admin, dispatcher, supervisor, handler, gridworker, "
               f"resident / {DEMO_PASSWORD}")
    embedded.start(app)
    click.echo("embedded Celery worker and beat running in this process (SLA sweep every "
               f"{app.config['SLA_SWEEP_SECONDS']} s)")
