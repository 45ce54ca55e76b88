"""The region tree (admin) and grid GeoJSON import/export."""

import copy

import pytest

from server.grids.models import Region

COMMUNITY = "371083001002"  # 府前路社区 of the demo


def square(west, south, size=0.005):
    return {"type": "Polygon", "coordinates": [[[west, south], [west + size, south],
                                                [west + size, south + size],
                                                [west, south + size], [west, south]]]}


def feature(code, geometry, name="新网格"):
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


GOOD = [feature(f"{COMMUNITY}{i:03d}", square(121.56 + i * 0.005, 36.90)) for i in (3, 4, 5)]


def test_an_admin_adds_a_community_under_its_town(as_user):
    response = as_user("admin").post("/api/v1/regions",
                                     json={"code": "371083001003", "name": "新城社区"})
    assert response.status_code == 201
    assert response.json["level"] == "community"
    assert response.json["path"] == ["371083", "371083001", "371083001003"]


@pytest.mark.parametrize(("body", "status", "reason"), [
    ({"code": "3710830", "name": "x"}, 422, "validation_error"),
    ({"code": "37108300100a", "name": "x"}, 422, "validation_error"),
    ({"code": "371083009001", "name": "无上级"}, 422, "unknown_parent"),
    ({"code": "371083001001", "name": "重复"}, 409, "duplicate"),
    ({"code": "371083001003", "name": ""}, 422, "validation_error"),
    ({"code": "371083001003", "name": "x", "geometry": {"type": "Point"}}, 422,
     "invalid_geometry"),
])
def test_a_bad_node_is_refused_and_nothing_is_written(as_user, body, status, reason):
    before = Region.objects.count()
    response = as_user("admin").post("/api/v1/regions", json=body)
    assert (response.status_code, response.json["errors"]["reason"]) == (status, reason)
    assert Region.objects.count() == before


@pytest.mark.parametrize("username", ["dispatcher", "supervisor", "gridworker", "resident"])
def test_only_an_admin_changes_the_tree(as_user, username):
    response = as_user(username).post("/api/v1/regions",
                                      json={"code": "371083001003", "name": "新城社区"})
    assert response.status_code == 403


def test_a_node_is_renamed(as_user):
    response = as_user("admin").patch("/api/v1/regions/371083001001", json={"name": "胜利社区"})
    assert response.json["name"] == "胜利社区"


def test_retiring_a_node_with_open_cases_is_409_with_the_count(as_user, report):
    report()
    report()
    response = as_user("admin").post("/api/v1/regions/371083001001/retire")
    assert response.status_code == 409
    assert response.json["errors"]["open_cases"] == 2
    assert not Region.objects.get(code="371083001001").retired


def test_retiring_a_node_retires_its_subtree_and_its_grids_stop_locating(as_user):
    assert as_user("admin").post("/api/v1/regions/371083001002/retire").json["retired"]
    assert Region.objects(path="371083001002", retired=False).count() == 0
    response = as_user("gridworker").get("/api/v1/grids/locate",
                                         query_string={"lat": 36.915, "lng": 121.545})
    assert response.json["errors"]["reason"] == "outside_grids"


def test_the_tree_lists_children_of_a_node(as_user):
    body = as_user("dispatcher").get("/api/v1/regions?parent=371083001").json
    assert [r["code"] for r in body] == ["371083001001", "371083001002"]


def test_a_valid_file_is_imported_and_its_grids_locate(as_user):
    response = as_user("admin").post("/api/v1/grids/import", json=collection(*GOOD))
    assert response.json == {"imported": 3, "overlaps": []}
    located = as_user("gridworker").get("/api/v1/grids/locate",
                                        query_string={"lat": 36.9025, "lng": 121.5775}).json
    assert located["grid"]["code"] == f"{COMMUNITY}003"


def test_a_file_with_three_broken_features_is_refused_whole_naming_the_three(as_user):
    open_ring = copy.deepcopy(square(121.60, 36.90))
    open_ring["coordinates"][0].pop()
    bowtie = {"type": "Polygon", "coordinates": [[[121.61, 36.90], [121.62, 36.91],
                                                  [121.62, 36.90], [121.61, 36.91],
                                                  [121.61, 36.90]]]}
    broken = [feature(f"{COMMUNITY}006", open_ring), feature(f"{COMMUNITY}007", bowtie),
              feature("371083009001001", square(121.63, 36.90))]
    before = Region.objects.count()
    response = as_user("admin").post("/api/v1/grids/import",
                                     json=collection(GOOD[0], broken[0], GOOD[1], broken[1],
                                                     broken[2], GOOD[2]))
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "invalid_features"
    refused = response.json["errors"]["features"]
    assert [(f["index"], f["code"]) for f in refused] == [
        (1, f"{COMMUNITY}006"), (3, f"{COMMUNITY}007"), (4, "371083009001001")]
    assert all(f["reason"] for f in refused)
    assert Region.objects.count() == before


