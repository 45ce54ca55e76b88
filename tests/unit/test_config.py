"""Settings from the environment are parsed strictly."""

import pytest

from server.config import ConfigError, from_env


def test_recognised_variables_are_parsed():
    settings = from_env({"MONGODB_URI": "mongodb://db:27017/?replicaSet=rs0",
                         "GRIDHUB_ACCESS_TOKEN_TTL": "600", "GRIDHUB_DEMO": "yes"})
    assert settings == {"MONGODB_URI": "mongodb://db:27017/?replicaSet=rs0",
                        "ACCESS_TOKEN_TTL": 600, "DEMO": True}


def test_empty_variables_are_ignored():
    assert from_env({"MONGODB_URI": ""}) == {}


@pytest.mark.parametrize(("variable", "value"), [
    ("MONGODB_URI", "postgres://x"),
    ("GRIDHUB_ACCESS_TOKEN_TTL", "15min"),
    ("GRIDHUB_JWT_ALGORITHM", "HS256"),
    ("GRIDHUB_DEMO", "maybe"),
    ("GRIDHUB_MINIAPP_DIR", "/no/such/folder"),
    ("GRIDHUB_MINIAPP_REGION", "37108"),
    ("GRIDHUB_MINIAPP_REGION", "３７１０８３"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        from_env({variable: value})


def test_the_upload_limit_also_sets_the_request_body_limit():
    settings = from_env({"GRIDHUB_MAX_UPLOAD_BYTES": "1000"})
    assert settings["MAX_CONTENT_LENGTH"] > 1000
