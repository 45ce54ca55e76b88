"""Push fixtures (a pytest plugin): the local fake FCM, and the app pointed at it.

firebase-admin runs its real code path: google-auth signs a JWT-bearer assertion with the
fake's generated service account and fetches an OAuth token from it, then `send_each` posts
FCM v1 messages to it."""

from __future__ import annotations

import pytest

from scripts.fake_fcm import FakeFcm
from server.auth.models import User
from server.inbox.models import Device


@pytest.fixture(scope="session")
def fake_fcm_server(tmp_path_factory):
    with FakeFcm() as fake:
        fake.credentials = fake.write_service_account(
            str(tmp_path_factory.mktemp("fcm") / "service-account.json"))
        yield fake


@pytest.fixture
def fake_fcm(fake_fcm_server):
    fake_fcm_server.reset()
    yield fake_fcm_server
    fake_fcm_server.reset()


@pytest.fixture
def push(app, fake_fcm):
    """Push enabled for this test, to the fake; the channels are rebuilt around it."""
    saved = {key: app.config[key] for key in ("FCM_CREDENTIALS", "FCM_ENDPOINT")}
    app.config.update(FCM_CREDENTIALS=fake_fcm.credentials, FCM_ENDPOINT=fake_fcm.url)
    app.extensions.pop("gridhub_channels", None)
    yield fake_fcm
    app.config.update(saved)
    app.extensions.pop("gridhub_channels", None)


@pytest.fixture
def device_of(demo):
    """Register a push device for a demo user; returns its token."""
    def device_of_(username: str, token: str | None = None, platform: str = "android") -> str:
        user = User.objects.get(username=username)
        token = token or f"{username}-device-{Device.objects.count():02d}-" + "x" * 24
        Device(user=str(user.id), platform=platform, token=token).save()
        return token
    return device_of_
