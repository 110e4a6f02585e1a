"""Correct, differently written: a heap keyed by inverted bytes (no wrapper class), and a
tiktoken-style encoder that merges the adjacent pair whose concatenation ranks lowest,
one occurrence at a time; special tokens found by a scan instead of a regex."""
import heapq
from collections import defaultdict

import regex

GPT2 = regex.compile(r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def _desc(b: bytes) -> tuple:
    # min-heap order of _desc(x) == max order of x: 255 - byte, and a terminator above 255
    # so that a longer string with the same prefix sorts first (b"ab" > b"a")
    return tuple(255 - c for c in b) + (256,)


def _split_specials(text, specials):
    """[(is_special, piece)]: a left-to-right scan, the longest special token at each position."""
    specials = sorted(specials, key=len, reverse=True)
    out, start, i = [], 0, 0
    while i < len(text):
        hit = next((s for s in specials if text.startswith(s, i)), None)
        if hit is None:
            i += 1
            continue
        out.append((False, text[start:i]))
        out.append((True, hit))
        i = start = i + len(hit)
    out.append((False, text[start:]))
    return out


def train_bpe(text, vocab_size, special_tokens=[]):
    freq = defaultdict(int)
    for is_special, piece in _split_specials(text, special_tokens):
        if not is_special:
            for m in GPT2.finditer(piece):
                freq[m.group().encode("utf-8")] += 1
    vocab = {b: bytes([b]) for b in range(256)}
    for s in special_tokens:
        vocab[len(vocab)] = s.encode("utf-8")
    seqs = [list(w) for w in freq]
    mult = list(freq.values())
    counts = defaultdict(int)
    index = defaultdict(set)
    for k, seq in enumerate(seqs):
        for p in zip(seq, seq[1:]):
            counts[p] += mult[k]
            index[p].add(k)
    heap = [(-c, _desc(vocab[a]), _desc(vocab[b]), (a, b)) for (a, b), c in counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(vocab) < vocab_size:
        while heap and counts.get(heap[0][3], 0) != -heap[0][0]:
            heapq.heappop(heap)
        if not heap:
            break
        a, b = heapq.heappop(heap)[3]
        new = len(vocab)
        vocab[new] = vocab[a] + vocab[b]
        merges.append((vocab[a], vocab[b]))
        touched = set()
        for k in index.pop((a, b)):
            seq, out, i = seqs[k], [], 0
            while i < len(seq):
                if i + 1 < len(seq) and seq[i] == a and seq[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            if len(out) == len(seq):
                continue
            for p in zip(seq, seq[1:]):
                counts[p] -= mult[k]
                touched.add(p)
            for p in zip(out, out[1:]):
                counts[p] += mult[k]
                index[p].add(k)
                touched.add(p)
            seqs[k] = out
        for p in touched:
            if counts[p] > 0:
                heapq.heappush(heap, (-counts[p], _desc(vocab[p[0]]), _desc(vocab[p[1]]), p))
            else:
                counts.pop(p)
    return vocab, merges


class Tokenizer:
    def __init__(self, vocab, merges, special_tokens=None):
        self.vocab = vocab
        self.id_of = {v: k for k, v in vocab.items()}
        self.rank = {a + b: r for r, (a, b) in enumerate(merges)}  # rank of the merged bytes
        self.specials = list(special_tokens or [])

    def _bpe(self, piece: bytes):
        parts = [bytes([c]) for c in piece]
        while len(parts) > 1:
            ranks = [self.rank.get(parts[i] + parts[i + 1]) for i in range(len(parts) - 1)]
            best = min((r, i) for i, r in enumerate(ranks) if r is not None) if any(
                r is not None for r in ranks) else None
            if best is None:
                break
            i = best[1]
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        return [self.id_of[p] for p in parts]

    def encode(self, text):
        ids = []
        for is_special, piece in _split_specials(text, self.specials):
            if is_special:
                ids.append(self.id_of[piece.encode("utf-8")])
            else:
                for m in GPT2.finditer(piece):
                    ids.extend(self._bpe(m.group().encode("utf-8")))
        return ids

    def encode_iterable(self, lines):
        return (i for line in lines for i in self.encode(line))

    def decode(self, ids):
        return b"".join(map(self.vocab.__getitem__, ids)).decode("utf-8", errors="replace")
