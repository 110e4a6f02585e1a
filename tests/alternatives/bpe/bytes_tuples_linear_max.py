"""Correct, differently written: pre-tokens as tuples of bytes, a linear max per merge,
and an encoder that replays every merge in rank order (cached per pre-token)."""
from collections import Counter, defaultdict

import regex

PAT = regex.compile(r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def _chunks(text, specials):
    if not specials:
        return [text]
    return regex.split("|".join(map(regex.escape, sorted(specials, key=len, reverse=True))), text)


def _replace(word, a, b):
    out, i, n = [], 0, len(word)
    while i < n:
        if i < n - 1 and word[i] == a and word[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def train_bpe(text, vocab_size, special_tokens=[]):
    words = Counter()
    for chunk in _chunks(text, special_tokens):
        for tok in PAT.findall(chunk):
            words[tuple(bytes([c]) for c in tok.encode("utf-8"))] += 1
    counts, holders = Counter(), defaultdict(set)
    for w, n in words.items():
        for p in zip(w, w[1:]):
            counts[p] += n
            holders[p].add(w)
    vocab = [bytes([i]) for i in range(256)] + [s.encode("utf-8") for s in special_tokens]
    merges = []
    while len(vocab) < vocab_size and counts:
        # pairs are (bytes, bytes): the key (count, pair) breaks ties by the greatest bytes
        (a, b), _ = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append((a, b))
        vocab.append(a + b)
        for w in list(holders.pop((a, b))):
            if w not in words:
                continue
            n = words.pop(w)
            nw = _replace(w, a, b)
            words[nw] += n
            for p in zip(w, w[1:]):
                counts[p] -= n
                if counts[p] == 0:
                    del counts[p]
                holders[p].discard(w)
            for p in zip(nw, nw[1:]):
                counts[p] += n
                holders[p].add(nw)
    return dict(enumerate(vocab)), merges


class Tokenizer:
    def __init__(self, vocab, merges, special_tokens=None):
        self.vocab = vocab
        self.to_id = {v: k for k, v in vocab.items()}
        self.merges = list(merges)
        self.specials = sorted(special_tokens or [], key=len, reverse=True)
        self.memo = {}

    def _word(self, raw):
        if raw not in self.memo:
            w = tuple(bytes([c]) for c in raw)
            for a, b in self.merges:  # rank order; a merge only creates pairs of higher rank
                if len(w) == 1:
                    break
                w = _replace(w, a, b)
            self.memo[raw] = [self.to_id[t] for t in w]
        return self.memo[raw]

    def encode(self, text):
        ids = []
        if self.specials:
            parts = regex.split("(" + "|".join(map(regex.escape, self.specials)) + ")", text)
        else:
            parts = [text]
        for i, part in enumerate(parts):
            if i % 2 == 1:
                ids.append(self.to_id[part.encode("utf-8")])
                continue
            for tok in PAT.findall(part):
                ids += self._word(tok.encode("utf-8"))
        return ids

    def encode_iterable(self, lines):
        for line in lines:
            for i in self.encode(line):
                yield i

    def decode(self, ids):
        buf = bytearray()
        for i in ids:
            buf += self.vocab[i]
        return bytes(buf).decode("utf-8", "replace")
