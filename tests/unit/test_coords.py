"""Coordinate conversion against the reference pairs published in wandergis/coordtransform's
README (the de-facto test vectors of every implementation), at 天安门 (116.404 E, 39.915 N)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.grids.coords import from_wgs84, to_wgs84

TIANANMEN = {"lat": 39.915, "lng": 116.404}
# published: wgs84togcj02(116.404, 39.915) = (116.41024449916938, 39.91640428150164)
GCJ_OF_TIANANMEN = (39.91640428150164, 116.41024449916938)
# published: gcj02tobd09(116.404, 39.915) = (116.41036949371029, 39.92133699351021)
BD_OF_GCJ_TIANANMEN = (39.92133699351021, 116.41036949371029)
# published: bd09togcj02(116.404, 39.915) = (116.39762729119315, 39.90865673957631)
GCJ_OF_BD_TIANANMEN = (39.90865673957631, 116.39762729119315)

DEG_PER_METRE = 1 / 111_000


def test_wgs84_to_gcj02_matches_the_published_pair():
    assert from_wgs84(**TIANANMEN, system="gcj02") == pytest.approx(GCJ_OF_TIANANMEN, abs=1e-9)


def test_gcj02_back_to_wgs84_recovers_the_point_within_a_centimetre():
    lat, lng = GCJ_OF_TIANANMEN
    assert to_wgs84(lat=lat, lng=lng, system="gcj02") == pytest.approx(
        (39.915, 116.404), abs=0.01 * DEG_PER_METRE)


def test_bd09_to_wgs84_goes_through_the_published_gcj02_point():
    lat, lng = BD_OF_GCJ_TIANANMEN  # the BD-09 point whose GCJ-02 is (39.915, 116.404)
    wgs = to_wgs84(lat=lat, lng=lng, system="bd09")
    expected = to_wgs84(lat=39.915, lng=116.404, system="gcj02")
    assert wgs == pytest.approx(expected, abs=0.1 * DEG_PER_METRE)


def test_the_bd09_offset_of_the_published_pair_is_reproduced():
    # bd09 -> gcj02 of (39.915, 116.404) is published; going on to wgs84 and back to gcj02
    # must land on it, within the published closed form's own accuracy (~1e-7 deg, 5 cm).
    wgs_lat, wgs_lng = to_wgs84(**TIANANMEN, system="bd09")
    assert from_wgs84(lat=wgs_lat, lng=wgs_lng, system="gcj02") == pytest.approx(
        GCJ_OF_BD_TIANANMEN, abs=0.05 * DEG_PER_METRE)


def test_wgs84_passes_through_unchanged():
    assert to_wgs84(lat=36.9, lng=121.5, system="wgs84") == (36.9, 121.5)


def test_points_outside_china_are_not_shifted():
    assert to_wgs84(lat=51.5007, lng=-0.1246, system="gcj02") == (51.5007, -0.1246)
    assert from_wgs84(lat=51.5007, lng=-0.1246, system="bd09") == (51.5007, -0.1246)


@pytest.mark.parametrize("function", [to_wgs84, from_wgs84])
def test_an_unknown_system_is_an_error(function):
    with pytest.raises(ValueError):
        function(lat=36.9, lng=121.5, system="mars")


@given(lat=st.floats(18.0, 53.0), lng=st.floats(74.0, 134.0),
       system=st.sampled_from(["gcj02", "bd09"]))
def test_converting_there_and_back_stays_within_five_centimetres(lat, lng, system):
    shifted = from_wgs84(lat=lat, lng=lng, system=system)
    back = to_wgs84(lat=shifted[0], lng=shifted[1], system=system)
    assert back == pytest.approx((lat, lng), abs=0.05 * DEG_PER_METRE)
