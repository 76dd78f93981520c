"""A throwaway PostgreSQL server for the tests: Debian's `postgresql` (scripts/install.sh installs it),
initdb in a temporary folder, listening only on a Unix socket in that folder, stopped after the session.

PostgreSQL refuses to run as root, so under root the server runs as the `postgres` user the package
creates. Each test that asks for `postgres_url` gets an empty database of its own on that server.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

POSTGRES_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
START_TIMEOUT_SECONDS = 60


def server_binaries() -> Path:
    """The newest installed PostgreSQL's bin folder; a clear failure when the package is missing."""
    found = sorted(POSTGRES_ROOT.glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name))
    if not found:
        raise RuntimeError(
            f"PostgreSQL is not installed (no initdb under {POSTGRES_ROOT}); run scripts/install.sh "
            "(Debian's `postgresql` package)"
        )
    return found[-1].parent


class PostgresServer:
    """One cluster in its own folder, on a Unix socket there; stop() and start() restart it."""

    def __init__(self):
        self.binaries = server_binaries()
        # Short and outside pytest's root-only temporary folders, so the server's user can reach it
        self.directory = Path(tempfile.mkdtemp(prefix="fashion-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.directory, SERVER_USER, SERVER_USER)
        self.as_server_user(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        self.start()
        self.database_numbers = itertools.count(1)

    def as_server_user(self, program: str, *arguments: str) -> None:
        """Run a PostgreSQL program as the server's user (directly when not root)."""
        command = [str(self.binaries / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=START_TIMEOUT_SECONDS)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-k {self.directory} -c listen_addresses='' -c fsync=off -c max_connections=200"
        self.as_server_user(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
            "-t", str(START_TIMEOUT_SECONDS), "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server at once (clients are disconnected), and wait until it is down."""
        self.as_server_user("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        """The postgresql:// address of one database on this server, over its Unix socket."""
        return f"postgresql://postgres@/{database}?host={self.directory}"

    def new_database(self) -> str:
        """Create an empty database; its address."""
        import psycopg

        name = f"jobs_{next(self.database_numbers)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def remove(self) -> None:
        """Stop the server (if it runs) and delete its folder."""
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the whole test session."""
    server = PostgresServer()
    yield server
    server.remove()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """An empty database of this test's own on the session's server (started again if a test stopped it)."""
    if subprocess.run(
        [str(postgres_server.binaries / "pg_isready"), "-h", str(postgres_server.directory)],
        capture_output=True,
    ).returncode != 0:
        postgres_server.start()
    return postgres_server.new_database()
