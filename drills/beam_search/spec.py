"""Properties of beam_search.

V, max_len and beam_size are drawn separately; bos_id and eos_id are random tokens (equal
now and then, as in GPT-2), and the EOS column of the table gets a drawn boost so that
hypotheses finish at every length. Besides the reference, the search is checked against
two independent answers computed here: exhaustive search (a beam wide enough never
prunes) and greedy decoding (beam_size = 1).
"""
import itertools

from hypothesis import strategies as st

from grader.compare import describe, tolerance
from grader.props import prop

PENALTIES = (1.0, 0.0, 0.6, 1.5, 2.0)


# -- helpers ---------------------------------------------------------------------------
def draw_model(t, v_range=(3, 7), len_range=(1, 6)):
    """A bigram table (V, V) of log-probs in t's dtype, and bos/eos/max_len."""
    import torch

    V = t.draw(st.integers(*v_range), "V")
    max_len = t.draw(st.integers(*len_range), "max_len")
    bos = t.draw(st.integers(0, V - 1), "bos_id")
    eos = t.draw(st.one_of(st.integers(0, V - 1), st.just(bos)), "eos_id")
    scale = t.draw(st.sampled_from((1.0, 2.0, 0.5)), "scale of the logits")
    boost = t.draw(st.sampled_from((0.0, 1.0, 2.0, -1.0)), "added to the EOS logits")
    logits = t.tensor((V, V), scale=scale, dtype="float64", label="logits")
    logits[:, eos] += boost
    table = torch.log_softmax(logits, dim=-1).to(t.dtype)  # rows are log-distributions
    return table, bos, eos, max_len


def call_text(bos, eos, beam, max_len, lp):
    return f"beam_search(log_probs, bos_id={bos}, eos_id={eos}, beam_size={beam}, max_len={max_len}, " \
           f"length_penalty={lp})"


def final_score(table, bos, tokens, lp):
    """Sum of log-probs along BOS -> tokens, over len(tokens) ** lp (float64)."""
    total, last = 0.0, bos
    for v in tokens:
        total += float(table[last, v])
        last = v
    return total / len(tokens) ** lp


def expect_answer(t, got, call, V):
    ok = (isinstance(got, (tuple, list)) and len(got) == 2 and isinstance(got[0], list)
          and all(isinstance(v, int) and not isinstance(v, bool) for v in got[0])
          and isinstance(got[1], float))
    t.check(ok, f"{call} should return (tokens, score): a list of Python ints and a Python float; it returned "
                f"{describe(got)}" + (f" holding {describe(got[0])} and {describe(got[1])}"
                                      if isinstance(got, (tuple, list)) and len(got) == 2 else ""))
    t.check(1 <= len(got[0]) and all(0 <= v < V for v in got[0]),
            f"{call} returned tokens {got[0]}: expected at least one token, each in 0..{V - 1}")


def assert_answer(t, got, want, call, dtype):
    if list(got[0]) != list(want[0]):
        t.assert_close(list(got[0]), list(want[0]),
                       what=f"{call}: expected tokens {list(want[0])} (score {want[1]:.6g}), got {list(got[0])} "
                            f"(score {got[1]:.6g}); tokens")
    rtol, atol = tolerance(dtype)
    t.assert_close(got[1], float(want[1]), rtol=rtol, atol=atol,
                   what=f"{call}: score of tokens {list(want[0])}")


def draw_call(t, beams=(1, 5)):
    beam = t.draw(st.integers(*beams), "beam_size")
    lp = t.draw(st.sampled_from(PENALTIES), "length_penalty")
    kw = {} if lp == 1.0 and t.draw(st.booleans(), "leave length_penalty to its default") else {"length_penalty": lp}
    return beam, lp, kw


# -- properties ------------------------------------------------------------------------
@prop("beam_search equals the reference (tokens and score)", dtypes=("float64", "float32"), weight=2)
def matches_reference(t):
    table, bos, eos, max_len = draw_model(t)
    beam, lp, kw = draw_call(t)
    call = call_text(bos, eos, beam, max_len, lp)
    got = t.impl.beam_search(table, bos, eos, beam, max_len, **kw)
    expect_answer(t, got, call, table.shape[0])
    want = t.ref.beam_search(table, bos, eos, beam, max_len, **kw)
    assert_answer(t, got, want, call, table.dtype)


