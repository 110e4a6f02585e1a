"""Run the user's code in a child process the grader can always kill.

    grader (trusted: hypothesis, spec, reference, comparisons)
      └─ zygote  (`python -m grader.sandbox`: torch imported, nothing else; never runs user code)
           └─ child (forked per grading run: limits, guard, the user's module, an RPC loop)

The zygote is a fresh interpreter, so no spec, reference or grader state is ever in a
child's memory, and forking it is cheap because torch is already imported. A warm
grader (watch, mock) keeps its zygote and asks it for a new child on every save, so the
user's file is always imported afresh. Replies travel on a socket the zygote hands to
the grader (SCM_RIGHTS) and are decoded with torch's weights-only loader (grader.wire).
"""
from __future__ import annotations

import os
import pickle
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import wire
from grader.failures import Fatal, ForbiddenUsed

OUTPUT_KEEP = 8 * 1024            # bytes of the user's prints kept for the report
OUTPUT_LIMIT = 16 * 1024 * 1024   # printing more than this kills the run
FILE_SIZE_LIMIT = 64 * 1024 * 1024


@dataclass
class ChildConfig:
    user_file: str
    module_name: str
    source: bytes = b""          # the file's bytes, read by the grader: the child reads no file to import it
    forbidden: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    memory_mb: int = 4096
    cpu_seconds: int = 600
    threads: int = 1
    use_cuda: bool = False


# ---------------------------------------------------------------------------------------
# child side (runs inside the forked child; everything after _enter_jail is untrusted)
# ---------------------------------------------------------------------------------------
def _set_pdeathsig() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the zygote
    except Exception:  # pragma: no cover - not Linux
        pass


def _limit(kind: int, value: int) -> None:
    try:
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, hard))
    except (ValueError, OSError):
        pass


def _vm_size() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _trim_traceback(exc: BaseException, user_file: str) -> str:
    """Only the user's frames, innermost last, with their source lines."""
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == user_file]
    except BaseException:  # noqa: BLE001 - never let a report of an error become a crash
        return ""
    lines = [f"  line {f.lineno}, in {f.name}\n    {f.line}" for f in frames[-8:]]
    return "\n".join(lines)


def _describe(exc: BaseException, user_file: str) -> dict:
    message = str(exc)
    if isinstance(exc, SystemExit):
        message = f"sys.exit({exc.code!r}) was called; a drill's code must return, not exit"
    return {"kind": "raise", "type": type(exc).__name__, "message": message[:4000],
            "traceback": _trim_traceback(exc, user_file), "memory": _is_memory_error(exc)}


def _is_memory_error(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, MemoryError) or "can't allocate memory" in text or "DefaultCPUAllocator" in text \
        or "out of memory" in text.lower()


def _child_main(sock: socket.socket, out_fd: int, cfg: ChildConfig) -> None:
    os.setsid()
    _set_pdeathsig()
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    scratch = tempfile.mkdtemp(prefix="drill-scratch-")
    os.chdir(scratch)
    import torch  # already imported by the zygote

    torch.set_num_threads(cfg.threads)
    if cfg.use_cuda:
        torch.cuda.init()
    else:
        _limit(resource.RLIMIT_AS, _vm_size() + cfg.memory_mb * 1024 * 1024)
    _limit(resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_CPU, cfg.cpu_seconds)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a huge write fails with EFBIG instead of killing us
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from grader import guard

    table: dict[int, Any] = {}

    def keep(obj: Any) -> int:
        table[len(table) + 1] = obj
        return len(table)

    def reply(obj: dict) -> None:
        obj["violations"] = list(guard.VIOLATIONS)
        wire.send_frame(sock, wire.dump_reply(obj))

    guard.patch_forbidden(cfg.forbidden)
    guard.install_audit_hook(Path(scratch), tuple(Path(p) for p in cfg.protected),
                             frozenset(guard.banned_packages(cfg.forbidden)))
    # -- untrusted from here on --------------------------------------------------------
    try:
        import linecache
        import types

        # tracebacks read source lines from here, never from disk (the file may be anywhere)
        text = cfg.source.decode("utf-8", "replace")
        linecache.cache[cfg.user_file] = (len(text), None, text.splitlines(keepends=True), cfg.user_file)
        code = compile(cfg.source, cfg.user_file, "exec", dont_inherit=True)
        module = types.ModuleType(cfg.module_name)
        module.__file__ = cfg.user_file
        sys.modules[cfg.module_name] = module
        exec(code, module.__dict__)
    except SyntaxError as e:
        reply({"kind": "syntax", "message": e.msg or "invalid syntax", "line": e.lineno or 0,
               "text": (e.text or "").rstrip("\n"), "offset": e.offset or 0})
        os._exit(0)
    except BaseException as e:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
        desc = _describe(e, cfg.user_file)
        desc["kind"] = "import_error"
        reply(desc)
        os._exit(0)
    reply({"kind": "ready", "names": sorted(n for n in vars(module) if not n.startswith("__"))})

    while True:
        try:
            req = wire.load_request(wire.recv_frame(sock))
        except (EOFError, OSError):
            os._exit(0)
        if req[0] == "bye":
            os._exit(0)
        try:
            reply(_serve(req, module, table, keep))
        except BaseException as e:  # noqa: BLE001
            reply(_describe(e, cfg.user_file))


