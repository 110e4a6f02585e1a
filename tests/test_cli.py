"""The CLI, through typer's CliRunner: commands, exit codes, --json against docs/json.md."""
import json

from typer.testing import CliRunner

from grader.catalog import load_catalog
from grader.cli import app
from grader.result import PROPERTY_STATUSES, STATUSES

runner = CliRunner()
ATTENTION = load_catalog().get("attention")

RUN_KEYS = {"schema_version", "drill", "file", "status", "message", "next_step", "detail", "properties",
            "diagnosis", "devices", "output", "profile", "seed", "duration_s"}
PROP_KEYS = {"name", "title", "device", "dtype", "status", "message", "code", "detail", "examples",
             "duration_s", "counterexample"}


def check_run_schema(data):
    assert set(data) == RUN_KEYS
    assert data["schema_version"] == 1 and data["status"] in STATUSES
    for p in data["properties"]:
        assert set(p) == PROP_KEYS and p["status"] in PROPERTY_STATUSES
        if p["counterexample"] is not None:
            assert set(p["counterexample"]) == {"draws", "calls"}
    for d in data["diagnosis"]:
        assert {"id", "title", "explain", "properties"} <= set(d)


def test_help_and_list(drill_home):
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0 and "run" in r.output
    r = runner.invoke(app, ["list", "--json"])
    assert r.exit_code == 0
    rows = json.loads(r.output)["drills"]
    assert sorted(x["slug"] for x in rows) == sorted(load_catalog().slugs)
    assert all(x["status"] == "not started" for x in rows)
    topics = [x["topic"] for x in rows]
    assert all(topics.index(t) == i or topics[i - 1] == t for i, t in enumerate(topics)), "grouped by topic"
    assert rows[0]["slug"] == "attention"


def test_first_run_creates_the_workspace_and_says_what_to_do(drill_home):
    r = runner.invoke(app, ["run", "attention"])
    assert r.exit_code == 3
    assert "not started" in r.output.lower()
    copy = drill_home / "workspace" / "attention.py"
    assert copy.is_file() and copy.read_bytes() == ATTENTION.stub_path.read_bytes()
    assert "drill show attention" in r.output and str(copy) in r.output.replace("\n", "")


def test_run_reference_file_json_passes(drill_home):
    r = runner.invoke(app, ["run", "attention", "--file", str(ATTENTION.solution_path), "--json", "--seed", "1"])
    assert r.exit_code == 0, r.output[-2000:]
    data = json.loads(r.output)
    check_run_schema(data)
    assert data["status"] == "pass" and data["devices"]["cpu"] == "ran"


def test_run_wrong_file_json_fails_with_diagnosis(drill_home, tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import torch\n\ndef scaled_dot_product_attention(q, k, v, mask=None):\n"
                     "    s = (q @ k.transpose(-2, -1))\n"
                     "    if mask is not None:\n        s = s.masked_fill(~mask, float('-inf'))\n"
                     "    w = torch.softmax(s.float(), -1)\n"
                     "    if mask is not None:\n        w = w.masked_fill(~mask.any(-1, keepdim=True), 0.0)\n"
                     "    return w.to(v.dtype) @ v\n")
    r = runner.invoke(app, ["run", "attention", "--file", str(wrong), "--json", "--seed", "3"])
    assert r.exit_code == 1
    data = json.loads(r.output)
    check_run_schema(data)
    assert data["status"] == "fail"
    assert "no_scale" in [d["id"] for d in data["diagnosis"]]
    failing = [p for p in data["properties"] if p["status"] == "fail"]
    assert failing and failing[0]["counterexample"]["calls"]


