"""The progress store: one SQLite file (WAL, transactions, versioned schema).

Everything a user did lives here: grading attempts, hints, solves, mock sessions,
card schedules and review logs. Writes are short transactions, so a crash or Ctrl-C
loses at most the write in flight; a newer tool migrates an older file in place after
taking a backup with SQLite's backup API. Nothing here imports torch.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from grader import paths
from grader.errors import DrillError

SCHEMA_VERSION = 2

# Each migration takes the store from version i to i + 1; never edit a released one.
MIGRATIONS: list[str] = [
    # 0 -> 1: attempts, progress, solves
    """
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        at TEXT NOT NULL,                 -- UTC ISO time the grading finished
        status TEXT NOT NULL,             -- pass | fail | error | not_started
        duration_s REAL NOT NULL,
        mode TEXT NOT NULL DEFAULT 'run', -- run | watch | mock
        file_sha TEXT,
        result_json TEXT NOT NULL
    );
    CREATE INDEX attempts_slug ON attempts(slug, at);
    CREATE TABLE progress (
        slug TEXT PRIMARY KEY,
        started_at TEXT,                  -- when the current try began (copy made or reset)
        hints_shown INTEGER NOT NULL DEFAULT 0,
        solution_seen_at TEXT
    );
    CREATE TABLE solves (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        started_at TEXT NOT NULL,
        solved_at TEXT NOT NULL,
        seconds REAL NOT NULL,
        hints_used INTEGER NOT NULL,
        mode TEXT NOT NULL
    );
    """,
    # 1 -> 2: mock interviews and flashcards
    """
    CREATE TABLE mock_sessions (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL,             -- running | finished | abandoned
        seed INTEGER,
        config_json TEXT NOT NULL,
        scorecard_json TEXT
    );
    CREATE TABLE card_states (
        card_id TEXT PRIMARY KEY,
        deck TEXT NOT NULL,
        state_json TEXT NOT NULL,         -- the scheduler's card, serialised
        due TEXT NOT NULL,
        content_hash TEXT,
        introduced_at TEXT NOT NULL
    );
    CREATE TABLE review_logs (
        id INTEGER PRIMARY KEY,
        card_id TEXT NOT NULL,
        rating INTEGER NOT NULL,          -- 1 again, 2 hard, 3 good, 4 easy
        reviewed_at TEXT NOT NULL,        -- UTC
        duration_ms INTEGER,
        state_before_json TEXT,           -- for undo; NULL when the card was new
        undone INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX review_logs_card ON review_logs(card_id, reviewed_at);
    CREATE TABLE imported_cards (
        card_id TEXT PRIMARY KEY,
        deck TEXT NOT NULL,
        source_path TEXT NOT NULL,
        card_json TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
]
assert len(MIGRATIONS) == SCHEMA_VERSION


def _statements(script: str) -> list[str]:
    """Split an SQL script into statements (a ';' inside a comment or string is fine)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {buf.strip()[:80]}")
    return out


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class StoreCorrupt(DrillError):
    """The database file cannot be read; it has been moved aside, nothing deleted."""


class Store:
    """A connection to the progress store. Use as a context manager or call close()."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else paths.store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = self._open()

    # -- opening, migrating, backing up -------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
        except sqlite3.DatabaseError as e:
            raise StoreCorrupt(
                f"the progress store {self.path} cannot be read ({e})",
                hint="run `drill doctor` to keep the damaged file aside and start a fresh store",
            ) from None
        if version > SCHEMA_VERSION:
            conn.close()
            raise DrillError(
                f"the progress store {self.path} was written by a newer drill (schema {version}, "
                f"this one knows {SCHEMA_VERSION})", hint="upgrade drill; your data is untouched")
        if version < SCHEMA_VERSION:
            if version > 0:
                self._backup(conn, f"schema{version}")
            self._migrate(conn, version)
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection, version: int) -> None:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # re-read inside the lock: another process may have migrated meanwhile
                now = conn.execute("PRAGMA user_version").fetchone()[0]
                if now < target:
                    for stmt in _statements(MIGRATIONS[target - 1]):
                        conn.execute(stmt)
                    conn.execute(f"PRAGMA user_version = {target}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _backup(self, conn: sqlite3.Connection, label: str) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        dest = self.path.with_name(f"{self.path.stem}.{label}.{stamp}.bak")
        with sqlite3.connect(dest) as out:
            conn.backup(out)
        out.close()
        return dest

    def backup(self) -> Path:
        return self._backup(self.conn, "backup")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; retried by SQLite's busy timeout, rolled back on error."""
        for attempt in range(5):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as e:  # pragma: no cover - only under heavy contention
                if "locked" not in str(e) or attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    # -- drills ---------------------------------------------------------------------------
    def record_attempt(self, slug: str, result: dict, mode: str = "run", file_sha: str | None = None) -> int:
        """Store one grading result; on the first pass of the current try, record the solve."""
        now = utcnow()
        with self.tx() as c:
            cur = c.execute(
                "INSERT INTO attempts(slug, at, status, duration_s, mode, file_sha, result_json) VALUES (?,?,?,?,?,?,?)",
                (slug, now, result["status"], float(result.get("duration_s", 0.0)), mode, file_sha,
                 json.dumps(result, ensure_ascii=False)))
            if result["status"] == "pass":
                row = c.execute("SELECT started_at, hints_shown FROM progress WHERE slug=?", (slug,)).fetchone()
                started = row["started_at"] if row and row["started_at"] else None
                if started:
                    already = c.execute("SELECT 1 FROM solves WHERE slug=? AND started_at=?", (slug, started)).fetchone()
                    if not already:
                        secs = (datetime.fromisoformat(now) - datetime.fromisoformat(started)).total_seconds()
                        c.execute("INSERT INTO solves(slug, started_at, solved_at, seconds, hints_used, mode) VALUES (?,?,?,?,?,?)",
                                  (slug, started, now, max(secs, 0.0), row["hints_shown"], mode))
            return int(cur.lastrowid)

    def start_try(self, slug: str, when: str | None = None) -> None:
        """A fresh stub was put in the workspace: the clock for 'time to pass' starts now."""
        with self.tx() as c:
            c.execute("INSERT INTO progress(slug, started_at) VALUES (?, ?) "
                      "ON CONFLICT(slug) DO UPDATE SET started_at=excluded.started_at, hints_shown=0",
                      (slug, when or utcnow()))

    def ensure_try(self, slug: str) -> None:
        with self.tx() as c:
            c.execute("INSERT INTO progress(slug, started_at) VALUES (?, ?) ON CONFLICT(slug) DO NOTHING", (slug, utcnow()))
            c.execute("UPDATE progress SET started_at=? WHERE slug=? AND started_at IS NULL", (utcnow(), slug))

    def next_hint(self, slug: str, available: int) -> int:
        """Advance and return the number of hint rungs shown for this drill (capped)."""
        with self.tx() as c:
            c.execute("INSERT INTO progress(slug, started_at) VALUES (?, ?) ON CONFLICT(slug) DO NOTHING", (slug, utcnow()))
            c.execute("UPDATE progress SET hints_shown = MIN(hints_shown + 1, ?) WHERE slug=?", (available, slug))
            return int(c.execute("SELECT hints_shown FROM progress WHERE slug=?", (slug,)).fetchone()[0])

    def hints_shown(self, slug: str) -> int:
        row = self.conn.execute("SELECT hints_shown FROM progress WHERE slug=?", (slug,)).fetchone()
        return int(row[0]) if row else 0

    def mark_solution_seen(self, slug: str) -> None:
        with self.tx() as c:
            c.execute("INSERT INTO progress(slug, solution_seen_at) VALUES (?, ?) "
                      "ON CONFLICT(slug) DO UPDATE SET solution_seen_at=excluded.solution_seen_at", (slug, utcnow()))

    def has_passed(self, slug: str) -> bool:
        return self.conn.execute("SELECT 1 FROM attempts WHERE slug=? AND status='pass' LIMIT 1", (slug,)).fetchone() is not None

    def drill_summaries(self) -> dict[str, dict]:
        """Per drill: last status, attempts, passes, best time, hints shown."""
        out: dict[str, dict] = {}
        for r in self.conn.execute(
            "SELECT slug, COUNT(*) n, SUM(status='pass') passes, MAX(at) last_at FROM attempts GROUP BY slug"):
            last = self.conn.execute("SELECT status FROM attempts WHERE slug=? ORDER BY id DESC LIMIT 1", (r["slug"],)).fetchone()
            out[r["slug"]] = {"attempts": r["n"], "passes": r["passes"] or 0, "last_status": last["status"], "last_at": r["last_at"]}
        for r in self.conn.execute("SELECT slug, MIN(seconds) best, COUNT(*) n FROM solves GROUP BY slug"):
            out.setdefault(r["slug"], {}).update(best_seconds=r["best"], solves=r["n"])
        for r in self.conn.execute("SELECT slug, hints_shown, solution_seen_at FROM progress"):
            out.setdefault(r["slug"], {}).update(hints_shown=r["hints_shown"], solution_seen=bool(r["solution_seen_at"]))
        return out

    def solve_times(self, slug: str) -> list[float]:
        return [r[0] for r in self.conn.execute("SELECT seconds FROM solves WHERE slug=? ORDER BY seconds", (slug,))]

    def attempts(self, slug: str | None = None, limit: int = 50) -> list[dict]:
        q = "SELECT id, slug, at, status, duration_s, mode FROM attempts"
        args: tuple = ()
        if slug:
            q += " WHERE slug=?"
            args = (slug,)
        q += " ORDER BY id DESC LIMIT ?"
        return [dict(r) for r in self.conn.execute(q, args + (limit,))]

    # -- mock interviews (grader.mock) -------------------------------------------------------
    def record_mock_attempt(self, slug: str, result: dict, started_at: str, file_sha: str | None = None) -> int:
        """A grading run inside a mock; a pass records a solve timed from when the mock showed the drill.

        (record_attempt would time it from the workspace copy's try, which the mock never touches.)
        """
        now = utcnow()
        with self.tx() as c:
            cur = c.execute(
                "INSERT INTO attempts(slug, at, status, duration_s, mode, file_sha, result_json) VALUES (?,?,?,?,?,?,?)",
                (slug, now, result["status"], float(result.get("duration_s", 0.0)), "mock", file_sha,
                 json.dumps(result, ensure_ascii=False)))
            if result["status"] == "pass" and not c.execute(
                    "SELECT 1 FROM solves WHERE slug=? AND started_at=? AND mode='mock'", (slug, started_at)).fetchone():
                secs = (datetime.fromisoformat(now) - datetime.fromisoformat(started_at)).total_seconds()
                c.execute("INSERT INTO solves(slug, started_at, solved_at, seconds, hints_used, mode) VALUES (?,?,?,?,?,?)",
                          (slug, started_at, now, max(secs, 0.0), 0, "mock"))
            return int(cur.lastrowid)

    def create_mock_session(self, config: dict, seed: int | None, started_at: str | None = None) -> int:
        with self.tx() as c:
            cur = c.execute("INSERT INTO mock_sessions(started_at, status, seed, config_json) VALUES (?, 'running', ?, ?)",
                            (started_at or utcnow(), seed, json.dumps(config, ensure_ascii=False)))
            return int(cur.lastrowid)

    def save_mock_session(self, session_id: int, scorecard: dict, status: str | None = None,
                          ended_at: str | None = None) -> None:
        """Rewrite a session's scorecard (and status / end time when given) in one transaction."""
        with self.tx() as c:
            c.execute("UPDATE mock_sessions SET scorecard_json=?, status=COALESCE(?, status), "
                      "ended_at=COALESCE(?, ended_at) WHERE id=?",
                      (json.dumps(scorecard, ensure_ascii=False), status, ended_at, session_id))

    @staticmethod
    def _mock_row(r: sqlite3.Row) -> dict:
        return {"id": r["id"], "started_at": r["started_at"], "ended_at": r["ended_at"], "status": r["status"],
                "seed": r["seed"], "config": json.loads(r["config_json"]) if r["config_json"] else {},
                "scorecard": json.loads(r["scorecard_json"]) if r["scorecard_json"] else None}

    def mock_session(self, session_id: int) -> dict | None:
        r = self.conn.execute("SELECT * FROM mock_sessions WHERE id=?", (session_id,)).fetchone()
        return self._mock_row(r) if r else None

    def mock_sessions(self, limit: int = 50, status: str | None = None) -> list[dict]:
        """Sessions, newest first (optionally only those with `status`)."""
        q, args = "SELECT * FROM mock_sessions", ()
        if status:
            q, args = q + " WHERE status=?", (status,)
        return [self._mock_row(r) for r in self.conn.execute(q + " ORDER BY id DESC LIMIT ?", args + (limit,))]

    def mock_scores(self) -> list[dict]:
        """[{"started_at", "score"}] of finished sessions, oldest first (for `drill stats`)."""
        out = []
        for r in self.conn.execute("SELECT started_at, scorecard_json FROM mock_sessions "
                                   "WHERE status='finished' AND scorecard_json IS NOT NULL ORDER BY started_at, id"):
            try:
                overall = json.loads(r["scorecard_json"])["score"]["overall"]
            except (ValueError, KeyError, TypeError):
                continue
            out.append({"started_at": r["started_at"], "score": float(overall)})
        return out

    # -- card reviews, for `drill stats` (the cards package has its own, richer queries) --------
    def card_ratings(self) -> list[tuple[str, int]]:
        """(card_id, rating 1..4) of every review that was not undone, oldest first."""
        return [(r[0], int(r[1])) for r in self.conn.execute(
            "SELECT card_id, rating FROM review_logs WHERE undone=0 ORDER BY reviewed_at, id")]

    def card_due_times(self) -> list[str]:
        """The due time (ISO) of every card that has a schedule."""
        return [r[0] for r in self.conn.execute("SELECT due FROM card_states")]

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def open_or_explain(path: Path | None = None) -> tuple["Store | None", str | None]:
    """(store, None), or (None, why) when the file is damaged; never modifies a damaged file."""
    try:
        return Store(path), None
    except StoreCorrupt as e:
        return None, str(e)


def quarantine(path: Path) -> Path:
    """Move a damaged store (and its WAL/SHM files) aside; return where it went."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    dest = path.with_name(f"{path.name}.damaged-{stamp}")
    path.rename(dest)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(dest.with_name(dest.name + suffix))
    return dest
