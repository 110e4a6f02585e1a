"""Properties of mask_tokens.

The order of random draws is the user's choice, so nothing is compared token by token
with the reference. Structure is checked exactly on small drawn shapes and on large
batches; rates are checked on large batches (64 x 256, about 12k non-special tokens)
against binomial counts: |count - n·p| <= 5·sqrt(n·p·(1 - p)) + 1, which a correct
implementation violates with probability about 6e-7 per check. Batches look like real
ones: [CLS] tokens [SEP] then padding, in three vocabularies (BERT's, RoBERTa's, a toy one).
"""
import math

from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import dims

SIGMAS = 5.0
LAYOUTS = {
    # name: vocab_size, mask id, special ids, [CLS]-like, [SEP]-like, [PAD]-like, ordinary ids [low, high)
    "bert": dict(V=30522, mask=103, specials=[0, 100, 101, 102, 103], cls=101, sep=102, pad=0, low=999, high=30522),
    "roberta": dict(V=50265, mask=50264, specials=[0, 1, 2, 3, 50264], cls=0, sep=2, pad=1, low=4, high=50264),
    "toy": dict(V=1000, mask=4, specials=[0, 1, 2, 3, 4], cls=1, sep=2, pad=0, low=5, high=1000),
}
MLM_PROBS = (0.15, 0.3, 0.1, 0.4)


