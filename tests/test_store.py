"""The progress store never loses a committed record: crashes, concurrency, damage, old schemas."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from grader.cli import app
from grader.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreCorrupt, _statements

ROOT = Path(__file__).resolve().parents[1]
WRITER = """
import sys, time
sys.path.insert(0, {root!r})
from grader.store import Store
s = Store({path!r})
tag, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    rid = s.record_attempt("attention", {{"status": "fail", "duration_s": 0.1, "i": i, "tag": tag}}, mode=tag)
    with s.tx() as c:
        c.execute("INSERT INTO review_logs(card_id, rating, reviewed_at) VALUES (?, ?, ?)", (f"{{tag}}-{{i}}", 3, "2026-01-01"))
    print(rid, flush=True)
"""


def _writer(path: Path, tag: str, n: int) -> subprocess.Popen:
    code = WRITER.format(root=str(ROOT), path=str(path))
    return subprocess.Popen([sys.executable, "-c", code, tag, str(n)], stdout=subprocess.PIPE, text=True)


def test_kill_9_mid_stream_loses_nothing_committed(tmp_path):
    path = tmp_path / "p.sqlite3"
    Store(path).close()
    proc = _writer(path, "run", 100000)
    committed = []
    deadline = time.time() + 30
    while len(committed) < 200 and time.time() < deadline:
        committed.append(int(proc.stdout.readline()))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store(path) as s:
        assert s.integrity_ok()
        ids = {r[0] for r in s.conn.execute("SELECT id FROM attempts")}
    assert set(committed) <= ids and len(committed) >= 200


def test_two_writers_at_once_lose_nothing_and_never_see_locked(tmp_path):
    path = tmp_path / "p.sqlite3"
    Store(path).close()
    procs = [_writer(path, "watch", 300), _writer(path, "review", 300)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with Store(path) as s:
        assert s.conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 600
        assert s.conn.execute("SELECT COUNT(*) FROM review_logs").fetchone()[0] == 600
        assert s.integrity_ok()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_store_is_explained_kept_and_replaced_only_with_consent(drill_home, damage):
    from grader import paths

    with Store() as s:
        for i in range(300):
            s.record_attempt("attention", {"status": "fail", "duration_s": 0.0, "pad": "x" * 500})
    path = paths.store_path()
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(b"this is not a database" * 100 if damage == "garbage" else data[: len(data) // 3])
    damaged = path.read_bytes()

    with pytest.raises(StoreCorrupt):
        Store()
    runner = CliRunner()
    r = runner.invoke(app, ["list"])
    assert r.exit_code == 2 and "drill doctor" in r.output
    r = runner.invoke(app, ["doctor"], input="n\n")  # not a terminal, no --yes: refuses
    assert r.exit_code != 0 and path.read_bytes() == damaged, "no wipe without consent"
    assert "--yes" in r.output
    r = runner.invoke(app, ["doctor", "--yes"])
    assert r.exit_code == 0
    kept = [p for p in path.parent.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    with Store() as s:
        assert s.integrity_ok() and s.attempts() == []


def test_an_older_schema_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for stmt in _statements(MIGRATIONS[0]):
        conn.execute(stmt)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO attempts(slug, at, status, duration_s, mode, result_json) VALUES "
                 "('attention', '2025-01-01T00:00:00+00:00', 'pass', 1.5, 'run', ?)", (json.dumps({"status": "pass"}),))
    conn.execute("INSERT INTO progress(slug, started_at, hints_shown) VALUES ('attention', '2025-01-01T00:00:00+00:00', 2)")
    conn.commit()
    conn.close()
    with Store(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert s.has_passed("attention") and s.hints_shown("attention") == 2
        assert s.conn.execute("SELECT COUNT(*) FROM card_states").fetchone()[0] == 0
    backups = list(tmp_path.glob("old.schema1.*.bak"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as b:
        assert b.execute("PRAGMA user_version").fetchone()[0] == 1


def test_a_store_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite3"
    Store(path).close()
    with sqlite3.connect(path) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    from grader.errors import DrillError

    with pytest.raises(DrillError, match="newer drill"):
        Store(path)
    assert path.read_bytes() == before


def test_ctrl_c_during_a_transaction_rolls_back_cleanly(tmp_path):
    s = Store(tmp_path / "p.sqlite3")
    with pytest.raises(KeyboardInterrupt):
        with s.tx() as c:
            c.execute("INSERT INTO progress(slug, started_at) VALUES ('x', 'now')")
            raise KeyboardInterrupt
    assert s.conn.execute("SELECT COUNT(*) FROM progress").fetchone()[0] == 0
    s.record_attempt("x", {"status": "fail"})  # the connection is usable afterwards
    assert len(s.attempts()) == 1


def test_unusable_workspace_gets_a_clear_message(drill_home, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DRILL_WORKSPACE", str(blocker / "ws"))
    r = CliRunner().invoke(app, ["show", "attention"])
    assert r.exit_code == 2
    assert "cannot use the workspace" in r.output and "Traceback" not in r.output


def test_init_and_reset_never_overwrite_without_a_backup(drill_home, tmp_path):
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    os.chdir(ws)
    runner.invoke(app, ["show", "attention"])
    mine = ws / "attention.py"
    mine.write_text("# my attempt\n")
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    assert mine.read_text() == "# my attempt\n", "init leaves existing files alone"
    runner.invoke(app, ["reset", "attention", "--yes"])
    assert any(p.read_text() == "# my attempt\n" for p in (ws / ".backups").iterdir())
