"""Where things live: the pristine content, the user's data dir, the workspace.

Only the standard library and platformdirs: this is imported by every command.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def content_root() -> Path:
    """The folder holding drills/ and solutions/: the source checkout, or the installed copy."""
    checkout = PACKAGE_DIR.parent
    if (checkout / "drills" / "catalog.toml").is_file():
        return checkout
    installed = PACKAGE_DIR / "_content"  # filled by a non-editable install (see pyproject)
    if (installed / "drills" / "catalog.toml").is_file():
        return installed
    raise FileNotFoundError(f"drill content not found next to {PACKAGE_DIR}")


def drills_dir() -> Path:
    return content_root() / "drills"


def solutions_dir() -> Path:
    return content_root() / "solutions"


def cards_dir() -> Path:
    return drills_dir() / "cards"


def data_dir() -> Path:
    """The user's data dir: DRILL_HOME, else platformdirs' user data dir for 'drill'."""
    env = os.environ.get("DRILL_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("drill", appauthor=False))


def store_path() -> Path:
    return data_dir() / "progress.sqlite3"


def hypothesis_db_dir() -> Path:
    return data_dir() / "hypothesis"
