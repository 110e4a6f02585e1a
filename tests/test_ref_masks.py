"""The masks reference agrees with torch's own causal biases and with SDPA's masking."""
import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention.bias import causal_lower_right, causal_upper_left

_path = Path(__file__).resolve().parent.parent / "solutions" / "masks.py"
_spec = importlib.util.spec_from_file_location("ref_masks_under_test", _path)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


@pytest.mark.parametrize("lq,lk", [(1, 1), (1, 7), (3, 5), (5, 5), (4, 9)])
def test_causal_mask_is_torchs_lower_right_bias(lq, lk):
    want = causal_lower_right(lq, lk)._materialize(torch.device("cpu"))
    got = ref.causal_mask(lq, lk)
    assert got.dtype == torch.bool and torch.equal(got, want)


def test_square_causal_mask_is_upper_left_too_and_matches_is_causal():
    assert torch.equal(ref.causal_mask(6), causal_upper_left(6, 6)._materialize(torch.device("cpu")))
    q, k, v = torch.randn(3, 2, 2, 6, 4, generator=torch.Generator().manual_seed(0)).unbind(0)
    assert torch.allclose(F.scaled_dot_product_attention(q, k, v, attn_mask=ref.causal_mask(6)),
                          F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-6)


def test_more_queries_than_keys_follows_the_same_rule():
    got = ref.causal_mask(5, 3)
    i = torch.arange(5)[:, None]
    j = torch.arange(3)[None, :]
    assert torch.equal(got, j <= i + (3 - 5))
    assert not got[:2].any()


def test_padding_masks_agree_with_cumsum_formulations():
    lengths = torch.tensor([0, 3, 5, 1])
    ones = torch.ones(4, 5, dtype=torch.long)
    # right: slot j real iff j < length; left: the same counted from the end
    assert torch.equal(ref.padding_mask_from_lengths(lengths, 5), ones.cumsum(-1) <= lengths[:, None])
    assert torch.equal(ref.padding_mask_from_lengths(lengths, 5, left_padded=True),
                       ones.flip(-1).cumsum(-1).flip(-1) <= lengths[:, None])
    ids = torch.tensor([[0, 0, 7, 8], [5, 0, 6, 0]])
    assert torch.equal(ref.padding_mask_from_ids(ids, 0), ids.bool())


def test_prompt_examples():
    t, f = True, False
    assert ref.padding_mask_from_lengths(torch.tensor([2, 3]), 4).tolist() == [[t, t, f, f], [t, t, t, f]]
    assert ref.padding_mask_from_lengths(torch.tensor([2, 3]), 4, left_padded=True).tolist() == [[f, f, t, t], [f, t, t, t]]
    assert ref.causal_mask(2, 4).tolist() == [[t, t, t, f], [t, t, t, t]]
    out = ref.attention_mask(torch.tensor([[f, t, t, t]]), lq=2)
    assert out.shape == (1, 1, 2, 4) and out.tolist() == [[[[f, t, t, f], [f, t, t, t]]]]


@pytest.mark.parametrize("left", [False, True])
def test_attention_mask_in_sdpa_equals_per_sequence_attention_without_padding(left):
    # Each sequence attended alone, unpadded, must give the outputs at its real tokens.
    g = torch.Generator().manual_seed(1)
    B, H, L, D = 3, 2, 6, 4
    lengths = torch.tensor([6, 2, 4])
    q, k, v = torch.randn(3, B, H, L, D, generator=g, dtype=torch.float64).unbind(0)
    real = ref.padding_mask_from_lengths(lengths, L, left_padded=left)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=ref.attention_mask(real))
    for b in range(B):
        idx = real[b].nonzero().flatten()
        alone = F.scaled_dot_product_attention(q[b:b + 1, :, idx], k[b:b + 1, :, idx], v[b:b + 1, :, idx],
                                               is_causal=True)
        assert torch.allclose(out[b:b + 1, :, idx], alone, atol=1e-12)


def test_decoding_mask_is_the_last_rows_of_the_full_mask():
    kp = torch.tensor([[False, False, True, True, True], [True, True, True, True, False]])
    full = ref.attention_mask(kp)
    for lq in range(1, 6):
        assert torch.equal(ref.attention_mask(kp, lq=lq), full[:, :, -lq:])


def test_non_causal_mask_has_the_full_shape():
    kp = torch.tensor([[True, False, True]])
    out = ref.attention_mask(kp, lq=5, causal=False)
    assert out.shape == (1, 1, 5, 3) and bool((out == kp[:, None, None, :]).all())
