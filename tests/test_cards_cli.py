"""`drill cards ...` through typer's CliRunner, a subprocess (import cost) and a real pty."""
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from grader.cli_cards import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

NOTES = """# My notes
## Why does attention divide by sqrt(d_k)?
To keep the logits' variance at 1, e.g. for `list[int]` of [CLS] ids.
## 如何计算 LayerNorm
对最后一维求均值和方差。
"""


def invoke(*args, **kw):
    return runner.invoke(app, list(args), **kw)


def test_list_json_has_the_documented_keys(drill_home):
    r = invoke("list", "--json", "--tag", "moe")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["schema_version"] == 1 and data["count"] == len(data["cards"]) > 0
    assert set(data["cards"][0]) == {"id", "deck", "topic", "tags", "difficulty", "kind", "sources", "imported",
                                     "lang", "front_en", "front_zh", "back_en", "back_zh", "state", "due", "reviews"}
    assert all("moe" in c["tags"] and c["state"] == "new" and c["lang"] == "both" for c in data["cards"])


def test_search_finds_both_languages_and_brackets(drill_home):
    r = invoke("search", "[CLS]", "--json")
    data = json.loads(r.stdout)
    assert data["query"] == "[CLS]" and data["count"] > 0
    assert all("[cls]" in (c["front_en"] + c["back_en"] + c["front_zh"] + c["back_zh"]).lower() for c in data["cards"])
    zh = json.loads(invoke("search", "层归一化", "--json").stdout)
    assert zh["count"] > 0 and any(f.endswith("_zh") for c in zh["cards"] for f in c["matches"])
    table = invoke("search", "[CLS]")
    assert table.exit_code == 0 and "cards match '[CLS]'" in table.stdout


def test_stats_json_after_a_scripted_review(drill_home, monkeypatch):
    monkeypatch.setenv("DRILL_CARDS_FUZZ", "0")
    r = invoke("review", "--new", "2", "--lang", "en", input="\n3\n\n1\nq\n")
    assert r.exit_code == 0, r.output
    assert "Rated 2 cards (Again 1, Good 1)" in r.stdout
    s = json.loads(invoke("stats", "--json").stdout)
    assert set(s) == {"schema_version", "generated_at", "cards", "due", "reviews", "retention", "tags"}
    assert s["reviews"]["total"] == 2 and s["reviews"]["today"] == 2 and len(s["reviews"]["days"]) == 12 * 7
    assert s["cards"]["learning"] == 2 and s["due"]["today"] == 2
    assert s["retention"]["all_time"] == {"reviews": 0, "passed": 0, "rate": None}
    assert s["tags"][0]["again"] == 1
    assert invoke("stats").exit_code == 0


def test_import_then_list_then_export(drill_home, tmp_path):
    notes = tmp_path / "mine.md"
    notes.write_text(NOTES, encoding="utf-8")
    r = invoke("import", str(notes))
    assert r.exit_code == 0 and "Imported 2 cards" in r.stdout
    assert "0 new, 0 updated, 2 unchanged" in invoke("import", str(notes)).stdout
    data = json.loads(invoke("list", "--tag", "mine", "--json").stdout)
    assert [c["lang"] for c in data["cards"]] == ["en", "zh"] and all(c["imported"] for c in data["cards"])
    assert data["cards"][1]["front_en"] is None and data["cards"][1]["front_zh"] == "如何计算 LayerNorm"
    out = tmp_path / "mine.apkg"
    r = invoke("export", "--anki", str(out), "--tag", "mine")
    assert r.exit_code == 0 and "Wrote 2 notes in 1 decks" in r.stdout
    assert zipfile.is_zipfile(out)


def test_import_dry_run_stores_nothing(drill_home, tmp_path):
    notes = tmp_path / "mine.md"
    notes.write_text(NOTES, encoding="utf-8")
    r = invoke("import", str(notes), "--dry-run")
    assert r.exit_code == 0 and "Would import 2 cards" in r.stdout
    assert "Why does attention divide by sqrt(d_k)?" in r.stdout
    assert invoke("list", "--tag", "mine").exit_code == 2     # no card has the deck's tag: nothing stored


def test_engine_errors_go_to_stderr_with_a_hint_and_exit_code(drill_home, tmp_path):
    r = invoke("list", "--tag", "no-such-tag")
    assert r.exit_code == 2 and "no card has the tag 'no-such-tag'" in r.stderr and "hint:" in r.stderr
    assert r.stdout == ""
    assert invoke("review", "--lang", "fr").exit_code == 2
    assert "no such notes file" in invoke("import", str(tmp_path / "missing.md")).stderr
    assert ".apkg" in invoke("export", "--anki", str(tmp_path / "x.zip")).stderr


def test_cards_commands_do_not_import_torch_or_hypothesis(tmp_path):
    code = (
        "import sys\n"
        "import grader.cli_cards as c\n"
        "for args in (['list', '--json'], ['search', 'attention', '--json'], ['stats', '--json'],\n"
        "             ['review', '--new', '1'], ['export', '--anki', sys.argv[1]]):\n"
        "    try:\n"
        "        c.app(args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "bad = [m for m in ('torch', 'hypothesis') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "print('clean')\n")
    env = dict(os.environ, DRILL_HOME=str(tmp_path / "home"))
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.apkg")], cwd=ROOT, env=env,
                       input="", capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("clean")


@pytest.mark.slow
def test_review_in_a_real_terminal_reveal_rate_undo_quit(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    home = tmp_path / "home"
    env = dict(os.environ, DRILL_HOME=str(home), DRILL_CARDS_FUZZ="0", TERM="xterm-256color",
               COLUMNS="80", LINES="40")
    child = pexpect.spawn(sys.executable, ["-m", "grader.cli_cards", "review", "--new", "3", "--lang", "en"],
                          cwd=str(ROOT), env=env, dimensions=(40, 80), encoding="utf-8", timeout=30)
    try:
        child.expect("show answer")
        child.send(" ")                 # reveal card 1
        child.expect("Easy")
        child.send("3")                 # Good
        child.expect("rated Good")
        child.expect("show answer")
        child.send("\r")                # reveal card 2 with Enter
        child.expect("Easy")
        child.send("1")                 # Again...
        child.expect("show answer")
        child.send("u")                 # ...undone: card 2 comes back
        child.expect("undid")
        child.expect("show answer")
        child.send(" ")
        child.expect("Easy")
        child.send("4")                 # Easy
        child.expect("show answer")
        child.send("q")
        child.expect("Rated 2 cards")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    db = sqlite3.connect(home / "progress.sqlite3")
    rows = db.execute("SELECT card_id, rating, undone FROM review_logs ORDER BY id").fetchall()
    states = db.execute("SELECT COUNT(*) FROM card_states").fetchone()[0]
    db.close()
    first, second = rows[0][0], rows[1][0]
    assert first != second
    assert rows == [(first, 3, 0), (second, 1, 1), (second, 4, 0)]
    assert states == 2