def _move(value: Any, device: str, inputs: list) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        moved = value.to(device) if device != "cpu" else value
        inputs.append((moved, moved.clone()))
        return moved
    if isinstance(value, list):
        return [_move(v, device, inputs) for v in value]
    if isinstance(value, tuple):
        return tuple(_move(v, device, inputs) for v in value)
    if isinstance(value, dict):
        return {k: _move(v, device, inputs) for k, v in value.items()}
    return value


def _resolve_refs(value: Any, table: dict) -> Any:
    if isinstance(value, wire.RemoteRef):
        return table[value.id]
    if isinstance(value, wire.WireTensor):
        return wire.tensor_from_wire(value.spec)
    if isinstance(value, list):
        return [_resolve_refs(v, table) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve_refs(v, table) for v in value)
    if isinstance(value, dict):
        return {k: _resolve_refs(v, table) for k, v in value.items()}
    return value


def _same(a, b) -> bool:
    import torch

    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.is_floating_point() or a.is_complex():
        both_nan = torch.isnan(a) & torch.isnan(b)
        return bool(((a == b) | both_nan).all())
    return bool(torch.equal(a, b))


def _serve(req: tuple, module: Any, table: dict, keep) -> dict:
    """One request: ("call"|"getattr"|"grad", target, name, args, kwargs, device, extra)."""
    import torch

    op, target, name, args, kwargs, device, extra = req
    obj = module if target is None else table[target]
    if op == "getattr":
        value = getattr(obj, name)
        return {"kind": "ok", "value": wire.encode(value, keep), "mutated": [], "seconds": 0.0}
    if op == "setattr":
        setattr(obj, name, _move(_resolve_refs(args[0], table), device, []))
        return {"kind": "ok", "value": {"v": None}, "mutated": [], "seconds": 0.0}
    if op == "time":
        # call the target repeatedly and report each call's wall time (for `drill bench`)
        fn = getattr(obj, name) if name else obj
        args = _move(_resolve_refs(args, table), device, [])
        kwargs = _move(_resolve_refs(kwargs, table), device, [])
        from grader.timing import time_calls

        times = time_calls(fn, args, kwargs, device, extra["repeats"], extra["warmup"])
        return {"kind": "ok", "value": wire.encode(times, keep), "mutated": [], "seconds": sum(times)}
    if op == "collect":
        import itertools

        start = time.perf_counter()
        items = list(itertools.islice(obj, extra["limit"]))
        return {"kind": "ok", "value": wire.encode(items, keep), "mutated": [],
                "seconds": time.perf_counter() - start}
    fn = getattr(obj, name) if name else obj
    inputs: list = []
    args = _move(_resolve_refs(args, table), device, inputs)
    kwargs = _move(_resolve_refs(kwargs, table), device, inputs)
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(op == "grad")
    if op == "grad":
        for i in extra.get("wrt", []):
            args[i].requires_grad_(True)
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    seconds = time.perf_counter() - start
    extra_out = {}
    if op == "grad":
        out = result if isinstance(result, torch.Tensor) else result[0]
        grad_out = wire.tensor_from_wire(extra["grad_output"].spec).to(out.device)
        out.backward(grad_out)
        extra_out["input_grads"] = wire.encode([args[i].grad for i in extra.get("wrt", [])], keep)
        if isinstance(fn, torch.nn.Module):
            extra_out["param_grads"] = wire.encode({n: p.grad for n, p in fn.named_parameters()}, keep)
    torch.set_grad_enabled(True)
    mutated = [i for i, (now, before) in enumerate(inputs) if not _same(now.detach(), before)]
    ptrs = frozenset(t.untyped_storage().data_ptr() for t, _ in inputs if t.numel())
    return {"kind": "ok", "value": wire.encode(result, keep, ptrs), "mutated": mutated,
            "seconds": seconds, **extra_out}