def test_human_output_shows_counterexample_and_likely_bug(drill_home, tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text(ATTENTION.solution_path.read_text().replace("dim=-1, dtype", "dim=-2, dtype"))
    r = runner.invoke(app, ["run", "attention", "--file", str(wrong), "--seed", "2"])
    assert r.exit_code == 1
    assert "FAIL" in r.output and "smallest failing example found" in r.output
    assert "likely bug" in r.output and "query axis" in r.output


def test_hint_ladder_advances_and_is_remembered(drill_home):
    outs = [runner.invoke(app, ["hint", "attention", "--json"]) for _ in range(len(ATTENTION.hints) + 1)]
    shown = [json.loads(o.output)["shown"] for o in outs]
    assert shown == list(range(1, len(ATTENTION.hints) + 1)) + [len(ATTENTION.hints)]


def test_solution_needs_a_pass_or_confirmation(drill_home):
    r = runner.invoke(app, ["solution", "attention"], input="n\n")
    assert r.exit_code == 1 and "def scaled_dot_product_attention" not in r.output
    r = runner.invoke(app, ["solution", "attention", "--yes"])
    assert r.exit_code == 0 and "def scaled_dot_product_attention" in r.output


def test_reset_keeps_a_backup(drill_home):
    runner.invoke(app, ["show", "attention"])
    copy = drill_home / "workspace" / "attention.py"
    copy.write_text(copy.read_text() + "\n# my work\nX = 1\n")
    r = runner.invoke(app, ["reset", "attention", "--yes"])
    assert r.exit_code == 0
    assert copy.read_bytes() == ATTENTION.stub_path.read_bytes()
    backups = list((drill_home / "workspace" / ".backups").glob("attention-*.py"))
    assert len(backups) == 1 and "# my work" in backups[0].read_text()


def test_reset_without_confirmation_refuses_when_not_interactive(drill_home):
    runner.invoke(app, ["show", "attention"])
    copy = drill_home / "workspace" / "attention.py"
    copy.write_text("# mine\n")
    r = runner.invoke(app, ["reset", "attention"])
    assert r.exit_code == 1 and copy.read_text() == "# mine\n"


def test_unknown_drill_suggests_names(drill_home):
    r = runner.invoke(app, ["run", "atention"])
    assert r.exit_code == 2
    assert "attention" in r.output


def test_show_renders_the_prompt(drill_home):
    r = runner.invoke(app, ["show", "attention"])
    assert r.exit_code == 0 and "softmax" in r.output and "drill run attention" in r.output
    data = json.loads(runner.invoke(app, ["show", "attention", "--json"]).output)
    assert data["entry_points"] == ["scaled_dot_product_attention"] and "True = this query MAY attend" in data["prompt"]


def test_stats_json_after_attempts(drill_home):
    runner.invoke(app, ["run", "attention"])
    data = json.loads(runner.invoke(app, ["stats", "--json"]).output)
    assert data["schema_version"] == 1 and data["total"] == len(load_catalog().drills)
    att = next(d for d in data["drills"] if d["slug"] == "attention")
    assert att["attempts"] == 1 and att["passes"] == 0
    assert len(data["weakest"]) == 3 or len(data["weakest"]) == len(data["topics"])


def test_list_shows_every_drill_on_one_aligned_line_under_its_topic(drill_home):
    import io

    from rich.console import Console

    from grader.progress import drill_rows
    from grader.render import catalog_lines

    rows = drill_rows()
    rows[0] = dict(rows[0], title="A title far longer than any terminal is wide " * 3, best_seconds=75)
    for width in (60, 80, 160):
        con = Console(file=io.StringIO(), width=width, color_system=None)
        con.print(catalog_lines(rows, width), soft_wrap=True)
        lines = con.file.getvalue().splitlines()
        assert lines[0].split() == ["#", "drill", "title", "level", "min", "status", "best"]
        assert all(len(line) <= max(width, 72) for line in lines), "cut, never wrapped"
        drill_lines = [line for line in lines[1:] if line[:3].strip().isdigit()]
        assert [line.split()[1] for line in drill_lines] == [r["slug"] for r in rows]
        status_col = {line.index("not started") for line in drill_lines if "not started" in line}
        assert len(status_col) == 1, "columns are aligned"
        assert "…" in drill_lines[0] and drill_lines[0].rstrip().endswith("1m15s")
        topics = [line for line in lines[1:] if line not in drill_lines]
        assert topics == list(dict.fromkeys(r["topic"] for r in rows))
    r = runner.invoke(app, ["list", "--topic", "loss"])
    assert r.exit_code == 0 and "infonce" in r.output and "attention " not in r.output
