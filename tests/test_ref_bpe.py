"""The BPE reference (solutions/bpe.py) against independent formulations.

- training equals a brute-force trainer written here from the contract (recount every
  pair, every merge), on drawn and real text;
- encoding equals tiktoken built from the reference's merges (tiktoken is a dev extra:
  those tests are skipped without it) and a replay of every merge in rank order;
- decode(encode(s)) == s, decode never raises, special tokens overlap longest first;
- the prompt's worked example holds.
No timings here: benchmarks/bench_bpe.py measures speed.
"""
import random
from collections import Counter
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.runner import load_module

ROOT = Path(__file__).resolve().parent.parent
ref = load_module(ROOT / "solutions" / "bpe.py", "bpe_reference_under_test")
CORPUS = (ROOT / "drills" / "bpe" / "corpus.txt").read_text(encoding="utf-8")
PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SPECIALS = ["<|endoftext|>", "<|end|>", "<|end|><|end|>", "<|e", "<|pad|>"]
PIECES = ["a", "aa", "aaa", " aaa", "ab", " ab", "ba", " the", "there", "'s", "'ll", " 12", "\n", "  ", " ",
          "é", "中文", "😀", "e\u0301", "yy"]

texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(st.sampled_from("aab \n'1é中😀"), max_size=4)),
                 max_size=30).map("".join)


def brute_force_train(text, vocab_size, specials):
    """The contract, step by step: recount every pair before every merge."""
    pieces = [text]
    for s in sorted(specials, key=len, reverse=True):  # longest first: cut the long ones out first
        pieces = [q for p in pieces for q in p.split(s)]
    words = Counter(tuple(bytes([b]) for b in m.encode("utf-8"))
                    for p in pieces for m in regex.findall(PATTERN, p))
    vocab = {i: bytes([i]) for i in range(256)}
    for s in specials:
        vocab[len(vocab)] = s.encode("utf-8")
    merges = []
    while len(vocab) < vocab_size:
        counts = Counter()
        for w, n in words.items():
            for pair in zip(w, w[1:]):
                counts[pair] += n
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], p))  # pairs of bytes: ties to the greatest
        merges.append(best)
        vocab[len(vocab)] = best[0] + best[1]
        new_words = Counter()
        for w, n in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new_words[tuple(out)] += n
        words = new_words
    return vocab, merges


def with_specials(text, specials, seed):
    rng = random.Random(seed)
    for s in specials:
        at = rng.randint(0, len(text))
        text = text[:at] + s + text[at:]
    return text


def test_prompt_example():
    vocab, merges = ref.train_bpe("aaa ab aaa<|end|>ba", 260, ["<|end|>"])
    assert vocab[256] == b"<|end|>"
    assert merges == [(b"a", b"a"), (b"aa", b"a"), (b"b", b"a")]
    tok = ref.Tokenizer(vocab, merges, ["<|end|>"])
    assert tok.encode("aaaa<|end|>ba") == [257, 257, 256, 259]
    assert tok.decode([257, 256, 195]) == "aa<|end|>\ufffd"


def test_merge_is_left_to_right_without_overlap():
    assert ref.merge([7, 7, 7], (7, 7), 9) == [9, 7]
    assert ref.merge([7, 7, 7, 7], (7, 7), 9) == [9, 9]


@given(texts, st.integers(0, 40), st.lists(st.sampled_from(SPECIALS), unique=True, max_size=3), st.integers(0, 99))
def test_training_equals_brute_force(text, n_merges, specials, seed):
    text = with_specials(text, specials, seed)
    vocab_size = 256 + len(specials) + n_merges
    assert ref.train_bpe(text, vocab_size, specials) == brute_force_train(text, vocab_size, specials)


@settings(max_examples=8)
@given(st.integers(0, len(CORPUS)), st.sampled_from([800, 2500, 6200]), st.integers(0, 250))
def test_training_equals_brute_force_on_real_text(start, size, n_merges):
    text = CORPUS[start:start + size]
    specials = ["<|endoftext|>", "<|e"]
    text = with_specials(text, specials, start)
    assert ref.train_bpe(text, 258 + n_merges, specials) == brute_force_train(text, 258 + n_merges, specials)


@given(texts, st.integers(0, 60))
def test_trained_tokens_have_distinct_bytes(text, n_merges):
    vocab, _ = ref.train_bpe(text, 256 + n_merges)
    assert len(set(vocab.values())) == len(vocab)


def replay_encode(vocab, merges, text):
    """Independent encoder: every merge in rank order over each pre-token (no specials)."""
    ids_of = {b: i for i, b in vocab.items()}
    out = []
    for m in regex.findall(PATTERN, text):
        word = [bytes([b]) for b in m.encode("utf-8")]
        for a, b in merges:
            i, merged = 0, []
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        out += [ids_of[w] for w in word]
    return out


