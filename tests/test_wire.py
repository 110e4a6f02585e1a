"""The wire format: every tensor kind round-trips; a reply cannot name a global."""
import pickle

import pytest
import torch

from grader import wire


@pytest.mark.parametrize("t", [
    torch.tensor(3.5), torch.tensor(True), torch.zeros(0, 3), torch.randn(2, 3).bfloat16(),
    torch.randn(2, 3).half(), torch.arange(7)[::2], torch.ones(2, 2, dtype=torch.bool),
    torch.randn(3, 4, dtype=torch.float64).t(), torch.tensor([1 + 2j]),
], ids=lambda t: f"{t.dtype}-{tuple(t.shape)}")
def test_tensors_round_trip(t):
    back = wire.tensor_from_wire(wire.tensor_to_wire(t))
    assert back.shape == t.shape and back.dtype == t.dtype and torch.equal(back, t.contiguous())


def test_a_reply_naming_a_global_is_refused():
    evil = pickle.dumps(print)  # any global: a crafted reply could name os.system the same way
    with pytest.raises(pickle.UnpicklingError):
        wire.load_reply(evil)


def test_markers_cannot_be_forged_by_user_dicts():
    value = {"t": "not a tensor", "h": 1}
    encoded = wire.encode(value, keep=lambda o: 0)
    assert wire.decode(wire.load_reply(wire.dump_reply(encoded)), make_handle=None) == value


def test_a_malformed_tensor_is_rejected():
    with pytest.raises(wire.BadReturn):
        wire.tensor_from_wire(["float32", [2, 2], b"\x00" * 3])
    with pytest.raises(wire.BadReturn):
        wire.tensor_from_wire(["os.system", [1], b"\x00" * 4])
