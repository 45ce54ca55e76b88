"""The `gridhub` command."""

import json
import os
import subprocess
import sys

from server.auth.models import User
from server.cases.models import Case
from server.cli import cli
from server.demo_cases import CASES
from server.grids.models import Region
from server.grids.regions import check_import, export_grids
from tests.conftest import token_for


def test_seed_demo_loads_the_demo_county_and_can_run_twice(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(cli, ["seed-demo"])
        assert result.exit_code == 0, result.output
    assert "demo county loaded" in result.output
    assert Region.objects(level="town").count() == 8
    assert Region.objects(level="grid").count() == 8 + 6 * 4 * 12
    assert all(len(r.layers) == 6 for r in Region.objects(level="grid"))
    assert sorted(u.username for u in User.objects) == [
        "admin", "dispatcher", "gridworker", "handler", "platform", "resident", "supervisor"]
    assert "cases_filed=0" in result.output and Case.objects.count() == len(CASES)  # once


def test_seed_demo_without_cases_files_none(app):
    result = app.test_cli_runner().invoke(cli, ["seed-demo", "--no-cases"])
    assert result.exit_code == 0, result.output
    assert Case.objects.count() == 0


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


def test_the_whole_demo_county_locates_in_its_generated_towns(app, client):
    app.test_cli_runner().invoke(cli, ["seed-demo"])
    token = token_for("dispatcher")
    body = client.get("/api/v1/grids/locate", query_string={"lat": 36.7625, "lng": 121.3025},
                      headers={"Authorization": f"Bearer {token}"}).json
    assert (body["town"]["name"], body["grid"]["code"]) == ("乳山口镇", "371083003001001")
    assert len(body["layers"]) == 6


def test_the_demo_grids_do_not_overlap(app):
    app.test_cli_runner().invoke(cli, ["seed-demo"])
    assert check_import(export_grids()).overlaps == []


def test_import_grids_imports_a_file_with_a_progress_bar(app, demo, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(export_grids()), encoding="utf-8")
    result = app.test_cli_runner().invoke(cli, ["import-grids", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 8 grid(s)" in result.output


def test_import_grids_refuses_a_file_with_a_bad_feature_and_names_it(app, demo, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "1", "name": "x"}, "geometry": None}]}))
    result = app.test_cli_runner().invoke(cli, ["import-grids", str(path)])
    assert result.exit_code != 0
    assert "feature 0" in result.output
    assert "nothing imported" in result.output


def test_import_grids_refuses_a_file_that_is_not_json(app, tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text("{nope")
    result = app.test_cli_runner().invoke(cli, ["import-grids", str(path)])
    assert result.exit_code != 0
    assert "cannot read" in result.output


def test_create_platform_admin_makes_the_first_account_of_an_installation(app):
    result = app.test_cli_runner().invoke(cli, ["create-platform-admin", "ops", "--name", "运维",
                                                "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="ops")
    assert (user.role, user.org, user.active) == ("platform_admin", None, True)


def test_create_platform_admin_refuses_a_short_password_and_a_taken_name(app, demo):
    runner = app.test_cli_runner()
    short = runner.invoke(cli, ["create-platform-admin", "ops", "--name", "运维", "--password", "short"])
    taken = runner.invoke(cli, ["create-platform-admin", "admin", "--name", "运维",
                                "--password", "long-enough-pw"])
    assert short.exit_code != 0 and "password" in short.output
    assert taken.exit_code != 0 and "用户名已存在" in taken.output


def test_every_stored_document_is_in_the_list_whose_indexes_init_db_creates(app):
    import importlib
    import pkgutil

    from mongoengine import Document

    import server
    from server.documents import DOCUMENTS

    for module in pkgutil.walk_packages(server.__path__, "server."):
        if module.name != "server.worker":  # an entry point: importing it builds an app
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {cls for cls in subclasses(Document) if cls.__module__.startswith("server.")}
    assert ours == set(DOCUMENTS)
    result = app.test_cli_runner().invoke(cli, ["init-db"])
    assert result.exit_code == 0, result.output
    assert result.output.count("indexes ready:") == len(DOCUMENTS) == 33


def test_every_task_beat_schedules_is_registered_with_the_apps_celery(app):
    celery = app.extensions["celery"]
    scheduled = {entry["task"] for entry in celery.conf.beat_schedule.values()}
    assert scheduled and scheduled <= set(celery.tasks)


def test_celerys_per_tick_chatter_is_kept_out_of_the_info_log(app):
    import logging

    from server import QUIET_LOGGERS

    assert all(logging.getLogger(name).getEffectiveLevel() == logging.WARNING
               for name in QUIET_LOGGERS)


def test_init_db_gives_cases_rated_dissatisfied_before_the_flag_existed_their_flags(demo, app):
    from server.cases import service
    from server.cases.models import Case
    from tests.factories import CaseFactory, principal_of

    rated, redone = (CaseFactory(reporter="resident", closed=True) for _ in range(2))
    for case in (rated, redone):
        service.apply_transition(principal=principal_of("resident"), case_id=case["id"],
                                 action="evaluate", payload={"rating": "dissatisfied"})
    service.apply_transition(principal=principal_of("supervisor"), case_id=redone["id"],
                             action="reopen", payload={"reason": "居民反映仍未解决"})
    Case.objects.update(unset__flags__dissatisfied=True, unset__flags__redone=True)  # as stored before
    result = app.test_cli_runner().invoke(cli, ["init-db"])
    assert "cases given their 不满意 flags: 2" in result.output
    flags = {case["id"]: Case.objects.get(id=case["id"]).flags for case in (rated, redone)}
    assert flags[rated["id"]].get("dissatisfied") and not flags[rated["id"]].get("redone")
    assert flags[redone["id"]]["dissatisfied"] and flags[redone["id"]]["redone"]
