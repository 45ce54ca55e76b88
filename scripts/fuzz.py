"""Fuzz every operation of the API with schemathesis, as each demo role and anonymously: valid
and invalid input generated from /api/v1/openapi.json; a failure is a 5xx or an answer outside
the schema documented for its status (or of the wrong content type). The test suite runs a
short, derandomized pass (tests/fuzz); this script runs long with fresh randomness:

    python scripts/fuzz.py [--examples 100] [--roles admin,dispatcher,...] [--derandomize]

It runs in-process on the embedded database (or MONGODB_URI) seeded with the demo county and
prints, per role, operations, calls and failures, then each failure in full.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@dataclass
class Outcome:
    operation: str
    calls: int
    failure: str | None


def fuzz(app: Flask, headers: dict[str, str], *, examples: int,
         derandomize: bool = True) -> Iterator[Outcome]:
    """Run each operation `examples` times in each generation mode; yield one outcome each."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        calls = 0

        def run(case) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        strategy = (operation.as_strategy(GenerationMode.POSITIVE)
                    | operation.as_strategy(GenerationMode.NEGATIVE))
        test = settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
                        suppress_health_check=list(HealthCheck), print_blob=False)(given(case=strategy)(run))
        try:
            test()
        except (Exception, BaseExceptionGroup) as exc:  # every failure is reported, the run goes on
            yield Outcome(operation.label, calls, f"{type(exc).__name__}: {str(exc)[:2000]}")
        else:
            yield Outcome(operation.label, calls, None)


ROLES = ["admin", "dispatcher", "supervisor", "handler", "gridworker", "resident", "anonymous"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="per operation, role and mode")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--derandomize", action="store_true",
                        help="fixed inputs, as the suite (default: random)")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    logging.disable(logging.WARNING)  # the API logs every refused request
    from server import Config, create_app
    from server.auth.models import User
    from server.auth.principals import user_claims
    from server.auth.tokens import issue_access_token
    from server.demo import seed_demo

    app = create_app(Config, {"RATE_LIMITS_ENABLED": False, "MONGODB_DB": "gridhub_fuzz"})
    failures: list[Outcome] = []
    with app.app_context():
        seed_demo(whole_county=False)
        print(f"{'role':<11} {'operations':>10} {'calls':>7} {'failures':>8} {'seconds':>8}")
        for role in args.roles.split(","):
            headers = {}
            if role != "anonymous":
                user = User.objects.get(username=role)
                token = issue_access_token(subject=f"user:{user.id}", claims=user_claims(user))[0]
                headers = {"Authorization": f"Bearer {token}"}
            started = time.monotonic()
            outcomes = list(fuzz(app, headers, examples=args.examples,
                                 derandomize=args.derandomize))
            bad = [o for o in outcomes if o.failure]
            failures += bad
            print(f"{role:<11} {len(outcomes):>10} {sum(o.calls for o in outcomes):>7} {len(bad):>8} "
                  f"{time.monotonic() - started:>8.1f}", flush=True)
    for outcome in failures:
        print(f"\n== {outcome.operation}\n{outcome.failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
