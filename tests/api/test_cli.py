"""The `gridhub` command."""

import os
import subprocess
import sys

from server.auth.models import User
from server.cli import cli
from server.grids.models import Region


def test_seed_demo_loads_the_demo_county_and_can_run_twice(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(cli, ["seed-demo"])
        assert result.exit_code == 0, result.output
    assert "demo county loaded" in result.output
    assert Region.objects(level="grid").count() == 8
    assert sorted(u.username for u in User.objects) == [
        "admin", "dispatcher", "gridworker", "handler", "resident", "supervisor"]


def test_an_invalid_environment_variable_stops_the_command_with_one_clear_line():
    env = {**os.environ, "GRIDHUB_ACCESS_TOKEN_TTL": "soon"}
    result = subprocess.run([sys.executable, "-c", "from server.cli import cli; cli()", "seed-demo"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "GRIDHUB_ACCESS_TOKEN_TTL='soon' is invalid" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_db_creates_the_indexes_every_list_filter_needs(app):
    from server.cases.models import Case

    result = app.test_cli_runner().invoke(cli, ["init-db"])
    assert result.exit_code == 0, result.output
    indexed = {key for info in Case._get_collection().index_information().values()
               for key, _ in info["key"]}
    assert {"status", "category", "priority", "source", "region_path", "grid", "department",
            "assignee", "reporter", "created_at", "code", "idempotency_key"} <= indexed
