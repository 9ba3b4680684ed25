"""``python -m tests.bench.alerts_alone``: only the alert ingest part of ``make bench``, with the
GitHub ingest floor it is measured against, run the same way (same servers, same report lines)."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tests.bench.alerts import alerts_report, measure_alerts
from tests.bench.report import Series, progress
from tests.bench.rounds import Bench
from tests.bench.run import config_from
from tests.bench.servers import BenchError
from tests.emulators import SlackEmulator
from tests.fixtures import FIXTURES
from tests.redis_server import redis_server


def main(argv: Sequence[str] | None = None) -> int:
    config = config_from(argv)
    try:
        with redis_server() as redis_url, SlackEmulator() as slack_api, tempfile.TemporaryDirectory() as tmp:
            bench = Bench(redis_url, slack_api.url + "/api/", Path(tmp), FIXTURES, config)
            try:
                print("GitHub webhook ingest floor", flush=True)
                floors = []
                for n in range(1, config.rounds + 1):
                    floors.append(bench.github("floor"))
                    print(progress("github", floors[-1], n), flush=True)
                print("Alertmanager webhook ingest", flush=True)
                alerts = measure_alerts(bench, redis_url, slack_api)
            finally:
                bench.close()
    except BenchError as exc:
        print(f"opsbot bench: BROKEN: {exc}", file=sys.stderr)
        return 2
    print(alerts_report(alerts, Series(floors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
