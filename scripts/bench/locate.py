"""Point-in-grid lookups per second: `GridIndex` (STRtree) against a brute-force loop.

10,000 square grid polygons (100 × 100, 0.01° each, around 乳山) are stored as grid regions
in the embedded database; `GridIndex.locate` loads them the way the API does. The brute force
tests the same polygons one after another until one contains the point.

    python scripts/bench/locate.py [--grids 10000] [--lookups 20000]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import sys
import time

import shapely
from shapely.geometry import shape

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from scripts.bench.common import database  # noqa: E402
from server import Config, create_app  # noqa: E402
from server.grids.models import Region  # noqa: E402
from server.grids.service import GridIndex, bump_grids_stamp  # noqa: E402

WEST, SOUTH, SIZE = 121.0, 36.5, 0.01


def grid_regions(count: int) -> list[dict]:
    side = int(count ** 0.5)
    docs = []
    for i in range(count):
        west, south = WEST + (i % side) * SIZE, SOUTH + (i // side) * SIZE
        code = f"371083{1 + i // 1000:03d}{1 + (i // 100) % 10:03d}{1 + i % 100:03d}"
        ring = [[west, south], [west + SIZE, south], [west + SIZE, south + SIZE],
                [west, south + SIZE], [west, south]]
        docs.append({"_id": code, "name": f"网格{i}", "level": "grid", "parent": code[:12],
                     "path": [code[:6], code[:9], code[:12], code],
                     "geometry": {"type": "Polygon", "coordinates": [ring]},
                     "retired": False})
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--brute-lookups", type=int, default=500)
    args = parser.parse_args()

    with database() as (uri, backend):
        print(f"database: {backend}")
        run(uri, args)


def run(uri: str, args) -> None:
    app = create_app(Config, {"MONGODB_URI": uri, "MONGODB_DB": "gridhub_bench_locate"})
    logging.getLogger().setLevel(logging.ERROR)
    with app.app_context():
        Region.drop_collection()
        docs = grid_regions(args.grids)
        Region._get_collection().insert_many(docs)
        bump_grids_stamp()
        side = int(args.grids ** 0.5)
        rng = random.Random(42)
        points = [(WEST + rng.random() * side * SIZE, SOUTH + rng.random() * side * SIZE)
                  for _ in range(args.lookups)]

        index = GridIndex()
        start = time.perf_counter()
        index.locate(*points[0])  # builds the tree from the database
        build = time.perf_counter() - start
        start = time.perf_counter()
        found = sum(index.locate(lng, lat) is not None for lng, lat in points)
        indexed = args.lookups / (time.perf_counter() - start)

        polygons = [(doc["_id"], shape(doc["geometry"])) for doc in docs]
        brute_points = points[:args.brute_lookups]
        start = time.perf_counter()
        for lng, lat in brute_points:
            next((code for code, poly in polygons if shapely.contains_xy(poly, lng, lat)), None)
        brute = len(brute_points) / (time.perf_counter() - start)
        Region.drop_collection()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, shapely {shapely.__version__}")
    print(f"{args.grids} grid polygons; index built in {build * 1000:.0f} ms "
          f"(load from the database + STRtree)")
    print(f"GridIndex.locate: {indexed:,.0f} lookups/s ({found}/{args.lookups} found)")
    print(f"brute force:      {brute:,.0f} lookups/s ({len(brute_points)} lookups)")
    print(f"ratio:            {indexed / brute:,.0f}x")


if __name__ == "__main__":
    main()