# ---------------------------------------------------------------------------------------
# zygote side
# ---------------------------------------------------------------------------------------
def zygote_main(control_fd: int) -> None:
    """Serve fork requests on the control socket until the grader goes away."""
    ctl = socket.socket(fileno=control_fd)
    _set_pdeathsig()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import numpy  # noqa: F401  - used to put tensors on the wire
    import torch  # noqa: F401  - the point of the zygote: children start with torch loaded

    wire.send_frame(ctl, pickle.dumps(("ready", os.getpid())))
    children: dict[int, int | None] = {}
    while True:
        try:
            msg = pickle.loads(wire.recv_frame(ctl))
        except (EOFError, OSError):
            break
        if msg[0] == "spawn":
            cfg: ChildConfig = msg[1]
            parent_end, child_end = socket.socketpair()
            out_r, out_w = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    ctl.close()
                    parent_end.close()
                    os.close(out_r)
                    _child_main(child_end, out_w, cfg)
                except BaseException as e:  # noqa: BLE001 - say what broke, then go
                    try:
                        wire.send_frame(child_end, wire.dump_reply(
                            {"kind": "internal", "message": f"{type(e).__name__}: {e}"[:2000],
                             "traceback": traceback.format_exc()[-4000:]}))
                    except BaseException:  # noqa: BLE001
                        pass
                finally:
                    os._exit(70)
            child_end.close()
            os.close(out_w)
            children[pid] = None
            socket.send_fds(ctl, [struct.pack("!i", pid)], [parent_end.fileno(), out_r])
            parent_end.close()
            os.close(out_r)
        elif msg[0] == "status":
            pid = msg[1]
            status = _reap(pid, children, wait=float(msg[2]))
            wire.send_frame(ctl, pickle.dumps(("status", status)))
        for pid in [p for p, s in children.items() if s is None]:
            _reap(pid, children, wait=0.0)
    for pid, status in children.items():
        if status is None:
            _kill_group(pid)
    os._exit(0)


