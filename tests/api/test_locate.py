"""GET /grids/locate and coordinate systems on report."""

import pytest

from server.grids.coords import from_wgs84

INSIDE = (36.915, 121.525)  # 胜利街第一网格 371083001001001
SEA = (36.7, 121.7)  # the Yellow Sea off 乳山
COLLAPSE = {"attributes": {"area_m2": 2.5, "traffic": "partial"}}


def test_a_point_inside_a_demo_grid_locates_to_it_with_its_nodes_and_worker(as_user):
    body = as_user("dispatcher").get(
        "/api/v1/grids/locate", query_string={"lat": INSIDE[0], "lng": INSIDE[1]}).json
    assert body["grid"] == {"code": "371083001001001", "name": "胜利街第一网格"}
    assert body["community"]["code"] == "371083001001"
    assert body["town"] == {"code": "371083001", "name": "城区街道"}
    assert body["county"] == {"code": "371083", "name": "乳山市"}
    assert [w["name"] for w in body["grid_workers"]] == ["胜利街网格员"]


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_a_point_given_in_a_chinese_map_system_locates_to_the_same_grid(as_user, system):
    lat, lng = from_wgs84(lat=INSIDE[0], lng=INSIDE[1], system=system)
    body = as_user("gridworker").get(
        "/api/v1/grids/locate",
        query_string={"lat": lat, "lng": lng, "coord_system": system}).json
    assert body["grid"]["code"] == "371083001001001"
    assert body["location"] == pytest.approx({"lat": INSIDE[0], "lng": INSIDE[1]}, abs=1e-7)


def test_near_a_grid_edge_the_same_numbers_read_as_wgs84_land_in_the_next_grid(as_user):
    # 121.528 E is 200 m inside grid 001; GCJ-02 shifts it ~440 m east, past the edge at 121.53.
    lat, lng = from_wgs84(lat=36.915, lng=121.528, system="gcj02")
    client = as_user("gridworker")
    as_gcj = client.get("/api/v1/grids/locate",
                        query_string={"lat": lat, "lng": lng, "coord_system": "gcj02"}).json
    as_wgs = client.get("/api/v1/grids/locate", query_string={"lat": lat, "lng": lng}).json
    assert (as_gcj["grid"]["code"], as_wgs["grid"]["code"]) == ("371083001001001",
                                                                  "371083001001002")


def test_a_point_in_the_sea_is_422_outside_grids(as_user):
    response = as_user("gridworker").get("/api/v1/grids/locate",
                                         query_string={"lat": SEA[0], "lng": SEA[1]})
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "outside_grids"


@pytest.mark.parametrize("query", [{"lat": 91, "lng": 121}, {"lat": "x", "lng": 121},
                                   {"lng": 121}, {"lat": 36, "lng": 121, "coord_system": "utm"}])
def test_a_bad_locate_query_is_422(as_user, query):
    response = as_user("gridworker").get("/api/v1/grids/locate", query_string=query)
    assert response.status_code == 422


def test_locating_needs_a_token(anonymous):
    response = anonymous.get("/api/v1/grids/locate", query_string={"lat": 36.9, "lng": 121.5})
    assert response.status_code == 401


def test_a_report_in_gcj02_is_stored_in_wgs84_in_its_grid(report):
    lat, lng = from_wgs84(lat=INSIDE[0], lng=INSIDE[1], system="gcj02")
    case = report(location={"lat": lat, "lng": lng, "coord_system": "gcj02"})
    assert case["grid"] == "371083001001001"
    assert case["location"] == pytest.approx({"lat": INSIDE[0], "lng": INSIDE[1]}, abs=1e-7)


def test_locate_lists_the_responsible_people_by_domain(as_user):
    body = as_user("dispatcher").get(
        "/api/v1/grids/locate", query_string={"lat": INSIDE[0], "lng": INSIDE[1]}).json
    by_domain = {layer["domain"]: layer for layer in body["layers"]}
    assert by_domain["城管"]["department"] == {"code": "371083-cgj", "name": "乳山市城市管理局"}
    assert [w["name"] for w in by_domain["城管"]["grid_workers"]] == ["胜利街网格员"]


