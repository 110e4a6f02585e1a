"""assert_close: exact shapes and dtypes, infinities matched exactly, readable messages."""
import pytest
import torch

from grader.compare import assert_close, is_close
from grader.failures import Mismatch


def test_finite_where_minus_inf_expected_is_a_mismatch():
    assert not is_close(torch.tensor([0.0, 5.0]), torch.tensor([0.0, float("-inf")]))
    with pytest.raises(Mismatch, match="should be -inf"):
        assert_close(torch.tensor([0.0, 5.0]), torch.tensor([0.0, float("-inf")]))


def test_matching_infinities_and_nans_pass():
    t = torch.tensor([float("-inf"), 1.0, float("inf")])
    assert is_close(t.clone(), t)
    assert is_close(torch.tensor([float("nan")]), torch.tensor([float("nan")]))


def test_inf_where_finite_expected_is_a_mismatch():
    assert not is_close(torch.tensor([float("inf")]), torch.tensor([1.0]))


def test_shapes_are_never_broadcast():
    with pytest.raises(Mismatch, match="shape"):
        assert_close(torch.zeros(1, 3), torch.zeros(2, 3))


def test_dtype_is_checked():
    with pytest.raises(Mismatch, match="dtype"):
        assert_close(torch.zeros(3, dtype=torch.float64), torch.zeros(3))


def test_message_names_the_worst_element():
    want = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    got = want.clone()
    got[1, 0] = 3.5
    with pytest.raises(Mismatch, match=r"index \(1, 0\): expected 3, got 3.5"):
        assert_close(got, want)


def test_tolerance_depends_on_dtype():
    a = torch.tensor([1.0])
    assert is_close((a + 5e-3).half(), a.half())        # within fp16 tolerance
    assert not is_close(a + 5e-3, a)                    # not within fp32 tolerance


def test_nested_values_and_non_tensors():
    assert is_close({"a": [1, (2.0, b"x")]}, {"a": [1, (2.0, b"x")]})
    assert not is_close([1, 2], [1, 2, 3])
    assert not is_close(None, torch.zeros(1))
