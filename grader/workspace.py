"""The user's workspace: their editable copies of the stubs, never the pristine drills/.

Found like git finds a repository: the nearest folder upward from the cwd that holds a
`.drill-workspace` marker; else DRILL_WORKSPACE; else `<data dir>/workspace`, created on
first use. Reset never destroys work: the old file is copied to `.backups/` first.
"""
from __future__ import annotations

import ast
import hashlib
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from grader import paths
from grader.catalog import Drill
from grader.errors import DrillError

MARKER = ".drill-workspace"


def find_workspace(cwd: Path | None = None) -> Path:
    here = Path(cwd or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    env = os.environ.get("DRILL_WORKSPACE")
    if env:
        return Path(env).expanduser().resolve()
    return paths.data_dir() / "workspace"


class Workspace:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else find_workspace()

    def ensure(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            marker = self.root / MARKER
            if not marker.exists():
                marker.write_text("This folder is a drill workspace: your copies of the drill stubs.\n")
        except OSError as e:
            raise DrillError(f"cannot use the workspace {self.root}: {e.strerror or e}",
                             hint="set DRILL_WORKSPACE to a writable folder, or run `drill init` in one") from None

    def path_for(self, drill: Drill) -> Path:
        return self.root / f"{drill.slug}.py"

    def ensure_copy(self, drill: Drill) -> tuple[Path, bool]:
        """The user's file for a drill, copying the pristine stub on first use.

        Returns (path, created).
        """
        target = self.path_for(drill)
        if target.exists():
            return target, False
        self.ensure()
        try:
            shutil.copyfile(drill.stub_path, target)
        except OSError as e:
            raise DrillError(f"cannot write {target}: {e.strerror or e}",
                             hint="check the workspace folder's permissions") from None
        return target, True

    def backup(self, drill: Drill) -> Path | None:
        """Copy the user's file to .backups/<slug>-<UTC time>.py; None when there is no file."""
        src = self.path_for(drill)
        if not src.exists():
            return None
        folder = self.root / ".backups"
        folder.mkdir(exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        dest = folder / f"{drill.slug}-{stamp}.py"
        shutil.copy2(src, dest)
        return dest

    def reset(self, drill: Drill) -> Path | None:
        """Put the pristine stub back; return the backup of the old file (None if pristine or absent)."""
        target = self.path_for(drill)
        backup = None
        if target.exists() and not is_pristine(drill, target):
            backup = self.backup(drill)
        self.ensure()
        tmp = target.with_suffix(".py.tmp")
        shutil.copyfile(drill.stub_path, tmp)
        os.replace(tmp, target)  # atomic: the old file is either intact or backed up
        return backup


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_pristine(drill: Drill, path: Path) -> bool:
    """True when the file is byte-identical to the stub, or differs only in whitespace/comments."""
    try:
        mine = path.read_bytes()
    except OSError:
        return False
    stub = drill.stub_path.read_bytes()
    if mine == stub:
        return True
    try:
        return ast.dump(ast.parse(mine)) == ast.dump(ast.parse(stub))
    except (SyntaxError, ValueError):
        return False
