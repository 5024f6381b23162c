"""A throwaway PostgreSQL cluster for the tests (tests/postgres) and `bench/run.py postgres`:
initdb in a temporary folder, the server on a free loopback port (its socket in that folder
too), stopped and deleted at the end.

The server programs are found on PATH or in /usr/lib/postgresql/*/bin. As root the cluster runs
as the `postgres` user (the server refuses to run as root), in a folder that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PROGRAMS = ("initdb", "pg_ctl", "postgres")
OPT_OUT = "EVENT_EXPLORER_NO_POSTGRES"
"""Set to 1 to run the tests without a PostgreSQL server: its tests are then skipped, saying so."""


class ServerUnavailableError(RuntimeError):
    """No PostgreSQL server could be started for the tests."""


def find_programs() -> Path:
    """The folder with initdb, pg_ctl and postgres: PATH's, or the newest Debian install's."""
    on_path = shutil.which("initdb")
    folders = [Path(on_path).parent] if on_path else []
    folders += [Path(found) for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                                key=_major, reverse=True)]
    for folder in folders:
        if all((folder / program).exists() for program in PROGRAMS):
            return folder
    raise ServerUnavailableError(
        "No PostgreSQL server programs (initdb, pg_ctl, postgres) on PATH or in "
        f"/usr/lib/postgresql/*/bin. Install the server (Debian: apt-get install postgresql), "
        f"or set {OPT_OUT}=1 to run without the PostgreSQL tests.")


def _major(folder: str) -> int:
    version = Path(folder).parent.name
    return int(version) if version.isdigit() else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One cluster: `start()`, then `url(...)` for its databases, and `stop()`."""

    superuser = "postgres"
    password_user = "secretive"
    """The one role that must give a password (SCRAM); every other connects trusted."""

    def __init__(self) -> None:
        self.bin = find_programs()
        self.folder = Path(tempfile.mkdtemp(prefix="event-explorer-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *arguments: str) -> None:
        done = subprocess.run([*self._as_user, *arguments], capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            raise ServerUnavailableError(
                f"{Path(arguments[0]).name} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-2000:]}")

    def start(self) -> PostgresServer:
        """Make the cluster and start its server; if that fails, nothing is left behind."""
        try:
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.superuser,
                      "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
            hba = self.data / "pg_hba.conf"  # (owned by the server's user; we are it, or root)
            hba.write_text(f"host all {self.password_user} 127.0.0.1/32 scram-sha-256\n"
                           + hba.read_text())
            self._start_server()
        except ServerUnavailableError as error:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self.stop()
            raise ServerUnavailableError(f"{error}\n{tail}".strip()) from None
        except BaseException:
            self.stop()
            raise
        return self

    def _start_server(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=100")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.folder / "server.log"), "-w", "-t", "60", "-o", options, "start")

    def pause(self) -> None:
        """Stop the server (its clients' connections end), keeping its data: as a restart or a
        crash of a real one does. `resume()` starts it again on the same port."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._start_server()

    def url(self, database: str = "postgres", *, user: str | None = None,
            password: str | None = None, schema: str | None = None) -> str:
        who = user or self.superuser
        if password is not None:
            who += f":{password}"
        query = f"?schema={schema}" if schema else ""
        return f"postgresql://{who}@127.0.0.1:{self.port}/{database}{query}"

    def cpu_seconds(self) -> float:
        """The CPU time of the cluster's server processes so far: the postmaster's own and
        its reaped children's, and each living child's (all of it, when nothing else uses the
        cluster, the work it was given). The postmaster is read before and after its children,
        again until the two agree: a child reaped between would be in neither."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        while True:
            before = _clock_ticks(postmaster, reaped=True)
            children = 0
            for stat in Path("/proc").glob("[0-9]*/stat"):
                fields = _stat_fields(stat)
                if fields is not None and int(fields[1]) == postmaster:
                    children += int(fields[11]) + int(fields[12])
            if _clock_ticks(postmaster, reaped=True) == before:
                return (before + children) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self._as_user, str(self.bin / "pg_ctl"), "-D", str(self.data),
                            "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60,
                           check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _stat_fields(stat: Path) -> list[str] | None:
    """The fields of a /proc/PID/stat after the command's name (None if the process is gone)."""
    try:
        text = stat.read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _clock_ticks(pid: int, *, reaped: bool = False) -> int:
    """A process's CPU time in clock ticks (with `reaped`, its reaped children's too)."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    if fields is None:
        return 0
    return sum(int(value) for value in fields[11:15 if reaped else 13])
