"""The beam search reference against independent formulations.

- a wide enough beam equals exhaustive search over all finished sequences (enumerated here);
- beam_size = 1 equals greedy decoding;
- a hand-unrolled trace of the prompt's example, with the numbers the prompt states;
- an independent implementation in the style of the CS224n NMT assignment (tensor topk over
  the flattened (beam, token) scores, live_hyp_num = beam_size - len(completed)).
"""
import importlib.util
import itertools
import math
from pathlib import Path

import pytest
import torch

_path = Path(__file__).resolve().parent.parent / "solutions" / "beam_search.py"
_spec = importlib.util.spec_from_file_location("ref_beam_search_under_test", _path)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def table(V, seed, eos=None, boost=0.0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(V, V, generator=g, dtype=torch.float64) * 1.5
    if eos is not None:
        logits[:, eos] += boost
    return torch.log_softmax(logits, dim=-1)


def seq_score(lp, bos, tokens, alpha):
    total, last = 0.0, bos
    for v in tokens:
        total, last = total + lp[last, v].item(), v
    return total / len(tokens) ** alpha


def exhaustive(lp, bos, eos, max_len, alpha):
    others = [v for v in range(lp.shape[0]) if v != eos]
    seqs = [list(p) + [eos] for n in range(1, max_len + 1) for p in itertools.product(others, repeat=n - 1)]
    best = max(seqs, key=lambda s: seq_score(lp, bos, s, alpha))
    return best, seq_score(lp, bos, best, alpha)


def cs224n_style(lp, bos, eos, beam_size, max_len, alpha):
    hyps, hyp_scores, completed = [[bos]], torch.zeros(1, dtype=torch.float64), []
    t = 0
    while len(completed) < beam_size and t < max_len:
        t += 1
        live_hyp_num = beam_size - len(completed)
        last = torch.tensor([h[-1] for h in hyps])
        cont = (hyp_scores.unsqueeze(1) + lp[last]).view(-1)
        top_scores, top_pos = torch.topk(cont, k=min(live_hyp_num, cont.numel()))
        new_hyps, new_scores = [], []
        for pos, score in zip(top_pos.tolist(), top_scores.tolist()):
            h = hyps[pos // lp.shape[0]] + [pos % lp.shape[0]]
            if h[-1] == eos:
                completed.append((h[1:], score))
            else:
                new_hyps.append(h)
                new_scores.append(score)
        if not new_hyps:
            break
        hyps, hyp_scores = new_hyps, torch.tensor(new_scores, dtype=torch.float64)
    if not completed:
        completed = [(h[1:], s) for h, s in zip(hyps, hyp_scores.tolist())]
    tokens, s = max(completed, key=lambda c: c[1] / len(c[0]) ** alpha)
    return tokens, s / len(tokens) ** alpha


@pytest.mark.parametrize("V,max_len,alpha,seed", [(3, 4, 1.0, 0), (4, 3, 0.0, 1), (5, 3, 0.6, 2), (4, 4, 2.0, 3),
                                                  (2, 4, 1.0, 4)])
def test_wide_beam_is_exhaustive(V, max_len, alpha, seed):
    eos, bos = 0, V - 1
    lp = table(V, seed)
    wide = sum(V * (V - 1) ** (s - 1) for s in range(1, max_len + 1))
    tokens, score = ref.beam_search(lp, bos, eos, wide, max_len, alpha)
    want_tokens, want_score = exhaustive(lp, bos, eos, max_len, alpha)
    assert tokens == want_tokens and math.isclose(score, want_score, rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_beam_one_is_greedy(seed):
    lp = table(6, seed, eos=2, boost=-0.5)
    tokens, last = [], 4
    while len(tokens) < 5 and (not tokens or tokens[-1] != 2):
        last = int(lp[last].argmax())
        tokens.append(last)
    got = ref.beam_search(lp, 4, 2, 1, 5, 0.0)
    assert got[0] == tokens and math.isclose(got[1], seq_score(lp, 4, tokens, 0.0), rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_matches_cs224n_style_search(seed):
    g = torch.Generator().manual_seed(1000 + seed)
    V = int(torch.randint(3, 8, (1,), generator=g))
    eos, bos = int(torch.randint(0, V, (1,), generator=g)), int(torch.randint(0, V, (1,), generator=g))
    beam, max_len = int(torch.randint(1, 6, (1,), generator=g)), int(torch.randint(1, 7, (1,), generator=g))
    alpha = [0.0, 0.6, 1.0, 1.5][seed % 4]
    lp = table(V, seed, eos=eos, boost=[0.0, 1.0, -1.0][seed % 3])
    got = ref.beam_search(lp, bos, eos, beam, max_len, alpha)
    want = cs224n_style(lp, bos, eos, beam, max_len, alpha)
    assert got[0] == want[0] and math.isclose(got[1], want[1], rel_tol=1e-12)
    assert isinstance(got[1], float) and all(type(v) is int for v in got[0])


def test_prompt_example():
    P = torch.tensor([[.25, .25, .25, .25], [.60, .10, .25, .05], [.10, .10, .75, .05], [.30, .40, .25, .05]],
                     dtype=torch.float64)
    tokens, score = ref.beam_search(P.log(), bos_id=3, eos_id=0, beam_size=2, max_len=3)
    assert tokens == [1, 0] and round(score, 4) == -0.7136
    assert math.isclose(score, (math.log(.4) + math.log(.6)) / 2, rel_tol=1e-12)
    tokens, score = ref.beam_search(P.log(), bos_id=3, eos_id=0, beam_size=2, max_len=3, length_penalty=0.0)
    assert tokens == [0] and round(score, 4) == -1.2040


def test_unfinished_only_when_nothing_finished():
    # EOS is (almost) impossible: the answer is the best cut-off hypothesis of max_len tokens
    lp = table(4, 7, eos=1, boost=-60.0)
    tokens, _ = ref.beam_search(lp, 0, 1, 3, 4)
    assert len(tokens) == 4 and 1 not in tokens
