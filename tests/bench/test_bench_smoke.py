"""Each benchmark of scripts/bench runs to its end at tiny sizes (no figure is asserted), so
that none breaks unnoticed between two measurements (issue 16: `make bench` had stopped at
request 31 on the report rate limit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clock import clock_free

ROOT = Path(__file__).resolve().parents[2]

SMOKE = {
    "intake.py": ["--requests", "3", "--rounds", "1"],
    "locate.py": ["--grids", "100", "--lookups", "200", "--brute-lookups", "10"],
    "sla.py": ["--deadlines", "200", "--baseline", "5", "--cases", "200"],
    "fanout.py": ["--pushes", "20", "--alerts", "2", "--rtt-pushes", "10"],
    "detections.py": ["--minutes", "0.1", "--rate", "300", "--devices", "3"],
    "patrol_points.py": ["--batches", "2", "--size", "20", "--rounds", "1"],
    "worker_stats.py": ["--workers", "3", "--days", "5", "--rounds", "1"],
    "load.py": ["--rates", "4", "--seconds", "1", "--workers", "2", "--threads", "2",
                "--clients", "4"],
}


@pytest.mark.parametrize("script", sorted(SMOKE))
def test_the_benchmark_runs_to_its_end(script, database_uri, tmp_path):
    # Clock-free: the scripts do not read the test's clock, and must exit cleanly.
    env = clock_free({**os.environ, "MONGODB_URI": database_uri, "PYTHONPATH": str(ROOT)})
    finished = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench" / script),
                               *SMOKE[script]], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-4000:]
    assert finished.stdout.strip()  # it printed its figures
