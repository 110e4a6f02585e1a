"""The wire between the grader and the child process running the user's code.

Child -> parent messages hold only plain containers, numbers, strings and bytes (a
tensor travels as dtype name, shape and raw bytes) and are read with an unpickler that
refuses every global: whatever the user's code does to the child, it cannot make the
grader run code by answering. Parent -> child requests are plain pickle (the parent is
trusted).

Values crossing the wire are encoded as marker dicts, so that a user's own dict can
never pass for a marker:
    {"t": ["float32", [2, 3], b"..."], "dev": "cpu", "alias": False}   a plain tensor
    {"d": [[key, value], ...]}                      a dict
    {"l": [...]} / {"u": [...]}                      a list / a tuple
    {"h": id, "type": "RMSNorm", "callable": True}   an object left in the child (a handle)
    {"v": 3}                                          an int, float, bool, str, bytes or None
    {"dt": "float32"}                                 a torch.dtype
    {"bad": "why"}                                    something that cannot be returned
"""
from __future__ import annotations

import io
import pickle
import struct
from dataclasses import dataclass
from typing import Any, Callable

_LEN = struct.Struct("!Q")
SCALARS = (int, float, bool, str, bytes, type(None))


@dataclass(frozen=True)
class RemoteRef:
    """An object that lives in the child, named by its handle id (used in requests)."""
    id: int


@dataclass(frozen=True)
class WireTensor:
    """A tensor in a request: [dtype name, shape, raw bytes] (much faster than torch's pickling)."""
    spec: tuple


def send_frame(sock, payload: bytes) -> None:
    sock.sendall(_LEN.pack(len(payload)) + payload)


def recv_exact(sock, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv_frame(sock, max_bytes: int = 1 << 30) -> bytes:
    (n,) = _LEN.unpack(recv_exact(sock, _LEN.size))
    if n > max_bytes:
        raise ValueError(f"message of {n} bytes is over the {max_bytes}-byte limit")
    return recv_exact(sock, n)


def dump_request(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def load_request(data: bytes) -> Any:
    return pickle.loads(data)


def dump_reply(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"refused: a reply may not name {module}.{name}")


def load_reply(data: bytes) -> Any:
    """Safe: only containers, numbers, strings and bytes can come out of this."""
    return _NoGlobals(io.BytesIO(data)).load()


def tensor_to_wire(t) -> list:
    """[dtype name, shape, raw bytes] of a CPU tensor."""
    import torch

    t = t.detach().to("cpu").contiguous()
    name = str(t.dtype).removeprefix("torch.")
    raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""  # reshape: 0-dim tensors too
    return [name, list(t.shape), raw]


def tensor_from_wire(spec) -> Any:
    import torch

    if not (isinstance(spec, (list, tuple)) and len(spec) == 3):
        raise BadReturn("malformed tensor in the child's reply")
    name, shape, raw = spec
    dtype = getattr(torch, str(name), None)
    if not isinstance(dtype, torch.dtype) or not isinstance(raw, bytes) or not all(isinstance(s, int) for s in shape):
        raise BadReturn("malformed tensor in the child's reply")
    n = 1
    for s in shape:
        n *= s
    if len(raw) != n * dtype.itemsize:
        raise BadReturn("malformed tensor in the child's reply (size)")
    if n == 0:
        return torch.empty(tuple(shape), dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=dtype).reshape(tuple(shape))


def encode(value: Any, keep: Callable[[Any], int], input_ptrs: frozenset[int] = frozenset(), depth: int = 0) -> Any:
    """Turn a returned value into wire markers (runs in the child).

    `keep(obj)` stores an object that cannot cross the wire and returns its handle id.
    """
    import torch

    if depth > 50:
        return {"bad": "the returned value is nested more than 50 levels deep"}
    t = type(value)
    if t is torch.Tensor or t is torch.nn.Parameter:
        if value.device.type == "meta":
            return {"bad": "returned a tensor on the meta device (it has no data); compute real values"}
        if value.is_sparse or value.layout != torch.strided:
            return {"bad": f"returned a {value.layout} tensor; return a dense (strided) tensor"}
        alias = value.untyped_storage().data_ptr() in input_ptrs if value.numel() else False
        return {"t": tensor_to_wire(value), "dev": str(value.device), "alias": alias, "rg": bool(value.requires_grad)}
    if isinstance(value, torch.Tensor):
        return {"bad": f"returned a {t.__name__}, a subclass of torch.Tensor; return a plain torch.Tensor"}
    if t in SCALARS:
        return {"v": value}
    if t is torch.dtype:
        return {"dt": str(value).removeprefix("torch.")}
    if t in (list, tuple):
        return {"l" if t is list else "u": [encode(v, keep, input_ptrs, depth + 1) for v in value]}
    if isinstance(value, dict) and all(type(k) in SCALARS for k in value):
        return {"d": [[k, encode(v, keep, input_ptrs, depth + 1)] for k, v in value.items()]}
    return {"h": keep(value), "type": t.__name__, "callable": callable(value)}


class BadReturn(Exception):
    """The user's code returned something that cannot be graded."""


def decode(marker: Any, make_handle: Callable[[dict], Any], device: str | None = None,
           meta: list | None = None) -> Any:
    """Turn wire markers back into values (runs in the parent). Tensors go to `device`.

    When `meta` is a list, (tensor, original_device, alias) triples are appended to it.
    """
    import torch

    if not isinstance(marker, dict) or len(marker) == 0:
        raise BadReturn(f"malformed reply from the child process: {type(marker).__name__}")
    if "t" in marker:
        tensor = tensor_from_wire(marker["t"])
        out = tensor.to(device) if device and device != "cpu" else tensor
        if meta is not None:
            meta.append((out, str(marker.get("dev")), bool(marker.get("alias"))))
        return out
    if "v" in marker:
        return marker["v"]
    if "dt" in marker:
        return getattr(torch, str(marker["dt"]))
    if "l" in marker:
        return [decode(v, make_handle, device, meta) for v in marker["l"]]
    if "u" in marker:
        return tuple(decode(v, make_handle, device, meta) for v in marker["u"])
    if "d" in marker:
        return {k: decode(v, make_handle, device, meta) for k, v in marker["d"]}
    if "h" in marker:
        return make_handle(marker)
    if "bad" in marker:
        raise BadReturn(str(marker["bad"]))
    raise BadReturn(f"malformed reply from the child process: keys {sorted(marker)}")
