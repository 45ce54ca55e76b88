"""Patrol tracks (workflows/patrol_track.py, pure): flags, figures and simplification."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.clock import at
from workflows.patrol_track import Figures, Fix, assess, distance_m, simplify

T0 = at(2026, 11, 23, 9, 0)
OWN = frozenset({"G1", "G2"})


def fix(minutes, lng=121.5, lat=36.9, grid="G1", accuracy=10.0):
    return Fix(T0 + timedelta(minutes=minutes), lng, lat, accuracy, grid)


def test_the_geodesic_distance_of_a_hundredth_of_a_degree_north_is_about_1_1_km():
    assert distance_m(fix(0), fix(1, lat=36.91)) == pytest.approx(1109.6, abs=0.5)


def test_counted_fixes_add_distance_time_and_grids_in_time_order():
    batch = [fix(2, lat=36.902, grid="G2"), fix(1, lat=36.901), fix(0)]
    assessed, figures, tail = assess(batch, None, own=OWN, now=T0 + timedelta(hours=1))
    assert [flags for _, flags in assessed] == [(), (), ()]
    assert figures.distance_m == pytest.approx(222.0, abs=1.0)
    assert figures.moving_s == 120 and figures.inside_m == figures.distance_m
    assert figures.grids == {"G1", "G2"} and tail == batch[0]


def test_a_segment_leaving_the_own_grids_counts_as_distance_but_not_inside():
    _, figures, _ = assess([fix(1, lat=36.901, grid="X9")], fix(0), own=OWN, now=T0 + timedelta(hours=1))
    assert figures.distance_m > 100 and figures.inside_m == 0 and figures.inside_s == 0


def test_a_fix_outside_every_grid_is_counted_without_a_grid():
    _, figures, _ = assess([fix(1, lat=36.901, grid=None)], fix(0), own=OWN, now=T0 + timedelta(hours=1))
    assert figures.grids == set() and figures.distance_m > 100


@pytest.mark.parametrize(("late", "flags"), [
    (fix(-1), ("out_of_order",)),
    (fix(0), ("out_of_order",)),
    (fix(90), ("future",)),
    (fix(1, accuracy=400), ("inaccurate",)),
    (fix(1, lat=37.0), ("too_fast",)),  # 11 km in a minute
])
def test_an_untrustworthy_fix_is_kept_with_its_flag_and_not_counted(late, flags):
    assessed, figures, tail = assess([late], fix(0), own=OWN, now=T0 + timedelta(minutes=5))
    assert assessed == [(late, flags)]
    assert figures == Figures() and tail == fix(0)


def test_a_fix_without_an_accuracy_is_trusted():
    assessed, _, _ = assess([fix(1, accuracy=None)], fix(0), own=OWN, now=T0 + timedelta(hours=1))
    assert assessed[0][1] == ()


def test_figures_add_up():
    total = Figures(10, 5, 60, 30, {"G1"}).add(Figures(1, 0, 6, 0, {"G2"}))
    assert total == Figures(11, 5, 66, 30, {"G1", "G2"})


def test_simplification_keeps_the_corners_and_drops_the_points_on_a_straight_line():
    line = [(121.5 + i * 0.0001, 36.9) for i in range(10)] + [(121.5009, 36.9 + i * 0.0001)
                                                               for i in range(1, 10)]
    assert simplify(line) == [line[0], (121.5009, 36.9), line[-1]]


def test_simplification_keeps_a_short_track_and_a_loop_back_to_the_start():
    assert simplify([(121.5, 36.9), (121.6, 36.9)]) == [(121.5, 36.9), (121.6, 36.9)]
    loop = [(121.5, 36.9), (121.501, 36.9), (121.501, 36.901), (121.5, 36.9)]
    assert simplify(loop) == [(121.5, 36.9), (121.501, 36.9), (121.501, 36.901), (121.5, 36.9)]