@pytest.mark.parametrize("bad", [
    feature("12345", square(121.6, 36.9)),
    feature(f"{COMMUNITY}008", {"type": "Point", "coordinates": [121.6, 36.9]}),
    feature(f"{COMMUNITY}008", {"type": "Polygon", "coordinates": "nonsense"}),
    feature(f"{COMMUNITY}008", square(200, 36.9)),
    feature(f"{COMMUNITY}008", {"type": "Polygon", "coordinates": []}),
    {"type": "Feature", "properties": None, "geometry": square(121.6, 36.9)},
    "not a feature",
])
def test_each_kind_of_broken_feature_is_named(as_user, bad):
    response = as_user("admin").post("/api/v1/grids/import", json=collection(bad))
    assert response.status_code == 422
    assert response.json["errors"]["features"][0]["index"] == 0


def test_a_repeated_code_in_one_file_is_refused(as_user):
    response = as_user("admin").post("/api/v1/grids/import", json=collection(GOOD[0], GOOD[0]))
    assert response.json["errors"]["features"][0]["index"] == 1


def test_overlapping_grids_are_reported(as_user):
    overlapping = feature(f"{COMMUNITY}009", square(121.5425, 36.9025))  # inside 府前路第二网格
    response = as_user("admin").post("/api/v1/grids/import", json=collection(overlapping))
    assert response.status_code == 200
    assert response.json["overlaps"][0]["codes"] == [f"{COMMUNITY}009", "371083001002002"]


def test_a_body_that_is_not_a_feature_collection_is_422(as_user):
    response = as_user("admin").post("/api/v1/grids/import", json={"type": "Feature"})
    assert response.status_code == 422


def test_the_export_round_trips_through_the_import(as_user):
    admin = as_user("admin")
    exported = admin.get("/api/v1/grids?format=geojson").json
    assert len(exported["features"]) == 8
    assert admin.post("/api/v1/grids/import", json=exported).json == {"imported": 8,
                                                                       "overlaps": []}


def test_a_grid_outside_its_communitys_area_is_refused(as_user):
    admin = as_user("admin")
    admin.patch(f"/api/v1/regions/{COMMUNITY}", json={"geometry": square(121.54, 36.90, 0.02)})
    inside = feature(f"{COMMUNITY}003", square(121.55, 36.905))
    outside = feature(f"{COMMUNITY}004", square(121.60, 36.905))
    response = admin.post("/api/v1/grids/import", json=collection(inside, outside))
    assert [f["index"] for f in response.json["errors"]["features"]] == [1]
    assert "超出上级社区" in response.json["errors"]["features"][0]["reason"]


def test_an_import_interrupted_half_way_leaves_no_grid_of_it(app, demo, monkeypatch):
    from server.grids import regions

    many = [feature(f"{COMMUNITY}{i:03d}", square(121.56 + i * 0.002, 36.95, 0.001))
            for i in range(10, 22)]
    checked = regions.check_import(collection(*many))
    assert not checked.errors
    monkeypatch.setattr(regions, "IMPORT_BATCH", 5)
    written = []

    def interrupt(count):  # the process dies after two batches were sent to the database
        written.append(count)
        if len(written) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        regions.write_grids(checked, progress=interrupt)
    assert written == [5, 5]
    assert not Region.objects(code__in=[f["properties"]["code"] for f in many]).count()


def test_a_case_names_its_grid_community_town_and_department(case_in, as_user):
    case = case_in("dispatched")
    answer = as_user("dispatcher").get(f"/api/v1/cases/{case['id']}").json
    places = answer["places"]
    assert places["grid"] == {"code": answer["grid"], "name": "胜利街第一网格"}
    assert [places[level]["code"] for level in ("county", "town", "community")] == answer["region_path"][:3]
    assert all(places[level]["name"] != places[level]["code"] for level in ("county", "town", "community"))
    assert answer["department_name"] and answer["department_name"] != answer["department"]
    assert answer["source_label"] == "网格员上报"


def test_a_renamed_grid_shows_its_new_name_at_once(case_in, as_user):
    case = case_in("reported")
    as_user("dispatcher").get(f"/api/v1/cases/{case['id']}")  # the names are cached now
    renamed = as_user("admin").patch(f"/api/v1/regions/{case['grid']}", json={"name": "胜利街北网格"})
    assert renamed.status_code == 200
    answer = as_user("dispatcher").get(f"/api/v1/cases/{case['id']}").json
    assert answer["places"]["grid"]["name"] == "胜利街北网格"


def test_the_grids_of_one_community_are_exported_with_their_names(as_user):
    everything = as_user("gridworker").get("/api/v1/grids").json["features"]
    one = as_user("gridworker").get("/api/v1/grids", query_string={"region": "371083001001"}).json
    assert 0 < len(one["features"]) < len(everything)
    assert {f["properties"]["code"][:12] for f in one["features"]} == {"371083001001"}
    assert all(f["properties"]["name"] for f in one["features"])


def test_a_malformed_region_filter_on_the_grids_is_422(as_user):
    response = as_user("gridworker").get("/api/v1/grids", query_string={"region": "37x"})
    assert response.status_code == 422 and "region" in str(response.json["errors"])
