"""Benchmark the BPE reference (solutions/bpe.py): training and encoding speed.

    python benchmarks/bench_bpe.py                  # the full table (the naive trainer takes minutes)
    python benchmarks/bench_bpe.py --quick          # smaller sizes, no 1 MB naive run

Training time for several corpus sizes and merge counts, against
  (a) a naive trainer that recounts every pair after every merge (drills/bpe/mistakes.py), and
  (b) Hugging Face `tokenizers` (models.BPE + trainers.BpeTrainer, ByteLevel pre-tokenizer).
      Its pre-tokenizer and tie-breaking differ from the drill's, so its merges are not the
      same: only its time is compared. It runs native code on all cores.
Encoding throughput against tiktoken built from the reference's own merges (same tokens).

Text: /work/shared/notes (../shared/notes from the repository) when present, then Python's
standard-library sources, cut to each size. Times are medians of --repeats runs (the naive
trainer runs once per size). Targets: >= 20x faster than naive at 1 MB / 2,000 merges;
training within 10x of `tokenizers`; encoding within 20x of tiktoken.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.runner import load_module  # noqa: E402

ref = load_module(ROOT / "solutions" / "bpe.py", "bench_bpe_reference")
mistakes = load_module(ROOT / "drills" / "bpe" / "mistakes.py", "bench_bpe_mistakes")
MB = 1_000_000


def corpus(n_bytes: int) -> str:
    """The first n_bytes (UTF-8) of the notes, then of the standard library's sources."""
    files = sorted((ROOT.parent / "shared" / "notes").glob("*")) + \
        sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    parts, total = [], 0
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        parts.append(text)
        total += len(text.encode("utf-8"))
        if total >= n_bytes:
            break
    return "".join(parts).encode("utf-8")[:n_bytes].decode("utf-8", errors="ignore")


class Time(float):
    """Median wall seconds, carrying the median CPU seconds of this process (all threads) as .cpu."""

    def __new__(cls, wall: float, cpu: float):
        t = super().__new__(cls, wall)
        t.cpu = cpu
        return t

    def __str__(self) -> str:
        return f"{float(self):.2f} ({self.cpu:.2f})"


def timed(fn, repeats: int) -> Time:
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return Time(statistics.median(walls), statistics.median(cpus))


def hf_train(text: str, vocab_size: int) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=0, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([text], trainer=trainer)


def tiktoken_from(vocab, merges):
    import tiktoken

    ids = {b: i for i, b in vocab.items()}
    ranks = {bytes([i]): i for i in range(256)}
    ranks.update({a + b: ids[a + b] for a, b in merges})
    return tiktoken.Encoding(name="bench-bpe", pat_str=ref.GPT2_PATTERN, mergeable_ranks=ranks, special_tokens={})


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import tiktoken
    import tokenizers

    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python "
            f"{platform.python_version()}, tokenizers {tokenizers.__version__}, tiktoken {tiktoken.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="0.1 and 0.3 MB only; naive at 0.1 MB")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--naive-max-mb", type=float, default=1.0,
                    help="largest corpus the naive trainer runs on (larger ones are skipped)")
    args = ap.parse_args()
    sizes = [0.1, 0.3] if args.quick else [0.1, 0.3, 1.0]
    merge_counts = [500, 2000]
    naive_max = 0.1 if args.quick else args.naive_max_mb
    print(f"machine: {machine()}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (other work on the machine inflates wall times)\n")

    print("training: median wall seconds (CPU seconds of all threads); ratios on wall time [and on CPU time]")
    header = (f"{'corpus':>7} {'merges':>6} | {'reference':>13} {'naive':>15} {'tokenizers':>13} | "
              f"{'naive/ref':>15} {'ref/tokenizers':>15}")
    print(header)
    print("-" * len(header))
    rows = []
    for mb in sizes:
        text = corpus(int(mb * MB))
        for m in merge_counts:
            t_ref = timed(lambda: ref.train_bpe(text, 256 + m), args.repeats)
            t_hf = timed(lambda: hf_train(text, 256 + m), args.repeats)
            t_naive = timed(lambda: mistakes.naive_recount(text, 256 + m), 1) if mb <= naive_max else None
            rows.append((mb, m, t_ref, t_naive, t_hf))
            naive_s = f"{str(t_naive):>15}" if t_naive else f"{'skipped':>15}"
            speedup = (f"{t_naive / t_ref:6.1f}x [{t_naive.cpu / t_ref.cpu:5.1f}x]" if t_naive else f"{'-':>15}")
            print(f"{mb:5.1f}MB {m:6d} | {str(t_ref):>13} {naive_s} {str(t_hf):>13} | {speedup} "
                  f"{t_ref / t_hf:6.1f}x [{t_ref.cpu / t_hf.cpu:5.1f}x]", flush=True)

    # encoding: the reference's tokenizer and tiktoken on the same merges, same text
    text = corpus(int(sizes[-1] * MB))
    vocab, merges = ref.train_bpe(text, 256 + 2000)
    enc = tiktoken_from(vocab, merges)
    assert ref.Tokenizer(vocab, merges).encode(text[:50_000]) == enc.encode_ordinary(text[:50_000])
    n_bytes = len(text.encode("utf-8"))
    t_ours = timed(lambda: ref.Tokenizer(vocab, merges).encode(text), args.repeats)  # a fresh cache each run
    t_tik = timed(lambda: enc.encode_ordinary(text), args.repeats)
    print(f"\nencoding {n_bytes / MB:.1f} MB with 2000 merges (median wall (CPU) seconds; the reference "
          "starts with an empty cache each run)")
    print(f"  reference {t_ours} s, {n_bytes / MB / t_ours:.2f} MB/s   tiktoken {t_tik} s, "
          f"{n_bytes / MB / t_tik:.2f} MB/s   reference/tiktoken {t_ours / t_tik:.1f}x [{t_ours.cpu / t_tik.cpu:.1f}x]")

    big = [r for r in rows if r[0] == sizes[-1] and r[1] == 2000][0]
    print("\ntargets")
    if big[3]:
        print(f"  >= 20x faster than naive at {big[0]:g} MB / 2000 merges (wall): {big[3] / big[2]:.1f}x  "
              f"{'met' if big[3] / big[2] >= 20 else 'NOT met'}  [CPU: {big[3].cpu / big[2].cpu:.1f}x]")
    else:
        print(f"  >= 20x faster than naive at {big[0]:g} MB / 2000 merges: not measured (see --naive-max-mb)")
    worst_hf = max(r[2] / r[4] for r in rows)
    print(f"  training within 10x of tokenizers (worst row, wall): {worst_hf:.1f}x  {'met' if worst_hf <= 10 else 'NOT met'}")
    print(f"  encoding within 20x of tiktoken (wall): {t_ours / t_tik:.1f}x  {'met' if t_ours / t_tik <= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
