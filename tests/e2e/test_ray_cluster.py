"""The Ray backend end to end: ray_cluster_journeys.py run inside a private network namespace, with the
job records in SQLite, then once with them in PostgreSQL.

Ray registers its nodes under the machine's own address even when told 127.0.0.1, and only loopback
traffic is allowed here, so the cluster, the two app servers and the browser all run inside
`unshare -n` with the loopback interface up (this needs root).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

E2E_DIRECTORY = Path(__file__).resolve().parent
REPOSITORY = E2E_DIRECTORY.parents[1]
JOURNEYS_TIMEOUT_SECONDS = 900


@pytest.mark.parametrize("jobs_backend", ["sqlite", "postgresql"])
def test_ray_cluster_journeys_in_a_private_network_namespace(jobs_backend):
    assert os.geteuid() == 0, "the Ray test needs root for `unshare -n` (a private network namespace)"
    command = [
        "unshare", "-n", "--", "sh", "-c",
        'ip link set lo up && exec "$0" -m pytest -q -s -x -p no:cacheprovider "$1"',
        sys.executable, str(E2E_DIRECTORY / "ray_cluster_journeys.py"),
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=REPOSITORY, capture_output=True, text=True, timeout=JOURNEYS_TIMEOUT_SECONDS,
        env=dict(
            os.environ,
            FASHION_IN_PRIVATE_NETWORK="1",
            RAY_USAGE_STATS_ENABLED="0",
            FASHION_TEST_JOBS_BACKEND=jobs_backend,
        ),
    )  # fmt: skip
    print(result.stdout[-6000:], result.stderr[-3000:], sep="\n")
    print(f"Ray journeys took {time.monotonic() - started:.0f} s")
    assert result.returncode == 0, "the Ray journeys failed (output above)"