def test_a_report_is_routed_to_the_grids_worker_and_its_domains_department(report, as_user):
    worker_id = as_user("gridworker").get("/api/v1/me").json["id"]
    noise = report("resident", category="9001", attributes={"period": "night"})  # 生态环境
    assert (noise["responsible_worker"], noise["suggested_department"]) == (
        worker_id, "371083-sthjj")
    collapse = report("resident", category="0401", **COLLAPSE)  # 路面塌陷: 住建
    assert collapse["suggested_department"] == "371083-zjj"


def test_without_a_layer_the_category_default_department_is_suggested(report, as_user):
    as_user("admin").put("/api/v1/regions/371083001001001/layers", json={"layers": []})
    case = report("resident", category="0401", **COLLAPSE)
    assert (case["responsible_worker"], case["suggested_department"]) == (None, "371083-zjj")


def test_layers_are_set_by_an_admin_and_validated(as_user):
    admin = as_user("admin")
    ok = admin.put("/api/v1/regions/371083001001002/layers",
                   json={"layers": [{"domain": "城管", "department": "371083-cgj"}]})
    assert ok.status_code == 200
    assert ok.json["layers"] == [{"domain": "城管", "grid_workers": [],
                                  "department": "371083-cgj"}]
    for body, reason in [
        ({"layers": [{"domain": "城管"}, {"domain": "城管"}]}, "duplicate_domain"),
        ({"layers": [{"domain": "城管", "department": "nope-x"}]}, "unknown_department"),
        ({"layers": [{"domain": "城管", "grid_workers": ["0123456789abcdef01234567"]}]},
         "unknown_grid_workers"),
    ]:
        response = admin.put("/api/v1/regions/371083001001002/layers", json=body)
        assert response.json["errors"]["reason"] == reason
    assert admin.put("/api/v1/regions/371083001/layers",
                     json={"layers": []}).json["errors"]["reason"] == "not_a_grid"
    assert as_user("dispatcher").put("/api/v1/regions/371083001001002/layers",
                                     json={"layers": []}).status_code == 403


COUNTY_AREA = {"type": "Polygon", "coordinates": [[[121.45, 36.85], [121.65, 36.85],
                                                   [121.65, 36.98], [121.45, 36.98],
                                                   [121.45, 36.85]]]}
BETWEEN_GRIDS = {"lat": 36.95, "lng": 121.60}  # inside 乳山's area, outside every demo grid


@pytest.fixture
def default_queue(as_user):
    response = as_user("admin").patch("/api/v1/regions/371083",
                                      json={"geometry": COUNTY_AREA, "default_queue": True})
    assert response.json["default_queue"] is True


def test_without_a_default_queue_a_point_between_grids_is_refused(report, as_user):
    response = as_user("gridworker").post("/api/v1/cases", json={
        "category": "0102", "description": "x", "location": BETWEEN_GRIDS})
    assert response.json["errors"]["reason"] == "outside_grids"


def test_the_county_default_queue_takes_a_report_outside_every_grid_and_flags_it(
        default_queue, report, as_user):
    case = report("resident", location=BETWEEN_GRIDS)
    assert (case["grid"], case["region_path"], case["outside_grids"]) == (None, ["371083"], True)
    assert case["suggested_department"] == "371083-cgj"
    listed = [c["id"] for c in as_user("dispatcher").get("/api/v1/cases").json]
    assert case["id"] in listed


def test_locate_names_the_county_queue_outside_every_grid(default_queue, as_user):
    body = as_user("gridworker").get("/api/v1/grids/locate", query_string=BETWEEN_GRIDS).json
    assert (body["grid"], body["county"]["code"], body["default_queue"]) == (
        None, "371083", True)


def test_the_default_queue_ends_at_the_county_boundary(default_queue, as_user):
    response = as_user("gridworker").get("/api/v1/grids/locate",
                                         query_string={"lat": SEA[0], "lng": SEA[1]})
    assert response.json["errors"]["reason"] == "outside_grids"


def test_only_a_county_takes_a_default_queue(as_user):
    response = as_user("admin").patch("/api/v1/regions/371083001",
                                      json={"default_queue": True})
    assert response.json["errors"]["reason"] == "not_a_county"
