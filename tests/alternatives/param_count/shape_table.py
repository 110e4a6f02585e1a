"""Correct, differently written: list every weight tensor's shape, then sum their products
(the way one reads a checkpoint's state_dict); validation happens in __post_init__, so an
impossible config fails when it is built."""
from dataclasses import dataclass
from math import prod


@dataclass
class ModelConfig:
    vocab_size: int
    d_model: int
    n_layers: int
    n_heads: int
    max_seq_len: int = 1024
    n_kv_heads: int | None = None
    d_ff: int | None = None
    style: str = "gpt2"
    tie_embeddings: bool = True
    bias: bool = True

    def __post_init__(self):
        if self.style not in {"gpt2", "llama"}:
            raise ValueError(f"unknown style {self.style!r}")
        if self.d_model % self.n_heads != 0:
            raise ValueError("d_model must be a multiple of n_heads")
        if self.n_heads % (self.n_kv_heads or self.n_heads) != 0:
            raise ValueError("n_heads must be a multiple of n_kv_heads")


def _linear(n_in, n_out, bias):
    return [(n_out, n_in)] + ([(n_out,)] if bias else [])


def _shapes(c: ModelConfig):
    d = c.d_model
    hd = d // c.n_heads
    kv = hd * (c.n_kv_heads or c.n_heads)
    ff = c.d_ff if c.d_ff is not None else 4 * d
    gpt2 = c.style == "gpt2"
    norm = [(d,), (d,)] if gpt2 and c.bias else [(d,)]
    shapes = [(c.vocab_size, d)] + ([(c.max_seq_len, d)] if gpt2 else [])
    for _ in range(c.n_layers):
        shapes += norm + _linear(d, d, c.bias) + _linear(d, kv, c.bias) + _linear(d, kv, c.bias) + _linear(d, d, c.bias)
        shapes += norm
        if gpt2:
            shapes += _linear(d, ff, c.bias) + _linear(ff, d, c.bias)
        else:
            shapes += _linear(d, ff, c.bias) + _linear(d, ff, c.bias) + _linear(ff, d, c.bias)  # gate, up, down
    shapes += norm
    if not c.tie_embeddings:
        shapes.append((c.vocab_size, d))
    return shapes


def count_params(cfg):
    return sum(prod(s) for s in _shapes(cfg))


def kv_cache_bytes(cfg, batch, seq_len, bytes_per_value=2):
    hd = cfg.d_model // cfg.n_heads
    per_token_per_layer = 2 * (cfg.n_kv_heads or cfg.n_heads) * hd   # one K and one V vector per KV head
    return per_token_per_layer * cfg.n_layers * seq_len * batch * bytes_per_value
