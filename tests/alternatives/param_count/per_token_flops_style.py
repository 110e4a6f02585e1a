"""Correct, differently written: the count grouped as 'matrices + vectors' the way scaling-law
papers write it (N = L·(attention + mlp) + embeddings), with the GQA ratio as a fraction of
d_model and integer-only arithmetic; validation in the functions."""
from dataclasses import dataclass


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


def _check(cfg):
    kv = cfg.n_heads if cfg.n_kv_heads is None else cfg.n_kv_heads
    if cfg.style not in ("gpt2", "llama") or cfg.d_model % cfg.n_heads or cfg.n_heads % kv:
        raise ValueError(f"cannot build {cfg}")
    return kv


def count_params(cfg):
    kv = _check(cfg)
    d = cfg.d_model
    ff = cfg.d_ff or 4 * d
    kv_width = d * kv // cfg.n_heads                     # = n_kv_heads * head_dim
    n_mlp_in = 1 if cfg.style == "gpt2" else 2           # SwiGLU has two input projections
    matrices = 2 * d * d + 2 * d * kv_width + (n_mlp_in + 1) * d * ff
    vectors = 0
    if cfg.bias:
        vectors += 2 * d + 2 * kv_width + n_mlp_in * ff + d
    norm_size = 2 * d if (cfg.style == "gpt2" and cfg.bias) else d
    per_layer = matrices + vectors + 2 * norm_size
    embeddings = cfg.vocab_size * d * (1 if cfg.tie_embeddings else 2)
    if cfg.style == "gpt2":
        embeddings += cfg.max_seq_len * d
    return cfg.n_layers * per_layer + norm_size + embeddings


def kv_cache_bytes(cfg, batch, seq_len, bytes_per_value=2):
    kv = _check(cfg)
    elements = batch * seq_len * cfg.n_layers * 2 * kv * (cfg.d_model // cfg.n_heads)
    return elements * bytes_per_value