def make_batch(B, L, layout, seed):
    """(B, L) int64: [CLS] ordinary tokens [SEP], then padding; lengths vary per row."""
    import torch

    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(layout["low"], layout["high"], (B, L), generator=g)
    lengths = torch.randint(max(2, L // 2), L + 1, (B,), generator=g) if L >= 2 else torch.full((B,), L)
    pos = torch.arange(L)
    ids[:, 0] = layout["cls"]
    ids = torch.where(pos[None, :] == (lengths[:, None] - 1), torch.full_like(ids, layout["sep"]), ids)
    ids = torch.where(pos[None, :] >= lengths[:, None], torch.full_like(ids, layout["pad"]), ids)
    return ids


def draw_call(t, big):
    layout_name = t.draw(st.sampled_from(sorted(LAYOUTS)), "vocabulary")
    layout = LAYOUTS[layout_name]
    if big:
        B, L = 64, 256
    else:
        d = t.draw(dims("B", "L", high=9), "sizes")
        B, L = d["B"], d["L"]
    ids = make_batch(B, L, layout, t.seed())
    p = t.draw(st.sampled_from(MLM_PROBS), "mlm_prob")
    seed = t.draw(st.integers(0, 2**31 - 1), "seed passed to mask_tokens")
    kw = {} if p == 0.15 and t.draw(st.booleans(), "leave mlm_prob=0.15 out") else {"mlm_prob": p}
    args = (ids, layout["mask"], layout["V"], list(layout["specials"]), seed)
    text = (f"mask_tokens(input_ids of shape {tuple(ids.shape)}, mask_token_id={layout['mask']}, "
            f"vocab_size={layout['V']}, special_ids={layout['specials']}, seed={seed}"
            + (f", mlm_prob={p}" if kw else "") + ")")
    return args, kw, p, layout, text


def call(t, args, kw, text):
    """The user's (masked_ids, labels), checked for type, shape and dtype; on the CPU."""
    import torch

    from grader.compare import describe

    out = t.impl.mask_tokens(*args, **kw)
    ids = args[0]
    ok = isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(x, torch.Tensor) for x in out)
    if not ok:
        t.check(False, f"{text} should return (masked_ids, labels), two tensors; it returned {describe(out)}")
    for name, x in zip(("masked_ids", "labels"), out):
        t.check(tuple(x.shape) == tuple(ids.shape) and x.dtype == torch.int64,
                f"{text}: {name} should be int64 of shape {tuple(ids.shape)}; it is {describe(x)}")
    return out[0].cpu(), out[1].cpu()


def check_structure(t, ids, masked, labels, layout, text):
    import torch

    V = layout["V"]
    selected = labels != -100
    special = torch.isin(ids, torch.tensor(layout["specials"]))

    def first(bad):
        return tuple(bad.nonzero()[0].tolist())

    bad = selected & (labels != ids)
    if bad.any():
        i = first(bad)
        t.check(False, f"{text}: labels must be -100 or the ORIGINAL id; at {i} the label is {labels[i].item()}, "
                       f"the input id {ids[i].item()} ({int(bad.sum())} such positions)")
    bad = special & selected
    if bad.any():
        i = first(bad)
        t.check(False, f"{text}: special tokens are never selected, but the special id {ids[i].item()} at {i} has "
                       f"label {labels[i].item()} (should be -100; {int(bad.sum())} special positions labelled)")
    bad = ~selected & (masked != ids)
    if bad.any():
        i = first(bad)
        t.check(False, f"{text}: a token whose label is -100 (not selected) must stay unchanged; at {i} "
                       f"{ids[i].item()} became {masked[i].item()} ({int(bad.sum())} of {int((~selected).sum())} "
                       f"unselected positions changed)")
    bad = (masked < 0) | (masked >= V)
    if bad.any():
        i = first(bad)
        t.check(False, f"{text}: every output id must lie in [0, {V}); at {i} it is {masked[i].item()}")


def check_count(t, count, n, p, what, text):
    if n == 0:
        return
    sd = math.sqrt(n * p * (1 - p))
    t.check(abs(count - n * p) <= SIGMAS * sd + 1,
            f"{text}: {what}: {count} of {n} ({count / n:.4f}), expected {n * p:.1f} ± {SIGMAS * sd + 1:.1f} "
            f"(probability {p:.4g}, {SIGMAS:g} binomial standard deviations)")


@prop("structure: special and unselected tokens unchanged with label -100; labels are the original ids "
      "(small shapes)", weight=1.5)
def structure_small(t):
    args, kw, p, layout, text = draw_call(t, big=False)
    masked, labels = call(t, args, kw, text)
    check_structure(t, args[0], masked, labels, layout, text)


@prop("about mlm_prob of the non-special tokens are selected (labelled), within 5 binomial sigmas; "
      "structure holds on a 64x256 batch", weight=0.5)
def selection_rate(t):
    import torch

    args, kw, p, layout, text = draw_call(t, big=True)
    ids = args[0]
    masked, labels = call(t, args, kw, text)
    check_structure(t, ids, masked, labels, layout, text)
    eligible = ~torch.isin(ids, torch.tensor(layout["specials"]))
    check_count(t, int((labels != -100).sum()), int(eligible.sum()), p,
                "selected (label != -100, the selected tokens left unchanged included) among the non-special tokens",
                text)


@prop("of the selected tokens about 80% become the mask, 10% a random id, 10% stay unchanged (5 sigmas)",
      weight=0.5)
def eighty_ten_ten(t):
    args, kw, p, layout, text = draw_call(t, big=True)
    ids = args[0]
    masked, labels = call(t, args, kw, text)
    check_structure(t, ids, masked, labels, layout, text)
    sel = labels != -100
    n = int(sel.sum())
    V, mask = layout["V"], layout["mask"]
    to_mask = int((sel & (masked == mask)).sum())
    same = int((sel & (masked == ids)).sum())
    # a random id equals the mask id or the original with probability 1/V each
    check_count(t, to_mask, n, 0.8 + 0.1 / V, "selected tokens turned into the mask id", text)
    check_count(t, same, n, 0.1 + 0.1 / V, "selected tokens left unchanged (still labelled)", text)
    check_count(t, n - to_mask - same, n, 0.1 * (1 - 2 / V), "selected tokens replaced by another id", text)


@prop("random replacement ids are uniform over [0, vocab_size): about half in the upper half (5 sigmas)",
      weight=0.5)
def random_ids_cover_the_vocabulary(t):
    args, kw, p, layout, text = draw_call(t, big=True)
    ids = args[0]
    masked, labels = call(t, args, kw, text)
    check_structure(t, ids, masked, labels, layout, text)
    V = layout["V"]
    other = (labels != -100) & (masked != layout["mask"]) & (masked != ids)
    n = int(other.sum())
    upper = int((masked[other] >= V // 2).sum())
    # uniform over [0, V) without the original and the mask id: P(upper half) is 1/2 up to ~2/V
    if n:
        sd = math.sqrt(n * 0.25)
        t.check(abs(upper - n / 2) <= SIGMAS * sd + 1 + 2 * n / V,
                f"{text}: of the {n} randomly replaced tokens {upper} have ids >= {V // 2} (V/2), expected "
                f"{n / 2:.1f} ± {SIGMAS * sd + 1:.1f} for ids drawn uniformly from [0, {V}); "
                f"the largest random id is {int(masked[other].max())}")


@prop("the same seed gives the same output; another seed gives another", weight=0.5)
def same_seed_same_output(t):
    args, kw, p, layout, text = draw_call(t, big=True)
    first = call(t, args, kw, text)
    second = call(t, args, kw, text)
    t.assert_close(second[0], first[0], what=f"{text} called twice: masked_ids of the second call vs the first")
    t.assert_close(second[1], first[1], what=f"{text} called twice: labels of the second call vs the first")
    other_seed = args[4] + 1
    third = call(t, args[:4] + (other_seed,), kw, text)
    t.check(not (third[0].equal(first[0]) and third[1].equal(first[1])),
            f"{text} with seed={args[4]} and seed={other_seed} gave identical outputs on a 64x256 batch: "
            "build torch.Generator(device=input_ids.device).manual_seed(seed) and pass it to every random call")
