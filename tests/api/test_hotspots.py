"""Hot spots (issue 19): cases per grid in a period as GeoJSON polygons, in the caller's scope."""

from __future__ import annotations

from server.cases.models import Case
from tests.clock import at
from tests.factories import insert_cases, staff_of

URL = "/api/v1/stats/hotspots"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
SECOND_GRID = ("371083", "371083001", "371083001001", "371083001001002")


def test_each_grid_with_cases_is_a_polygon_with_its_counts_busiest_first(demo, as_user):
    insert_cases(3, status="closed")
    insert_cases(2, status="dispatched")
    insert_cases(1, region_path=SECOND_GRID)
    answer = as_user("supervisor").get(URL, query_string=NOVEMBER).json
    assert answer["type"] == "FeatureCollection" and answer["max"] == 5
    first, second = answer["features"]
    assert first["properties"] == {"code": "371083001001001", "name": "胜利街第一网格",
                                   "count": 5, "open": 2}
    assert first["geometry"]["type"] == "Polygon" and second["properties"]["count"] == 1


def test_the_period_and_the_category_narrow_the_counts(demo, as_user):
    insert_cases(2)
    insert_cases(1, day=at(2026, 10, 15, 10))
    insert_cases(1, category="0201")
    answer = as_user("supervisor").get(URL, query_string={**NOVEMBER, "category": "01"}).json
    assert [f["properties"]["count"] for f in answer["features"]] == [2]


def test_cases_outside_every_grid_are_counted_apart(demo, as_user):
    insert_cases(2, region_path=("371083",))  # the county's default queue: no grid
    Case._get_collection().update_many({"grid": "371083"}, {"$set": {"grid": None}})
    answer = as_user("supervisor").get(URL, query_string=NOVEMBER).json
    assert answer["features"] == [] and answer["outside_grids"] == 2


def test_another_towns_supervisor_sees_none_of_them(demo, as_user):
    insert_cases(2)
    other = staff_of("371083002", "supervisor").username
    assert as_user(other).get(URL, query_string=NOVEMBER).json["features"] == []


def test_hot_spots_are_for_oversight_and_a_bad_period_is_422(demo, as_user):
    assert as_user("handler").get(URL, query_string=NOVEMBER).status_code == 403
    backwards = as_user("supervisor").get(URL, query_string={"from": "2026-11-30", "to": "2026-11-01"})
    assert backwards.status_code == 422 and backwards.json["errors"]["reason"] == "invalid_period"