@prop("the score is the sum of the returned tokens' log-probs / length^length_penalty (0: the raw sum); "
      "EOS only at the end, and a hypothesis without EOS has max_len tokens")
def score_matches_the_tokens(t):
    table, bos, eos, max_len = draw_model(t)
    beam, lp, kw = draw_call(t)
    if t.draw(st.booleans(), "length_penalty=0"):
        lp, kw = 0.0, {"length_penalty": 0.0}
    call = call_text(bos, eos, beam, max_len, lp)
    got = t.impl.beam_search(table, bos, eos, beam, max_len, **kw)
    expect_answer(t, got, call, table.shape[0])
    tokens = got[0]
    t.check(eos not in tokens[:-1], f"{call} returned {tokens}: a hypothesis ends at its first EOS ({eos}); "
                                    f"nothing may follow it")
    t.check(len(tokens) <= max_len, f"{call} returned {len(tokens)} tokens {tokens}; at most max_len={max_len}")
    t.check(tokens[-1] == eos or len(tokens) == max_len,
            f"{call} returned {tokens}, which neither ends in EOS ({eos}) nor has max_len={max_len} tokens")
    want = final_score(table.double(), bos, tokens, lp)
    rtol, atol = tolerance(table.dtype)
    t.assert_close(got[1], want, rtol=rtol, atol=atol,
                   what=f"{call}: the score of the returned tokens {tokens} "
                        f"(sum of log-probs from BOS={bos} on, over {len(tokens)} ** {lp})")


def exhaustive(table, bos, eos, max_len, lp):
    """Best (tokens, score) over every sequence that ends at its first EOS, length <= max_len."""
    V = table.shape[0]
    others = [v for v in range(V) if v != eos]
    best = None
    for n in range(1, max_len + 1):
        for prefix in itertools.product(others, repeat=n - 1):
            tokens = list(prefix) + [eos]
            s = final_score(table, bos, tokens, lp)
            if best is None or s > best[1]:
                best = (tokens, s)
    return best


@prop("with a beam wide enough to never prune, beam search is exhaustive search over all finished sequences",
      dtypes=("float64",))
def wide_beam_is_exhaustive(t):
    table, bos, eos, max_len = draw_model(t, v_range=(2, 5), len_range=(1, 4))
    V = table.shape[0]
    lp = t.draw(st.sampled_from(PENALTIES), "length_penalty")
    # Without pruning, step s extends the (V-1)^(s-1) live prefixes of length s-1 by V tokens.
    # A beam at least as large as all candidates of all steps keeps every one of them (and
    # never has beam_size finished, which would stop the search), so every sequence that ends
    # at its first EOS within max_len is found, and the final choice is a max over all of them.
    wide = sum(V * (V - 1) ** (s - 1) for s in range(1, max_len + 1))
    call = call_text(bos, eos, wide, max_len, lp)
    got = t.impl.beam_search(table, bos, eos, wide, max_len, length_penalty=lp)
    expect_answer(t, got, call, V)
    want = exhaustive(table, bos, eos, max_len, lp)
    assert_answer(t, got, want, call + " vs exhaustive search", table.dtype)


def greedy(table, bos, eos, max_len, lp):
    tokens, last = [], bos
    while len(tokens) < max_len and (not tokens or tokens[-1] != eos):
        last = int(table[last].argmax())
        tokens.append(last)
    return tokens, final_score(table, bos, tokens, lp)


@prop("beam_size=1 is greedy decoding (argmax until EOS or max_len)", dtypes=("float64",))
def beam_one_is_greedy(t):
    table, bos, eos, max_len = draw_model(t)
    lp = t.draw(st.sampled_from(PENALTIES), "length_penalty")
    call = call_text(bos, eos, 1, max_len, lp)
    got = t.impl.beam_search(table, bos, eos, 1, max_len, length_penalty=lp)
    expect_answer(t, got, call, table.shape[0])
    assert_answer(t, got, greedy(table, bos, eos, max_len, lp), call + " vs greedy decoding", table.dtype)
