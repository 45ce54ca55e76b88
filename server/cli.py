"""The `gridhub` command: a Flask CLI group."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from server import create_app
from server.config import ConfigError


def _cli_admin():
    from server.auth.principals import Principal

    return Principal(kind="user", id="cli", name="命令行", roles=frozenset({"platform_admin"}))


def _create_app():
    try:
        return create_app()
    except ConfigError as exc:  # a bad setting: one clear line, no traceback
        raise click.ClickException(str(exc)) from exc


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def cli() -> None:
    """gridhub — grid-governance backend."""


cli.add_command(routes_command)
cli.add_command(shell_command)


@cli.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create every collection's indexes now (otherwise each is made on first use) and add the
    preset SLA profiles that are missing."""
    from server.auth.models import SigningKey, User
    from server.cases.attachments import Attachment
    from server.cases.models import Case
    from server.catalog import sla_presets
    from server.catalog.models import Category
    from server.catalog.sla_profiles import SlaProfile
    from server.grids.models import Department, Region
    from server.inbox.models import Device, Notification

    for document in (Case, Attachment, User, SigningKey, Region, Department, Category,
                     SlaProfile, Notification, Device):
        document.ensure_indexes()
        click.echo(f"indexes ready: {document._get_collection_name()}")
    click.echo(f"preset SLA profiles added: {sla_presets.install()}")


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
    from notifications.celery_app import bind

    bind(current_app._get_current_object()).worker_main(
        ["worker", "--loglevel=INFO", *celery_args])


@cli.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def beat_command(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat (run exactly one): the SLA sweep every minute."""
    from notifications.celery_app import bind

    bind(current_app._get_current_object()).start(["beat", "--loglevel=INFO", *celery_args])


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
    from server.catalog.calendar_views import DaySchema
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

    from server.auth import users
    from server.auth.user_schemas import UserCreateSchema
    from server.errors import GridhubError

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
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo county 乳山市 (371083) with its demo users."""
    from server.demo import DEMO_PASSWORD, seed_demo

    counts = seed_demo()
    click.echo("demo county loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    click.echo(f"demo users: platform admin dispatcher supervisor handler gridworker resident "
               f"(password: {DEMO_PASSWORD})")


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve the API; on the embedded database, seed the demo county first."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    if app.config["DB_EMBEDDED"]:
        from notifications import embedded
        from server.demo import DEMO_PASSWORD, seed_demo

        seed_demo()
        app.config["IDENTITY_PROVIDER"] = app.config["IDENTITY_PROVIDER"] or "dev"
        app.config["DEMO"] = True
        click.echo(f"embedded mode: demo county 乳山市 seeded; users platform, admin, dispatcher, "
                   f"supervisor, handler, gridworker, resident / {DEMO_PASSWORD}")
        embedded.start(app)
        click.echo("embedded Celery worker and beat running in this process (SLA sweep every "
                   f"{app.config['SLA_SWEEP_SECONDS']} s)")
    click.echo(f"gridhub API on http://{host}:{port}/api/v1  (docs: /api/docs, mini-app: /miniapp/)")
    run_simple(host, port, app, threaded=True, use_reloader=False)
