"""A throwaway PostgreSQL server for tests, from Debian's ``postgresql`` package binaries.

``find_bindir()`` locates ``initdb``/``pg_ctl`` (``pg_config --bindir``, then
``/usr/lib/postgresql/*/bin``, then PATH). :class:`PostgresServer` makes a cluster in a
fresh temporary folder (trust auth, listening on 127.0.0.1 only, its unix socket inside
that folder), starts it on a free TCP port, waits until it accepts connections and
stops it with ``pg_ctl stop -m fast``. PostgreSQL refuses to run as root, so as root
every server command runs as the ``postgres`` system user (``runuser``, else ``su``)
and the folder is handed to that user.

:func:`load_frames` copies DataFrames into typed tables (text, timestamp, double
precision, bigint, boolean) with psycopg's COPY.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd

SERVER_USER = "postgres"  # the system user that runs the server when the tests run as root
SUPERUSER = "postgres"  # the database superuser initdb creates (trust auth: no password)


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (or a user to run them as) are not on this machine."""


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when the server is not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:  # libpq-dev's pg_config names the server's bindir even when only the client is installed
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted((Path(p) for p in versions), key=lambda p: _version_key(p.parent.name), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, on 127.0.0.1:``port``."""

    def __init__(self, bindir: Path | None = None, database: str = "revops") -> None:
        found = bindir or find_bindir()
        if found is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries (initdb, pg_ctl) not found via pg_config --bindir, "
                "/usr/lib/postgresql/*/bin or PATH (apt-get install -y postgresql)"
            )
        self.bindir = found
        self.database = database
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, and there is no {SERVER_USER!r} system user to run PostgreSQL as "
                    "(Debian's postgresql package creates it)"
                ) from None
        self.root: Path | None = None
        self.port: int | None = None
        self._running = False

    # paths inside the temporary folder
    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root / "socket"

    @property
    def log_file(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    def url(self, password: str | None = None, driver: str = "postgresql+psycopg") -> str:
        """The SQLAlchemy URL of the test database (trust auth accepts any password)."""
        assert self.port is not None, "server not started"
        auth = SUPERUSER if password is None else f"{SUPERUSER}:{password}"
        return f"{driver}://{auth}@127.0.0.1:{self.port}/{self.database}"

    def conninfo(self, database: str | None = None) -> str:
        """A libpq connection string for psycopg."""
        assert self.port is not None, "server not started"
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database or self.database}"

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a server binary, as the ``postgres`` user when we are root."""
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            if shutil.which("runuser"):
                command = ["runuser", "-u", SERVER_USER, "--", *command]
            else:
                command = ["su", SERVER_USER, "-s", "/bin/sh", "-c", shlex.join(command)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        return subprocess.run(
            command, cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def start(self, attempts: int = 3) -> PostgresServer:
        """initdb, start on a free port (retrying if the port was taken meanwhile), create the database."""
        self.root = Path(tempfile.mkdtemp(prefix="revops-pg-"))  # short: unix socket paths max ~100 chars
        self.socket_dir.mkdir()
        if self.as_root:
            entry = pwd.getpwnam(SERVER_USER)
            for path in (self.root, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        atexit.register(self.stop)
        init = self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        if init.returncode != 0:
            self.stop()
            raise RuntimeError(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        last = ""
        for _ in range(attempts):
            self.port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.socket_dir} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            started = self._run(
                [
                    "pg_ctl",
                    "start",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                ]
            )
            if started.returncode == 0:
                self._running = True
                break
            last = f"{started.stdout}\n{started.stderr}\n{self._log_tail()}"
        else:
            self.stop()
            raise RuntimeError(f"pg_ctl start failed {attempts} times; last:\n{last}")
        self._wait_ready()
        import psycopg

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{self.database}"')
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        """Poll until a TCP connection to 127.0.0.1:port is accepted and answers a query."""
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.conninfo("postgres"), connect_timeout=2) as con:
                    con.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL on 127.0.0.1:{self.port} did not accept connections: {exc}\n"
                        f"{self._log_tail()}"
                    ) from None
                time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder; safe to call twice."""
        if self._running:
            self._running = False
            result = self._run(["pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60"])
            if result.returncode != 0:  # last resort: immediate shutdown, so no server outlives the tests
                self._run(["pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"])
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        atexit.unregister(self.stop)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_postgres(database: str = "revops") -> Iterator[PostgresServer]:
    """``with running_postgres() as server: server.url()`` — started, then stopped and deleted."""
    server = PostgresServer(database=database)
    with server:
        yield server


# --- loading DataFrames ------------------------------------------------------------------------


def column_type(series: pd.Series) -> str:
    """The PostgreSQL type of a DataFrame column: typed, never text for a date, number or flag."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamptz" if getattr(dtype, "tz", None) is not None else "timestamp"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return "text"
    raise TypeError(f"column {series.name!r}: no PostgreSQL type for dtype {dtype}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(frame: pd.DataFrame) -> Iterator[tuple]:
    """Rows of plain Python values (None for NaN/NaT/NA): what psycopg adapts."""
    columns = []
    for name in frame.columns:
        col = frame[name]
        values = col.astype(object).where(col.notna(), None).tolist()
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            values = [None if v is None else v.to_pydatetime() for v in values]
        elif pd.api.types.is_integer_dtype(col.dtype):
            values = [None if v is None else int(v) for v in values]
        elif pd.api.types.is_float_dtype(col.dtype):
            values = [None if v is None else float(v) for v in values]
        elif pd.api.types.is_bool_dtype(col.dtype):
            values = [None if v is None else bool(v) for v in values]
        columns.append(values)
    return zip(*columns, strict=True)


def load_frames(conninfo: str, frames: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """Create one typed table per frame (replacing it) and COPY its rows in; returns name -> column types."""
    import psycopg

    schema: dict[str, dict[str, str]] = {}
    with psycopg.connect(conninfo) as con, con.cursor() as cur:
        for name, frame in frames.items():
            types = {str(c): column_type(frame[c]) for c in frame.columns}
            columns = ", ".join(f"{_quote(c)} {t}" for c, t in types.items())
            cur.execute(f"DROP TABLE IF EXISTS {_quote(name)}")
            cur.execute(f"CREATE TABLE {_quote(name)} ({columns})")
            names = ", ".join(_quote(c) for c in types)
            with cur.copy(f"COPY {_quote(name)} ({names}) FROM STDIN") as copy:
                for row in _rows(frame):
                    copy.write_row(row)
            schema[name] = types
        con.commit()
    return schema
