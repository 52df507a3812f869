"""SQLite storage for the emulator: JSON documents keyed by (kind, id), plus the request log and settings.

The emulator's resources have shapes that change with the API, so they are stored as JSON documents rather than
columns; the few relations the handlers query by (a branch's agent, a run's invocation) sit in the indexed `owner`
column. One connection per app, serialised by a lock: SQLite allows one writer at a time anyway, and holding the
lock for a whole handler makes every read-modify-write (a PATCH's deep merge) atomic, so concurrent clients
never lose a write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    owner TEXT,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS objects_owner ON objects (kind, owner, seq);
CREATE INDEX IF NOT EXISTS objects_seq ON objects (kind, seq);
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    status INTEGER NOT NULL,
    duration_ms REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

Doc = dict[str, Any]

# Request-log entries kept (older ones are pruned as new ones arrive).
REQUEST_LOG_KEEP = 100_000
_READ_METHODS = ("GET", "HEAD", "OPTIONS")
_IN_CHUNK = 500


class Store:
    """JSON documents in SQLite. Use `with store.tx():` around every handler that writes."""

    def __init__(self, db_path: str = ":memory:") -> None:
        if db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in tx), never implicit.
        self._conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._lock = threading.RLock()
        self._depth = 0
        if db_path != ":memory:":
            # WAL lets a CLI run read while `emulator serve` on the same file writes; NORMAL is durable enough for
            # an emulator and keeps each write from waiting for an fsync.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    @contextmanager
    def tx(self) -> Iterator[Store]:
        """One atomic unit of work; nested calls join the outer transaction.

        Never `await` inside it: handlers share one event-loop thread, and the re-entrant lock would let another
        coroutine of that thread into the open transaction.
        """
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("COMMIT")

    # --- documents -------------------------------------------------------------------------------------------

    def get(self, kind: str, id_: str) -> Doc | None:
        with self._lock:
            row = self._conn.execute("SELECT data FROM objects WHERE kind=? AND id=?", (kind, id_)).fetchone()
        return json.loads(row[0]) if row else None

    def extract(self, kind: str, paths: Sequence[str], ids: Iterable[str] | None = None) -> dict[str, list[Any]]:
        """id -> the values at `paths` (SQLite JSON paths, `$.a.b`; None where absent) of every document of a kind,
        oldest first, or of the given `ids` that exist.

        SQLite reads the values out of the stored JSON, so a caller that needs a few small fields of many large
        documents does not decode them whole; ids are looked up in a few queries rather than one per id.
        """
        # With two or more paths json_extract parses the document once and answers a JSON array; with one it answers
        # the bare SQL value (true becomes 1), so a single path is asked twice and the copy dropped.
        asked = [*paths, *paths[:1]] if len(paths) == 1 else list(paths)
        columns = f"SELECT id, json_extract(data, {','.join('?' * len(asked))}) FROM objects WHERE kind=?"
        width = len(paths)
        with self._lock:
            if ids is None:
                rows = self._conn.execute(f"{columns} ORDER BY seq", (*asked, kind)).fetchall()
                return {row[0]: json.loads(row[1])[:width] for row in rows}
            wanted = list(dict.fromkeys(ids))
            found: dict[str, list[Any]] = {}
            # Chunked below SQLite's bound-parameter limit.
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                query = f"{columns} AND id IN ({','.join('?' * len(chunk))})"
                rows = self._conn.execute(query, (*asked, kind, *chunk)).fetchall()
                found.update((row[0], json.loads(row[1])[:width]) for row in rows)
        return found

    def put(self, kind: str, id_: str, data: Doc, *, owner: str | None = None) -> Doc:
        """Insert or replace; an existing document keeps its position in listings."""
        payload = json.dumps(data, separators=(",", ":"))
        with self.tx():
            self._conn.execute(
                "INSERT INTO objects (kind, id, owner, seq, data) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET data=excluded.data, owner=excluded.owner",
                (kind, id_, owner, self.next_value(f"seq:{kind}"), payload),
            )
        return data

    def delete(self, kind: str, id_: str) -> bool:
        with self.tx():
            cursor = self._conn.execute("DELETE FROM objects WHERE kind=? AND id=?", (kind, id_))
        return cursor.rowcount > 0

    def delete_owned(self, kind: str, owner: str) -> int:
        with self.tx():
            cursor = self._conn.execute("DELETE FROM objects WHERE kind=? AND owner=?", (kind, owner))
        return cursor.rowcount

    def all(self, kind: str, *, owner: str | None = None) -> list[Doc]:
        """Every document of a kind (optionally of one owner), oldest first."""
        with self._lock:
            if owner is None:
                rows = self._conn.execute("SELECT data FROM objects WHERE kind=? ORDER BY seq", (kind,))
            else:
                rows = self._conn.execute(
                    "SELECT data FROM objects WHERE kind=? AND owner=? ORDER BY seq", (kind, owner)
                )
            return [json.loads(row[0]) for row in rows.fetchall()]

    def next_value(self, counter: str) -> int:
        """A monotonically increasing integer per counter name (persisted with the data)."""
        with self.tx():
            row = self._conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET value=value+1 RETURNING value",
                (counter,),
            ).fetchone()
        return int(row[0])

    # --- settings ----------------------------------------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._conn.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.tx():
            self._conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (key, json.dumps(value)),
            )

    # --- request log -------------------------------------------------------------------------------------------

    def log_request(self, *, at: float, method: str, path: str, query: str, status: int, duration_ms: float) -> int:
        with self.tx():
            cursor = self._conn.execute(
                "INSERT INTO requests (at, method, path, query, status, duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
                (at, method, path, query, status, round(duration_ms, 3)),
            )
            seq = int(cursor.lastrowid or 0)
            # A file database lives across many CLI runs: keep the newest entries only.
            if seq % 1000 == 0:
                self._conn.execute("DELETE FROM requests WHERE seq <= ?", (seq - REQUEST_LOG_KEEP,))
        return seq

    def requests_since(self, since: int = 0, *, limit: int = 10_000) -> list[Doc]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, at, method, path, query, status, duration_ms FROM requests WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (since, limit),
            ).fetchall()
        keys = ("seq", "at", "method", "path", "query", "status", "duration_ms")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def count_writes_since(self, since: int, *, path_prefix: str = "/v1/") -> int:
        """Logged requests after `since` that are not reads (GET/HEAD/OPTIONS), under `path_prefix`."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM requests WHERE seq > ? AND method NOT IN (?, ?, ?) AND substr(path, 1, ?) = ?",
                (since, *_READ_METHODS, len(path_prefix), path_prefix),
            ).fetchone()
        return int(row[0])

    def last_request_seq(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM requests").fetchone()
        return int(row[0])

    def reset(self) -> None:
        """Forget every resource, log entry and setting (the schema stays)."""
        with self.tx():
            for table in ("objects", "requests", "settings", "counters"):
                self._conn.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
