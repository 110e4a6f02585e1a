"""The sampling reference against independent formulations.

- filter_logits equals a plain per-row Python loop over the sorted vocabulary, and Hugging
  Face's warper formulation (TopK then TopP: ascending sort, remove where the cumulative
  mass is <= 1 - p), on random rows with p away from every cumulative mass;
- sampling draws from the filtered distribution (frequencies over 200k draws), is greedy at
  temperature 0 and is reproducible from the generator;
- the prompt's example has the numbers it states.
"""
import importlib.util
import math
from pathlib import Path

import pytest
import torch

_path = Path(__file__).resolve().parent.parent / "solutions" / "sampling.py"
_spec = importlib.util.spec_from_file_location("ref_sampling_under_test", _path)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

NEG = float("-inf")


def loop_filter(row, temperature, top_k, top_p):
    """One row, plain Python: the prompt's rules read literally."""
    scores = [x / temperature for x in row]
    keep = [True] * len(scores)
    if top_k is not None and top_k < len(scores):
        kth = sorted(scores, reverse=True)[top_k - 1]
        keep = [s >= kth for s in scores]
    if top_p is not None and top_p < 1.0:
        m = max(s for s, k in zip(scores, keep) if k)
        w = [math.exp(s - m) if k else 0.0 for s, k in zip(scores, keep)]
        z = sum(w)
        mass = 0.0
        for v in sorted(range(len(scores)), key=lambda v: -w[v]):
            if mass >= top_p:
                keep[v] = False
            mass += w[v] / z
    return [s if k else NEG for s, k in zip(scores, keep)]


def hf_filter(logits, temperature, top_k, top_p):
    """transformers' TemperatureLogitsWarper -> TopKLogitsWarper -> TopPLogitsWarper, re-typed."""
    scores = logits / temperature
    if top_k is not None:
        top_k = min(top_k, scores.size(-1))
        indices_to_remove = scores < torch.topk(scores, top_k)[0][..., -1, None]
        scores = scores.masked_fill(indices_to_remove, NEG)
    if top_p is not None and top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        sorted_indices_to_remove = cumulative_probs <= (1 - top_p)
        sorted_indices_to_remove[..., -1:] = 0
        indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
        scores = scores.masked_fill(indices_to_remove, NEG)
    return scores


def safe(logits, temperature, top_k, p):
    """Is p at least 1e-4 away from every cumulative mass (so the answer is not a rounding call)?"""
    s = hf_filter(logits.double(), temperature, top_k, None)
    c = s.softmax(-1).sort(-1, descending=True).values.cumsum(-1)
    return bool(((c - p).abs() >= 1e-4).all())


CASES = [(t, k, p) for t in (1.0, 0.5, 2.0) for k in (None, 1, 3, 7) for p in (None, 0.3, 0.75, 0.95)]


@pytest.mark.parametrize("temperature,top_k,top_p", CASES)
def test_filter_matches_loop_and_hf(temperature, top_k, top_p):
    g = torch.Generator().manual_seed(hash((temperature, top_k, top_p)) % 1000)
    logits = torch.randn(6, 9, generator=g, dtype=torch.float64) * 2
    if top_p is not None and not safe(logits, temperature, top_k, top_p):
        pytest.skip("p too close to a cumulative mass for these rows")
    got = ref.filter_logits(logits, temperature, top_k, top_p)
    want = torch.tensor([loop_filter(r, temperature, top_k, top_p) for r in logits.tolist()], dtype=torch.float64)
    assert torch.equal(torch.isneginf(got), torch.isneginf(want))
    torch.testing.assert_close(got, want)
    assert torch.equal(got, hf_filter(logits, temperature, top_k, top_p))


def test_top_k_keeps_ties_with_the_kth():
    logits = torch.tensor([[1.0, 3.0, 3.0, 0.0, 2.0]])
    assert ref.filter_logits(logits, top_k=1).tolist() == [[NEG, 3.0, 3.0, NEG, NEG]]
    assert ref.filter_logits(logits, top_k=3).tolist() == [[NEG, 3.0, 3.0, NEG, 2.0]]
    assert ref.filter_logits(logits, top_k=9).tolist() == logits.tolist()


def test_prompt_examples():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]])
    assert [round(x, 3) for x in logits.softmax(-1)[0].tolist()] == [0.644, 0.237, 0.087, 0.032]
    assert ref.filter_logits(logits, top_k=2).tolist() == [[2.0, 1.0, NEG, NEG]]
    assert ref.filter_logits(logits, top_p=0.8).tolist() == [[2.0, 1.0, NEG, NEG]]
    assert ref.filter_logits(logits, top_p=0.5).tolist() == [[2.0, NEG, NEG, NEG]]
    assert ref.filter_logits(logits, 2.0, top_p=0.8).tolist() == [[1.0, 0.5, 0.0, NEG]]
    assert [round(x, 3) for x in (logits / 2).softmax(-1)[0].tolist()] == [0.455, 0.276, 0.167, 0.102]
    assert ref.sample(logits, torch.Generator().manual_seed(0), top_k=2).item() in (0, 1)


def test_samples_follow_the_filtered_distribution():
    logits = torch.tensor([[1.5, 0.3, -0.2, 0.9, -1.0, 0.0]])
    N = 200_000
    out = ref.sample(logits.expand(N, -1), torch.Generator().manual_seed(3), temperature=0.8, top_k=4, top_p=0.9)
    probs = ref.filter_logits(logits.double(), 0.8, 4, 0.9).softmax(-1)[0]
    counts = torch.bincount(out, minlength=6).double()
    sigma = (N * probs * (1 - probs)).sqrt()
    assert ((counts - N * probs).abs() <= 5 * sigma + 1).all(), (counts, N * probs)
    assert counts[probs == 0].sum() == 0


def test_greedy_and_reproducible():
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(32, 10, generator=g)
    assert torch.equal(ref.sample(logits, g, temperature=0), logits.argmax(-1))
    assert torch.equal(ref.sample(logits, g, temperature=1.3, top_k=1), logits.argmax(-1))
    a = ref.sample(logits, torch.Generator().manual_seed(11), temperature=1.2, top_p=0.9)
    b = ref.sample(logits, torch.Generator().manual_seed(11), temperature=1.2, top_p=0.9)
    assert torch.equal(a, b) and a.dtype == torch.int64 and a.shape == (32,)


def test_generator_crosses_the_wire_with_its_state():
    import pickle

    g = torch.Generator().manual_seed(7)
    torch.rand(5, generator=g)
    h = pickle.loads(pickle.dumps(g))
    assert torch.equal(torch.rand(4, generator=g), torch.rand(4, generator=h))
