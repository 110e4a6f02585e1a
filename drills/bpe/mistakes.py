"""Classic wrong answers to the BPE drill; each must fail the spec.

One small configurable trainer (`_train`) and tokenizer (`_Tokenizer`) written out here;
each mistake changes one rule. The trainer keeps its pair counts up to date (so replaying
a mistake on the speed property's texts stays quick); `naive_recount` and
`tie_first_occurrence` recount before every merge, as the code they imitate does.
"""
from collections import Counter, defaultdict

import regex

from grader.props import mistake

PATTERN = regex.compile(r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def _cut(text, specials, longest_first=True, keep=False):
    if not specials:
        return [text]
    order = sorted(specials, key=len, reverse=True) if longest_first else list(specials)
    pattern = "|".join(regex.escape(s) for s in order)
    return regex.split(f"({pattern})" if keep else pattern, text)


def _merge(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _merge_right_to_left(ids, pair, new_id):
    return _merge(ids[::-1], pair[::-1], new_id)[::-1]


def _all_pairs(w):
    return Counter(zip(w, w[1:]))


def _pairs_without_overlap(w):
    """Counts "aaa" as one (a, a): a run of one token is counted in disjoint pairs."""
    counts, i = Counter(), 0
    while i + 1 < len(w):
        counts[(w[i], w[i + 1])] += 1
        i += 2 if w[i] == w[i + 1] else 1
    return counts


def _pre_tokens(text, specials, longest_first=True):
    return Counter(m.encode("utf-8") for piece in _cut(text, specials, longest_first)
                   for m in PATTERN.findall(piece))


def _train(text, vocab_size, special_tokens=(), *, pre_tokens=_pre_tokens, pick=None, count=_all_pairs,
           merge=_merge, specials_last=False):
    vocab = {i: bytes([i]) for i in range(256)}
    n_special = len(special_tokens)
    if not specials_last:
        for s in special_tokens:
            vocab[len(vocab)] = s.encode("utf-8")
    words_count = pre_tokens(text, special_tokens)
    words, freq = [list(w) for w in words_count], list(words_count.values())
    pc, where = defaultdict(int), defaultdict(set)
    for i, w in enumerate(words):
        for p, n in count(w).items():
            pc[p] += n * freq[i]
            where[p].add(i)
    pick = pick or (lambda pc, vocab: max(pc, key=lambda p: (pc[p], vocab[p[0]], vocab[p[1]])))
    merges = []
    while len(vocab) + (n_special if specials_last else 0) < vocab_size and pc:
        pair = pick(pc, vocab)
        new_id = len(vocab)
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        merges.append((vocab[pair[0]], vocab[pair[1]]))
        for i in where.pop(pair, ()):
            old, new = words[i], merge(words[i], pair, new_id)
            for p, n in count(old).items():
                pc[p] -= n * freq[i]
                if pc[p] <= 0:
                    del pc[p]
            for p, n in count(new).items():
                pc[p] += n * freq[i]
                where[p].add(i)
            words[i] = new
    if specials_last:
        for s in special_tokens:
            vocab[len(vocab)] = s.encode("utf-8")
    return vocab, merges


class _Tokenizer:
    """Right, unless a subclass changes one rule."""

    longest_first = True

    def __init__(self, vocab, merges, special_tokens=None):
        self.vocab = dict(vocab)
        self.ids = {b: i for i, b in self.vocab.items()}
        self.ranks = {(self.ids[a], self.ids[b]): r for r, (a, b) in enumerate(merges)}
        self.made = {(self.ids[a], self.ids[b]): self.ids[a + b] for a, b in merges}
        self.special = {s: self.ids[s.encode("utf-8")] for s in special_tokens or []}

    def next_pair(self, ids):
        """The pair to merge next, or None."""
        pairs = [p for p in zip(ids, ids[1:]) if p in self.ranks]
        return min(pairs, key=self.ranks.get) if pairs else None

    def merge(self, ids, pair):
        return _merge(ids, pair, self.made[pair])

    def encode_piece(self, piece):
        ids = [self.ids[bytes([b])] for b in piece]
        while (pair := self.next_pair(ids)) is not None:
            ids = self.merge(ids, pair)
        return ids

    def encode(self, text):
        out = []
        for k, part in enumerate(_cut(text, list(self.special), self.longest_first, keep=True)):
            if k % 2:
                out.append(self.special[part])
            else:
                for m in PATTERN.findall(part):
                    out.extend(self.encode_piece(m.encode("utf-8")))
        return out

    def encode_iterable(self, lines):
        for line in lines:
            yield from self.encode(line)

    def decode(self, ids):
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------
@mistake("tie_first_occurrence", "ties between equally frequent pairs go to the pair seen first",
         entry="train_bpe",
         explain="max(counts, key=counts.get) returns the first maximal pair in dict order (first seen in the "
                 "text). The contract breaks ties by the greatest (bytes_a, bytes_b): "
                 "max(counts, key=lambda p: (counts[p], vocab[p[0]], vocab[p[1]])).")
def tie_first_occurrence(text, vocab_size, special_tokens=[]):
    # recounted in text order before every merge, as a user who writes this usually does
    return _recount_train(text, vocab_size, special_tokens, pick=lambda counts, vocab: max(counts, key=counts.get))


@mistake("tie_smallest_pair", "ties go to the smallest pair instead of the greatest", entry="train_bpe",
         explain="On equal counts the lexicographically GREATEST (bytes_a, bytes_b) wins.")
def tie_smallest_pair(text, vocab_size, special_tokens=[]):
    def pick(pc, vocab):
        best = max(pc.values())
        return min((p for p in pc if pc[p] == best), key=lambda p: (vocab[p[0]], vocab[p[1]]))
    return _train(text, vocab_size, special_tokens, pick=pick)


@mistake("tie_by_ids", "ties broken by comparing token ids instead of the tokens' bytes", entry="train_bpe",
         explain="Ids of merged tokens say nothing about their bytes: compare (vocab[a], vocab[b]), not (a, b).")
def tie_by_ids(text, vocab_size, special_tokens=[]):
    return _train(text, vocab_size, special_tokens, pick=lambda pc, vocab: max(pc, key=lambda p: (pc[p], p)))


@mistake("merges_cross_pre_tokens", "no pre-tokenization: merges cross word and whitespace boundaries",
         entry="train_bpe",
         explain="Split each piece with GPT-2's pattern first and count pairs only inside pre-tokens, so a "
                 "word never merges with the space or punctuation around it.")
def merges_cross_pre_tokens(text, vocab_size, special_tokens=[]):
    whole = lambda text, specials: Counter(p.encode("utf-8") for p in _cut(text, specials) if p)  # noqa: E731
    return _train(text, vocab_size, special_tokens, pre_tokens=whole)


@mistake("special_tokens_trained_on", "special tokens are left in the training text (pre-tokenized like words)",
         entry="train_bpe",
         explain="Cut the text at the special tokens and drop them before pre-tokenizing; otherwise their "
                 "pieces ('<|', 'end', '|>') are counted and merged with their neighbours.")
def special_tokens_trained_on(text, vocab_size, special_tokens=[]):
    return _train(text, vocab_size, special_tokens, pre_tokens=lambda text, specials: _pre_tokens(text, []))


@mistake("special_tokens_not_longest_first", "overlapping special tokens matched in list order, not longest first",
         entry="train_bpe",
         explain="A regex alternation takes the first alternative that matches: sort the special tokens by "
                 "length, longest first, before joining them with '|'.")
def special_tokens_not_longest_first(text, vocab_size, special_tokens=[]):
    return _train(text, vocab_size, special_tokens,
                  pre_tokens=lambda text, specials: _pre_tokens(text, specials, longest_first=False))


@mistake("special_tokens_not_longest_first", "", entry="Tokenizer")
class SpecialTokensInListOrder(_Tokenizer):
    longest_first = False


@mistake("special_ids_after_merges", "special tokens get the ids after the merges instead of 256, 257, ...",
         entry="train_bpe", explain="The ids are: 256 bytes, then the special tokens in order, then the merges.")
def special_ids_after_merges(text, vocab_size, special_tokens=[]):
    return _train(text, vocab_size, special_tokens, specials_last=True)


@mistake("overlapping_pairs_counted_once", "a run like b'aaa' counts the pair (a, a) once instead of twice",
         entry="train_bpe",
         explain="Count every adjacent position: b'aaa' holds (a, a) at positions 0 and 1, so it counts twice "
                 "(even though merging then makes aa, a).")
def overlapping_pairs_counted_once(text, vocab_size, special_tokens=[]):
    return _train(text, vocab_size, special_tokens, count=_pairs_without_overlap)


@mistake("merge_right_to_left", "a merge replaces occurrences right to left (a, a, a -> a, aa)",
         entry="train_bpe",
         explain="Merging scans left to right without overlap: a, a, a becomes aa, a.")
def merge_right_to_left(text, vocab_size, special_tokens=[]):
    return _train(text, vocab_size, special_tokens, merge=_merge_right_to_left)


@mistake("merge_right_to_left", "", entry="Tokenizer")
class MergeRightToLeft(_Tokenizer):
    def merge(self, ids, pair):
        return _merge_right_to_left(ids, pair, self.made[pair])


@mistake("naive_recount", "all pair counts recomputed from scratch after every merge (too slow)",
         entry="train_bpe", diagnosable=False,
         explain="Correct output, but each merge costs a pass over every pre-token. Keep the counts and update "
                 "only the pre-tokens that contain the merged pair.")
def naive_recount(text, vocab_size, special_tokens=[]):
    return _recount_train(text, vocab_size, special_tokens)


def _recount_train(text, vocab_size, special_tokens=(), pick=None):
    """Counts every pair again before every merge (pre-tokens in order of first appearance)."""
    pick = pick or (lambda counts, vocab: max(counts, key=lambda p: (counts[p], vocab[p[0]], vocab[p[1]])))
    vocab = {i: bytes([i]) for i in range(256)}
    for s in special_tokens:
        vocab[len(vocab)] = s.encode("utf-8")
    words = {tuple(w): n for w, n in _pre_tokens(text, special_tokens).items()}
    merges = []
    while len(vocab) < vocab_size:
        counts = Counter()
        for w, n in words.items():
            for p in zip(w, w[1:]):
                counts[p] += n
        if not counts:
            break
        pair = pick(counts, vocab)
        new_id = len(vocab)
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        merges.append((vocab[pair[0]], vocab[pair[1]]))
        words = {tuple(_merge(list(w), pair, new_id)): n for w, n in words.items()}
    return vocab, merges


# ---------------------------------------------------------------------------------------
# the tokenizer
# ---------------------------------------------------------------------------------------
@mistake("encode_leftmost_merge_first", "encode merges the leftmost mergeable pair first, not the lowest rank",
         entry="Tokenizer",
         explain="Within a pre-token, the pair with the LOWEST rank (earliest in merges) merges next, wherever "
                 "it is; scanning left to right for any known pair gives other tokens.")
class LeftmostMergeFirst(_Tokenizer):
    def next_pair(self, ids):
        return next((p for p in zip(ids, ids[1:]) if p in self.ranks), None)


@mistake("encode_most_frequent_pair", "encode merges the most frequent pair of the pre-token, not the lowest rank",
         entry="Tokenizer",
         explain="Encoding does not count pairs again: it replays the training merges in their order (rank).")
class MostFrequentPair(_Tokenizer):
    def next_pair(self, ids):
        counts = Counter(p for p in zip(ids, ids[1:]) if p in self.ranks)
        return max(counts, key=lambda p: (counts[p], -self.ranks[p])) if counts else None


@mistake("encode_rank_by_token_id", "encode ranks merges by the merged token's id instead of its position",
         entry="Tokenizer",
         explain="A merge's rank is its index in merges. Ids follow that order only in train_bpe's layout; "
                 "a vocabulary may number its tokens any way.")
class RankByTokenId(_Tokenizer):
    def next_pair(self, ids):
        pairs = [p for p in zip(ids, ids[1:]) if p in self.made]
        return min(pairs, key=self.made.get) if pairs else None


@mistake("special_tokens_split_in_encode", "encode treats special tokens as ordinary text", entry="Tokenizer",
         explain="Cut the text at the special tokens first (longest first) and emit each one's id; only the "
                 "text between them is pre-tokenized and merged.")
class SpecialTokensIgnored(_Tokenizer):
    def encode(self, text):
        return [i for m in PATTERN.findall(text) for i in self.encode_piece(m.encode("utf-8"))]


@mistake("decode_raises_on_invalid_utf8", "decode raises on invalid UTF-8", entry="Tokenizer",
         explain="bytes.decode('utf-8') is strict; ids can end in the middle of a character. Use "
                 "errors='replace'.")
class StrictDecode(_Tokenizer):
    def decode(self, ids):
        return b"".join(self.vocab[i] for i in ids).decode("utf-8")


@mistake("decode_token_by_token", "decode decodes each token separately, breaking characters split across tokens",
         entry="Tokenizer",
         explain="A multi-byte character (é, 中, 😀) can be spread over several tokens: join all the bytes "
                 "first, then decode once.")
class DecodeTokenByToken(_Tokenizer):
    def decode(self, ids):
        return "".join(self.vocab[i].decode("utf-8", errors="replace") for i in ids)


@mistake("encode_iterable_returns_list", "encode_iterable builds a list instead of yielding ids lazily",
         entry="Tokenizer",
         explain="A list holds every id of the whole input at once; a generator (yield) streams them.")
class EncodeIterableList(_Tokenizer):
    def encode_iterable(self, lines):
        return [i for line in lines for i in self.encode(line)]