@given(texts, st.integers(0, 40), st.text(max_size=40))
def test_encode_equals_replaying_every_merge(train_text, n_merges, text):
    vocab, merges = ref.train_bpe(train_text, 256 + n_merges)
    sample = train_text[: len(train_text) // 2] + text
    assert ref.Tokenizer(vocab, merges).encode(sample) == replay_encode(vocab, merges, sample)


def tiktoken_encoding(vocab, merges, specials):
    tiktoken = pytest.importorskip("tiktoken")
    ids = {b: i for i, b in vocab.items()}
    ranks = {bytes([i]): i for i in range(256)}
    ranks.update({a + b: ids[a + b] for a, b in merges})
    return tiktoken.Encoding(name="drill-bpe-test", pat_str=PATTERN, mergeable_ranks=ranks,
                             special_tokens={s: ids[s.encode("utf-8")] for s in specials})


# tiktoken matches special tokens with an alternation in no particular order, so only
# special tokens that cannot overlap are compared with it (overlaps: the test below)
TIKTOKEN_SPECIALS = ["<|endoftext|>", "<|pad|>"]
_CORPUS_TRAINED = {}


def corpus_trained(n_merges):
    if n_merges not in _CORPUS_TRAINED:
        _CORPUS_TRAINED[n_merges] = ref.train_bpe(CORPUS, 256 + len(TIKTOKEN_SPECIALS) + n_merges, TIKTOKEN_SPECIALS)
    return _CORPUS_TRAINED[n_merges]


unicode_text = st.lists(st.one_of(st.text(max_size=10), st.sampled_from(CORPUS.split(" ")),
                                  st.sampled_from(TIKTOKEN_SPECIALS),
                                  st.text(st.sampled_from(" \t\n\u00a0"), min_size=1, max_size=5),
                                  st.text(st.characters(categories=("Mn", "So", "Lo")), max_size=5)),
                        max_size=8).map("".join)


@given(st.sampled_from([0, 30, 300, 1000]), unicode_text)
def test_encode_equals_tiktoken(n_merges, text):
    vocab, merges = corpus_trained(n_merges)
    enc = tiktoken_encoding(vocab, merges, TIKTOKEN_SPECIALS)
    tok = ref.Tokenizer(vocab, merges, TIKTOKEN_SPECIALS)
    assert tok.encode(text) == enc.encode(text, allowed_special="all")


@given(texts, st.integers(0, 40), st.text(max_size=30))
def test_encode_equals_tiktoken_on_drawn_vocabularies(train_text, n_merges, text):
    vocab, merges = ref.train_bpe(train_text, 256 + n_merges)
    enc = tiktoken_encoding(vocab, merges, [])
    sample = train_text + text
    assert ref.Tokenizer(vocab, merges).encode(sample) == enc.encode(sample, disallowed_special=())


@given(st.lists(st.integers(0, 255 + 2 + 300), max_size=20))
def test_decode_equals_tiktoken_and_never_raises(ids):
    vocab, merges = corpus_trained(300)
    enc = tiktoken_encoding(vocab, merges, TIKTOKEN_SPECIALS)
    assert ref.Tokenizer(vocab, merges, TIKTOKEN_SPECIALS).decode(ids) == enc.decode(ids)


@given(unicode_text, st.sampled_from([0, 300]))
def test_decode_inverts_encode(text, n_merges):
    vocab, merges = corpus_trained(n_merges)
    tok = ref.Tokenizer(vocab, merges, TIKTOKEN_SPECIALS)
    assert tok.decode(tok.encode(text)) == text


def test_overlapping_special_tokens_longest_first():
    specials = ["<|e", "<|end|>", "<|end|><|end|>"]
    vocab, merges = ref.train_bpe("low lower <|end|> newest", 256 + 3 + 10, specials)
    tok = ref.Tokenizer(vocab, merges, specials)
    e, end, double = 256, 257, 258
    assert tok.encode("<|end|><|end|><|end|>") == [double, end]
    assert tok.encode("<|end|>x<|e") == [end, ord("x"), e]
    assert tok.decode(tok.encode("<|end|><|end|><|end|><|e")) == "<|end|><|end|><|end|><|e"
    # in training too: "<|end|>" is cut out whole, never as "<|e" + "nd|>"
    _, merges = ref.train_bpe("ab<|end|>ab<|end|>ab<|end|>", 256 + 3 + 20, specials)
    assert all(b"|" not in a + b for a, b in merges)


def test_ids_may_come_in_any_order():
    vocab, merges = corpus_trained(300)
    rng = random.Random(0)
    new_ids = rng.sample(range(10_000), len(vocab))
    shuffled = {new_ids[i]: b for i, b in vocab.items()}
    plain = ref.Tokenizer(vocab, merges, TIKTOKEN_SPECIALS)
    moved = ref.Tokenizer(shuffled, merges, TIKTOKEN_SPECIALS)
    text = CORPUS[:2000] + "<|endoftext|>"
    assert [shuffled[i] for i in moved.encode(text)] == [vocab[i] for i in plain.encode(text)]


def test_encode_iterable_is_a_generator_of_per_item_ids():
    import types

    vocab, merges = corpus_trained(300)
    tok = ref.Tokenizer(vocab, merges, TIKTOKEN_SPECIALS)
    lines = CORPUS.splitlines(keepends=True)
    stream = tok.encode_iterable(iter(lines))
    assert isinstance(stream, types.GeneratorType)
    assert list(stream) == [i for line in lines for i in tok.encode(line)]
