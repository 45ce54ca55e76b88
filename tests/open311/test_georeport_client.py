"""The unmodified `georeport` client from PyPI against our /open311/v2, in JSON and XML, on a
county whose public view is open (it reads without an api_key)."""

from __future__ import annotations

import pytest
from georeport import GeoReport

from server.catalog.models import Category
from tests.factories import CaseFactory


@pytest.fixture
def public_county(app, demo):
    saved = app.config["OPEN311_PUBLIC_REGIONS"]
    app.config["OPEN311_PUBLIC_REGIONS"] = ["371083"]
    Category.objects(code="0102").update_one(set__public=True)
    from server.catalog.service import clear_cache

    clear_cache()
    yield
    app.config["OPEN311_PUBLIC_REGIONS"] = saved


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_services_and_requests(http_base, public_county, fmt):
    case = CaseFactory(accepted=True)
    client = GeoReport(f"{http_base}/open311/v2", output_format=fmt)
    services = client.get_service_list()
    assert "0102" in str(services)
    definition = client.get_service_definition("0401")
    assert "area_m2" in str(definition)
    requests = client.get_service_requests(service_code="0102", status="open")
    assert case["code"] in str(requests)
    one = client.get_service_request(case["code"])
    assert case["code"] in str(one) and "路边堆放暴露垃圾" not in str(one)  # the public view


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_a_request_posted_with_a_photo(http_base, public_county, key, fmt):
    import io

    import requests
    from PIL import Image

    from tests.cases import IN_GRID

    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 60)).save(photo, "JPEG")
    posted = requests.post(f"{http_base}/open311/v2/requests.json", data={
        "api_key": key, "service_code": "0102", "lat": IN_GRID["lat"], "long": IN_GRID["lng"],
        "description": "小区门口垃圾堆积"}, files={"media": ("scene.jpg", photo.getvalue(), "image/jpeg")},
        timeout=30)
    assert posted.status_code == 201, posted.text
    code = posted.json()[0]["service_request_id"]
    client = GeoReport(f"{http_base}/open311/v2", output_format=fmt)
    one = client.get_service_request(code)
    assert one["service_request_id"] == code and one["service_code"] == "0102"
    assert code in str(client.get_service_requests(service_code="0102"))