def _reap(pid: int, children: dict, wait: float) -> int | None:
    if children.get(pid) is not None:
        return children[pid]
    deadline = time.monotonic() + wait
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return children.get(pid)
        if done:
            children[pid] = status
            return status
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def _kill_group(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass


# ---------------------------------------------------------------------------------------
# grader side
# ---------------------------------------------------------------------------------------
class Zygote:
    """A `python -m grader.sandbox` process that forks children on request."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ, PYTORCH_NVML_BASED_CUDA_CHECK="1", PYTHONDONTWRITEBYTECODE="1")
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.sandbox", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
            start_new_session=True)
        theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        self._ready = False

    def wait_ready(self, timeout: float = 120.0) -> None:
        if self._ready:
            return
        self.sock.settimeout(timeout)
        try:
            msg = pickle.loads(wire.recv_frame(self.sock))
        except (EOFError, OSError, socket.timeout) as e:
            raise RuntimeError(f"the grading process could not start: {e}") from None
        finally:
            self.sock.settimeout(None)
        assert msg[0] == "ready"
        self._ready = True

    def spawn(self, cfg: ChildConfig) -> tuple[int, socket.socket, int]:
        with self.lock:
            self.wait_ready()
            wire.send_frame(self.sock, pickle.dumps(("spawn", cfg)))
            msg, fds, _flags, _addr = socket.recv_fds(self.sock, 16, 2)
            (pid,) = struct.unpack("!i", msg)
            return pid, socket.socket(fileno=fds[0]), fds[1]

    def status(self, pid: int, wait: float = 2.0) -> int | None:
        with self.lock:
            wire.send_frame(self.sock, pickle.dumps(("status", pid, wait)))
            return pickle.loads(wire.recv_frame(self.sock))[1]

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


_ZYGOTE: Zygote | None = None


def get_zygote() -> Zygote:
    """The process-wide zygote, started on first use (start it early: it imports torch)."""
    global _ZYGOTE
    if _ZYGOTE is None or not _ZYGOTE.alive:
        _ZYGOTE = Zygote()
    return _ZYGOTE


@dataclass
class _Output:
    kept: bytearray = field(default_factory=bytearray)
    total: int = 0
    over: bool = False


class Child:
    """One child process running the user's module; `request` is one RPC with a deadline."""

    def __init__(self, cfg: ChildConfig, call_timeout: float, zygote: Zygote | None = None):
        self.cfg = cfg
        self.call_timeout = call_timeout
        self.zygote = zygote or get_zygote()
        self.pid, self.sock, out_fd = self.zygote.spawn(cfg)
        self.output = _Output()
        self.dead: Fatal | None = None
        self.violations: list[str] = []
        self._reader = threading.Thread(target=self._drain, args=(out_fd,), daemon=True)
        self._reader.start()
        self.greeting = self._receive(max(call_timeout, 30.0), during="importing your file")

    def _drain(self, fd: int) -> None:
        with os.fdopen(fd, "rb", buffering=0) as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    return
                out = self.output
                out.total += len(chunk)
                room = OUTPUT_KEEP - len(out.kept)
                if room > 0:
                    out.kept += chunk[:room]
                if out.total > OUTPUT_LIMIT and not out.over:
                    out.over = True
                    _kill_group(self.pid)

    @property
    def printed(self) -> str:
        text = self.output.kept.decode("utf-8", "replace")
        if self.output.total > len(self.output.kept):
            text += f"\n... ({self.output.total - len(self.output.kept)} more bytes not shown)"
        return text

    def request(self, msg: tuple, timeout: float | None = None) -> dict:
        if self.dead:
            raise self.dead
        try:
            wire.send_frame(self.sock, wire.dump_request(msg))
        except OSError:
            pass  # the child is gone; _receive says why
        return self._receive(timeout or self.call_timeout, during=f"calling {msg[2] or 'your object'}")

    def _receive(self, timeout: float, during: str) -> dict:
        self.sock.settimeout(timeout)
        try:
            data = wire.recv_frame(self.sock, max_bytes=512 * 1024 * 1024)
            reply = wire.load_reply(data)
            if not isinstance(reply, dict) or "kind" not in reply:
                raise ValueError("malformed reply")
        except socket.timeout:
            _kill_group(self.pid)
            self.dead = Fatal(f"time limit: {during} took longer than {timeout:g} s (an infinite loop?); "
                              "the process was stopped", reason="timeout")
            raise self.dead from None
        except (EOFError, OSError) as e:
            _kill_group(self.pid)
            self.dead = self._death(during, e)
            raise self.dead from None
        except Exception as e:  # noqa: BLE001 - a reply that is not ours
            _kill_group(self.pid)
            self.dead = Fatal(f"tampering: the process sent a malformed reply while {during} ({type(e).__name__}); "
                              "did your code write to file descriptors it does not own?", reason="crash")
            raise self.dead from None
        new = [v for v in reply.get("violations", []) if v not in self.violations]
        self.violations.extend(new)
        if new:
            self.dead = ForbiddenUsed("forbidden: " + "; ".join(new))
            _kill_group(self.pid)
            raise self.dead
        return reply

    def _death(self, during: str, err: Exception) -> Fatal:
        if self.output.over:
            return Fatal(f"output limit: your code printed more than {OUTPUT_LIMIT // (1024 * 1024)} MB; "
                         "the process was stopped", reason="output")
        status = self.zygote.status(self.pid, wait=2.0)
        if status is None:
            return Fatal(f"the process stopped answering while {during} ({err})", reason="crash")
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            return Fatal(f"the process exited with code {code} while {during}: os._exit() or a similar "
                         "call ended it; a drill's code must return its result, never exit", reason="exit")
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXCPU:
            return Fatal(f"CPU time limit ({self.cfg.cpu_seconds} s) reached while {during}", reason="timeout")
        if sig == signal.SIGKILL:
            return Fatal(f"memory limit: the process was killed (SIGKILL) while {during}, probably by the memory "
                         f"cap ({self.cfg.memory_mb} MB) or the system's OOM killer", reason="memory")
        return Fatal(f"the process crashed with {name} while {during} (a native crash, e.g. deep "
                     "recursion or an out-of-bounds index in a C extension)", reason="crash")

    def close(self) -> None:
        if not self.dead:
            try:
                wire.send_frame(self.sock, wire.dump_request(("bye", None, None, None, None, None, None)))
            except OSError:
                pass
        _kill_group(self.pid)
        self.sock.close()
        try:
            self.zygote.status(self.pid, wait=1.0)
        except (OSError, EOFError):
            pass
        self._reader.join(timeout=1.0)


if __name__ == "__main__":
    zygote_main(int(sys.argv[1]))
