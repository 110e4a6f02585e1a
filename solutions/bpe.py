"""Reference: byte-level BPE, trained GPT-2 style, and a tokenizer that uses its merges.

Training counts each distinct pre-token once (with its frequency) and keeps the pair
counts up to date after every merge, instead of recounting the whole corpus: only the
pre-tokens that contain the merged pair change. The most frequent pair comes from a
max-heap whose stale entries are skipped when popped (lazy invalidation).

Left out on purpose: parallel pre-tokenization, saving/loading vocabularies, and
exact streaming across items in `encode_iterable` (each item is encoded on its own).
"""
from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from typing import Iterable, Iterator

import regex

# GPT-2's pre-tokenizer: contractions, letters, numbers, other symbols, whitespace
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
PRE_TOKEN = regex.compile(GPT2_PATTERN)


def special_pattern(special_tokens: list[str]) -> str:
    """A regex matching any special token; where several start at one position, the longest.

    special_pattern(["<|e|>", "<|e|><|e|>"]) tries "<|e|><|e|>" before "<|e|>"
    """
    # subtle: an alternation takes the first alternative that matches, so list the longest first
    return "|".join(regex.escape(s) for s in sorted(special_tokens, key=len, reverse=True))


def split_on_special(text: str, special_tokens: list[str], keep: bool = False) -> list[str]:
    """Pieces of `text` between special tokens (with the tokens themselves when `keep`).

    split_on_special("a<|e|>b", ["<|e|>"]) -> ["a", "b"];  with keep: ["a", "<|e|>", "b"]
    """
    if not special_tokens:
        return [text]
    pattern = special_pattern(special_tokens)
    return regex.split(f"({pattern})" if keep else pattern, text)


def merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of `pair`, left to right, without overlap.

    merge([7, 7, 7], (7, 7), 9) -> [9, 7]
    """
    (a, b), n = pair, len(ids)
    out, i = [], 0
    while i < n:
        if ids[i] == a and i + 1 < n and ids[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


class _Greatest:
    """Heap key that makes heapq (a min-heap) pop the lexicographically greatest pair first."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[bytes, bytes]):
        self.key = key

    def __lt__(self, other: "_Greatest") -> bool:
        return self.key > other.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Greatest) and self.key == other.key


def train_bpe(text: str, vocab_size: int, special_tokens: list[str] = []
              ) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    vocab = {i: bytes([i]) for i in range(256)}
    for s in special_tokens:
        vocab[len(vocab)] = s.encode("utf-8")

    # distinct pre-tokens (as lists of token ids) and how often each occurs
    counts = Counter(m.group().encode("utf-8")
                     for piece in split_on_special(text, special_tokens)
                     for m in PRE_TOKEN.finditer(piece))
    words = [list(w) for w in counts]
    freq = list(counts.values())

    pair_counts: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)  # pair -> words that (may) contain it
    for i, w in enumerate(words):
        for pair in zip(w, w[1:]):  # overlapping: "aaa" holds (a, a) twice
            pair_counts[pair] += freq[i]
            where[pair].add(i)

    heap = []

    def push(pair):
        heapq.heappush(heap, (-pair_counts[pair], _Greatest((vocab[pair[0]], vocab[pair[1]])), pair))

    for pair in pair_counts:
        push(pair)

    merges = []
    while len(vocab) < vocab_size:
        # pop until the top entry carries its pair's current count; an entry whose pair has
        # lost some count since it was pushed goes back in with the count it has now
        while heap and -heap[0][0] != pair_counts.get(heap[0][2], 0):
            pair = heapq.heappop(heap)[2]
            if pair_counts.get(pair, 0) > 0:
                push(pair)
        if not heap:
            break  # no adjacent pair left anywhere
        _, _, pair = heapq.heappop(heap)
        new_id = len(vocab)
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        merges.append((vocab[pair[0]], vocab[pair[1]]))

        # only the words that contain the pair change: their old pairs go out, their new pairs come in
        delta: dict[tuple[int, int], int] = defaultdict(int)
        for i in where.pop(pair):
            old = words[i]
            new = merge(old, pair, new_id)
            if len(new) == len(old):
                continue  # stale index entry: this word lost the pair in an earlier merge
            for p in zip(old, old[1:]):
                delta[p] -= freq[i]
            for p in zip(new, new[1:]):
                delta[p] += freq[i]
                if new_id in p:  # the only pairs this word did not have before
                    where[p].add(i)
            words[i] = new
        for p, d in delta.items():
            if d == 0:
                continue
            pair_counts[p] += d
            if pair_counts[p] == 0:
                del pair_counts[p]
            elif d > 0:
                push(p)  # a count that went down is fixed up lazily, when its entry reaches the top
    return vocab, merges


class Tokenizer:
    """Encode text with trained merges; decode ids back to text."""

    def __init__(self, vocab: dict[int, bytes], merges: list[tuple[bytes, bytes]],
                 special_tokens: list[str] | None = None):
        self.vocab = dict(vocab)
        self.ids = {b: i for i, b in self.vocab.items()}  # subtle: ids need not follow train_bpe's layout
        self.byte_ids = [self.ids[bytes([b])] for b in range(256)]
        # the rank of a merge is its position in merges: (id, id) -> rank, rank -> (pair, new id)
        self.rank = {(self.ids[a], self.ids[b]): r for r, (a, b) in enumerate(merges)}
        self.by_rank = [((self.ids[a], self.ids[b]), self.ids[a + b]) for a, b in merges]
        self.special = {s: self.ids[s.encode("utf-8")] for s in special_tokens or []}
        self.cache: dict[bytes, list[int]] = {}

    def _encode_pre_token(self, piece: bytes) -> list[int]:
        """Ids of one pre-token: the lowest-ranked adjacent pair merges next, until none is left."""
        if piece not in self.cache:
            ids = [self.byte_ids[b] for b in piece]
            while len(ids) >= 2:
                ranks = [self.rank[p] for p in zip(ids, ids[1:]) if p in self.rank]
                if not ranks:
                    break
                pair, new_id = self.by_rank[min(ranks)]
                ids = merge(ids, pair, new_id)  # every occurrence, left to right
            self.cache[piece] = ids
        return self.cache[piece]

    def encode(self, text: str) -> list[int]:
        out: list[int] = []
        # even positions: ordinary text; odd positions: the special tokens between them
        for k, piece in enumerate(split_on_special(text, list(self.special), keep=True)):
            if k % 2:
                out.append(self.special[piece])
                continue
            for m in PRE_TOKEN.finditer(piece):
                out.extend(self._encode_pre_token(m.group().encode("utf-8")))
        return out

    def encode_iterable(self, lines: Iterable[str]) -> Iterator[int]:
        # one item at a time: memory stays bounded by the longest item
        for line in lines:
            yield from self.encode(line)

    def decode(self, ids: list[int]) -> str:
        # join the bytes first: one character's bytes may be spread over several tokens
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")
