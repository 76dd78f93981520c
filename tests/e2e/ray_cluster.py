"""A local Ray cluster on loopback for the tests: a head and a second node, one CPU each, as child processes
(the head may also report a GPU: Ray only counts it, so a job asking for one is placed there).

Only for use inside a private network namespace (`unshare -n`, loopback up): Ray registers its
nodes under the machine's own address otherwise. Usage statistics stay disabled.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

try:
    from harness import REPOSITORY, free_port
    from waiting import wait_for
except ModuleNotFoundError:  # imported as tests.e2e.ray_cluster by bench/, run from the repository root
    from tests.e2e.harness import REPOSITORY, free_port
    from tests.waiting import wait_for

NODE_START_TIMEOUT_SECONDS = 120


class RayNode:
    """`ray start --block` in its own process group; kill() ends the node and its workers at once."""

    def __init__(self, arguments: list[str], log_path: Path):
        environment = dict(
            os.environ,
            RAY_USAGE_STATS_ENABLED="0",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
            TF_CPP_MIN_LOG_LEVEL="3",
        )
        self.log_path = log_path
        command = [
            "ray",
            "start",
            "--block",
            "--num-cpus=1",
            "--disable-usage-stats",
            "--node-ip-address=127.0.0.1",
            "--object-store-memory=100000000",
            *arguments,
        ]
        self.process = subprocess.Popen(
            command,
            env=environment,
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the node's whole process group (raylet, workers and all)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


class RayCluster:
    """A head node and a second node on 127.0.0.1; head_gpus GPUs on the head, as Ray's resource count."""

    def __init__(self, log_directory: Path, nodes: int = 2, head_gpus: int = 0):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log_directory = log_directory
        self.head = RayNode(
            ["--head", f"--port={self.port}", "--include-dashboard=false", f"--num-gpus={head_gpus}"],
            log_directory / "ray-head.log",
        )
        self.wait_for_nodes(1)
        self.worker = None
        if nodes > 1:
            self.add_worker()

    def add_worker(self) -> None:
        """Start the second node and wait until it has joined."""
        self.worker = RayNode([f"--address={self.address}"], self.log_directory / "ray-node.log")
        self.wait_for_nodes(2)

    def wait_for_nodes(self, count: int) -> None:
        """Wait until the newest node says "Ray runtime started." (it has joined the cluster)."""
        node = self.worker if count > 1 else self.head

        def started() -> bool:
            if "Ray runtime started." in node.log_path.read_text(errors="replace"):
                return True
            if node.process.poll() is not None:
                raise RuntimeError(f"Ray node {count} ended before it started; see {node.log_path}")
            return False

        wait_for(started, f"Ray node {count} to start; see {node.log_path}", NODE_START_TIMEOUT_SECONDS, 0.25)

    def stop(self) -> None:
        """End both nodes (the second first)."""
        if self.worker is not None:
            self.worker.kill()
        self.head.kill()

    def head_node_id(self) -> str:
        """The Ray node id of the head node."""
        script = (
            f"import ray; ray.init(address='{self.address}', log_to_driver=False);"
            "print(next(node['NodeID'] for node in ray.nodes()"
            " if 'node:__internal_head__' in node['Resources']))"
        )
        return subprocess.run(
            ["python3", "-c", script], capture_output=True, text=True, check=True
        ).stdout.strip()
