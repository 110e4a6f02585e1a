"""grader/fastargs.py returns exactly what typer's own coercion would, and defers the rest."""
from typing import Optional

import typer
from typer.testing import CliRunner

from grader import fastargs

fastargs.install()  # what grader.cli does; idempotent


def _app():
    app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)

    @app.command()
    def cmd(name: str = typer.Argument(...), n: Optional[int] = typer.Option(None),
            k: int = typer.Option(3, min=1, max=5), flag: bool = typer.Option(False),
            tags: Optional[list[str]] = typer.Option(None, "--tag")):
        print(repr((name, n, k, flag, tags)))

    return app


def run(*argv):
    return CliRunner().invoke(_app(), list(argv))


def test_plain_values_come_through_unchanged():
    r = run("héllo [x]", "--n", "-12", "--flag")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == repr(("héllo [x]", -12, 3, True, None))


def test_defaults_and_none():
    r = run("a")
    assert r.output.strip() == repr(("a", None, 3, False, None))


def test_a_bad_integer_gets_typers_own_message():
    r = run("a", "--n", "1.5")
    assert r.exit_code == 2 and "Invalid value for '--n'" in r.output


def test_ranged_and_list_parameters_use_typers_coercion():
    assert "Invalid value for '--k'" in run("a", "--k", "9").output
    r = run("a", "--k", "5", "--tag", "x", "--tag", "y")
    assert r.exit_code == 0 and r.output.strip() == repr(("a", None, 5, False, ["x", "y"]))


def test_install_is_idempotent():
    assert fastargs.install() is False


def _path_app():
    from pathlib import Path

    app = typer.Typer()

    @app.command()
    def cmd(file: Optional[Path] = typer.Option(None, "--file"),
            must: Optional[Path] = typer.Option(None, exists=True),
            dev: Optional[list[str]] = typer.Option(None, "--dev")):
        print(repr((file, must, dev)))

    return app


def test_paths_and_string_lists(tmp_path):
    from pathlib import Path

    r = CliRunner().invoke(_path_app(), ["--file", "x/y.py", "--dev", "cpu", "--dev", "cuda"])
    assert r.exit_code == 0 and r.output.strip() == repr((Path("x/y.py"), None, ["cpu", "cuda"]))
    r = CliRunner().invoke(_path_app(), ["--must", str(tmp_path / "missing")])
    words = " ".join(r.output.replace("│", " ").split())
    assert r.exit_code == 2 and "does not exist" in words  # a checked path goes to typer
