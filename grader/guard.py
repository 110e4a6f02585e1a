"""What user code may not do while it is graded.

Three layers, each catching what the one before misses:
1. `scan_source`: a static look at the user's file for forbidden APIs (also imported
   under an alias) and imports of the reference solutions, with line numbers.
2. `patch_forbidden`: in the child, each forbidden callable is replaced by one that
   records the call and raises, so `getattr(F, "scaled_dot" + "_product_attention")`
   is caught too.
3. `install_audit_hook`: a PEP 578 audit hook in the child that blocks spawning
   processes, signalling other processes, sockets, SQLite (the progress store), ctypes,
   writes outside the child's scratch folder and any read of the reference solutions.
An audit hook cannot be removed from Python, but a determined attacker inside the child
can still do harm through native code; the grade itself never depends on the child
(outputs are compared in the parent), so such tricks can break a run, not fake a pass.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

BLOCKED_MODULE_PREFIXES = ("solutions", "grader._content", "drill_solutions")


@dataclass(frozen=True)
class Finding:
    line: int
    message: str


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def scan_source(source: str, forbidden: tuple[str, ...], entry_points: tuple[str, ...] = ()) -> list[Finding]:
    """Static findings for a user's file: forbidden APIs and reference imports.

    `forbidden` holds dotted paths such as "torch.nn.functional.scaled_dot_product_attention",
    or a bare package name such as "peft" that may not be imported at all.
    A user's own function or class of the same name is fine; using the library's is not
    (`self.x` is the user's; a string naming one of the drill's own entry points is too).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # reported by the import in the child, with its line
    banned = banned_packages(forbidden)
    names: dict[str, str] = {}
    paths_of: dict[str, list[str]] = {}
    for path in forbidden:
        if path in banned:
            continue
        last = path.rsplit(".", 1)[-1]
        names.setdefault(last, path)
        paths_of.setdefault(last, []).append(path)
    docstrings = _docstring_nodes(tree)
    found: list[Finding] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and node.attr in names and not (
                isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            found.append(Finding(line, f"uses {names[node.attr]}, which this drill asks you to write yourself"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in banned:
            found.append(Finding(line, f"imports {node.module}, a package this drill does not allow"))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] in ("solutions", "drill_solutions") or module.startswith("grader._content"):
                found.append(Finding(line, f"imports the reference solution ({module})"))
            for alias in node.names:
                for path in paths_of.get(alias.name, ()):
                    if path == f"{module}.{alias.name}":
                        found.append(Finding(line, f"imports {path}, which this drill asks you to write yourself"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in banned:
                    found.append(Finding(line, f"imports {alias.name}, a package this drill does not allow"))
                if alias.name.split(".")[0] in ("solutions", "drill_solutions"):
                    found.append(Finding(line, f"imports the reference solution ({alias.name})"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value in names
              and not (isinstance(node.args[0], ast.Name) and node.args[0].id in ("self", "cls"))):
            found.append(Finding(line, f"looks up {names[node.args[1].value]} with getattr, which this drill forbids"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if node.value in names and node.value not in entry_points:
                found.append(Finding(line, f"names {names[node.value]} in a string (getattr?), which this drill forbids"))
            elif "solutions/" in node.value.replace("\\", "/") or "solutions." in node.value:
                found.append(Finding(line, "refers to the reference solutions in a string"))
    return sorted(set(found), key=lambda f: f.line)


def banned_packages(forbidden: tuple[str, ...]) -> set[str]:
    """Entries that name a whole package ("peft"): it may not be imported at all."""
    return {p for p in forbidden if p and "." not in p}


class ForbiddenOperation(BaseException):
    """Raised inside the child when user code does something it may not do.

    A BaseException, so that a bare `except Exception` in user code does not swallow it;
    every violation is also recorded and reported with the next reply, caught or not.
    """


VIOLATIONS: list[str] = []


def _violation(message: str) -> ForbiddenOperation:
    if message not in VIOLATIONS:
        VIOLATIONS.append(message)
    return ForbiddenOperation(message)


class _Blocked:
    """Stands in for a forbidden callable: calling it, or reaching through it (`.default`
    of a torch op), records the violation and raises."""

    def __init__(self, path: str):
        object.__setattr__(self, "_path", path)

    def __call__(self, *args, **kwargs):
        raise _violation(f"called {self._path}, which this drill asks you to write yourself")

    def __getattr__(self, name: str):
        raise _violation(f"used {self._path}.{name}, which this drill asks you to write yourself")


def patch_forbidden(forbidden: tuple[str, ...]) -> None:
    """Replace each forbidden callable with one that records the call and raises."""
    import importlib

    for path in forbidden:
        module_path, _, name = path.rpartition(".")
        if not module_path:
            continue  # a whole package: refused at import by the audit hook, never imported here
        try:
            owner = importlib.import_module(module_path)
        except ImportError:
            try:  # e.g. torch.nn.functional is importable; torch._C._nn is an attribute chain
                owner = importlib.import_module(module_path.split(".")[0])
                for part in module_path.split(".")[1:]:
                    owner = getattr(owner, part)
            except (ImportError, AttributeError):
                continue
        if not hasattr(owner, name):
            continue

        try:
            setattr(owner, name, _Blocked(path))
        except (AttributeError, TypeError):
            pass


_SPAWN = ("os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system",
          "subprocess.Popen", "pty.spawn", "os.startfile")
_SIGNAL = ("os.kill", "os.killpg", "signal.pthread_kill")
_NET = ("socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo")
_FS_CHANGE = ("os.remove", "os.rename", "os.rmdir", "os.truncate", "os.chmod", "os.chown",
              "os.symlink", "os.link", "shutil.rmtree", "shutil.move", "os.mkdir", "os.utime")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def install_audit_hook(scratch: Path, protected: tuple[Path, ...], banned: frozenset[str] = frozenset()) -> None:
    """Block, from now on in this process, what graded code must never do.

    `scratch` is the only folder it may write to; `protected` folders may not even be read.
    """
    import sys

    scratch_s = str(Path(scratch).resolve())
    protected_s = tuple(str(Path(p).resolve()) for p in protected)

    def resolve(path) -> str | None:
        if isinstance(path, int):
            return None
        try:
            p = os.fsdecode(path)
        except TypeError:
            return None
        return os.path.realpath(os.path.join(scratch_s, p))

    def inside(path: str, folder: str) -> bool:
        return path == folder or path.startswith(folder + os.sep)

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path = resolve(args[0])
            if path is None:
                return
            if any(inside(path, p) for p in protected_s):
                raise _violation(f"tried to read {path}: the reference solutions are off limits while grading")
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & _WRITE_FLAGS)
            if writing and not inside(path, scratch_s) and path != os.devnull:
                raise _violation(f"tried to write {path}: graded code may only write to its scratch folder")
        elif event == "import":
            name = args[0] or ""
            if name.startswith(BLOCKED_MODULE_PREFIXES):
                raise _violation(f"tried to import {name}: the reference solutions are off limits while grading")
            if name.split(".")[0] in banned:
                raise _violation(f"tried to import {name}, a package this drill does not allow")
        elif event.startswith(_SPAWN):
            raise _violation(f"tried to start a process ({event}); graded code may not spawn processes")
        elif event in _SIGNAL:
            raise _violation(f"tried to send a signal ({event}); graded code may not signal processes")
        elif event in _NET:
            raise _violation(f"tried to use the network ({event})")
        elif event == "sqlite3.connect":
            raise _violation("tried to open an SQLite database (the progress store is off limits)")
        elif event in ("ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function"):
            raise _violation(f"tried to use ctypes ({event}); native calls are not allowed while grading")
        elif event in _FS_CHANGE:
            for arg in args[:2]:
                path = resolve(arg) if isinstance(arg, (str, bytes, os.PathLike)) else None
                if path is not None and not inside(path, scratch_s):
                    raise _violation(f"tried to change files outside the scratch folder ({event} {path})")

    sys.addaudithook(hook)

    class _RefuseImports:
        """First on sys.meta_path: importlib.import_module raises no 'import' audit event."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            if name.startswith(BLOCKED_MODULE_PREFIXES):
                raise _violation(f"tried to import {name}: the reference solutions are off limits while grading")
            if name.split(".")[0] in banned:
                raise _violation(f"tried to import {name}, a package this drill does not allow")
            return None

    sys.meta_path.insert(0, _RefuseImports())
