"""Reference: parameter count and KV-cache size of a GPT-2- or LLaMA-style decoder.

Pure arithmetic on the config, one line per weight matrix. Left out on purpose: MoE
(experts multiply only the MLP term), a separate head_dim (Gemma), QKV-only biases
(Qwen), parallel attention/MLP blocks (GPT-J), LLaMA's rule for rounding d_ff
(multiple_of), and the KV-cache savings of sliding windows or MLA.
"""
from dataclasses import dataclass


@dataclass
class ModelConfig:
    vocab_size: int
    d_model: int
    n_layers: int
    n_heads: int
    max_seq_len: int = 1024           # positions (only the gpt2 style learns embeddings for them)
    n_kv_heads: int | None = None     # None: same as n_heads
    d_ff: int | None = None           # None: 4 * d_model
    style: str = "gpt2"               # "gpt2" | "llama"
    tie_embeddings: bool = True
    bias: bool = True


def _shape(cfg):
    """(head_dim, n_kv_heads), after checking that the config can be built."""
    if cfg.style not in ("gpt2", "llama"):
        raise ValueError(f"style must be 'gpt2' or 'llama', not {cfg.style!r}")
    if cfg.d_model % cfg.n_heads:
        raise ValueError(f"d_model={cfg.d_model} is not divisible by n_heads={cfg.n_heads}")
    kv = cfg.n_kv_heads or cfg.n_heads
    if cfg.n_heads % kv:
        raise ValueError(f"n_heads={cfg.n_heads} is not divisible by n_kv_heads={kv}")
    return cfg.d_model // cfg.n_heads, kv


def count_params(cfg: ModelConfig) -> int:
    head_dim, kv = _shape(cfg)
    d, V, b = cfg.d_model, cfg.vocab_size, int(cfg.bias)
    ff = cfg.d_ff or 4 * d
    q_dim, kv_dim = cfg.n_heads * head_dim, kv * head_dim   # q_dim == d; kv_dim < d under GQA

    # attention: q (d -> q_dim), k and v (d -> kv_dim), o (q_dim -> d), each + bias
    attn = d * q_dim + 2 * d * kv_dim + q_dim * d + b * (q_dim + 2 * kv_dim + d)
    if cfg.style == "gpt2":
        mlp = 2 * d * ff + b * (ff + d)              # c_fc (d -> ff), c_proj (ff -> d)
        norm = d + b * d                             # LayerNorm: weight (+ bias)
        pos = cfg.max_seq_len * d                    # learned positions (T, d)
    else:
        mlp = 3 * d * ff + b * (2 * ff + d)          # SwiGLU: gate and up (d -> ff), down (ff -> d)
        norm = d                                     # RMSNorm: weight only
        pos = 0                                      # subtle: RoPE rotates q and k; it has no weights
    block = 2 * norm + attn + mlp
    lm_head = 0 if cfg.tie_embeddings else d * V     # subtle: a tied head is the embedding matrix itself
    return V * d + pos + cfg.n_layers * block + norm + lm_head   # + norm: the final one


def kv_cache_bytes(cfg: ModelConfig, batch: int, seq_len: int, bytes_per_value: int = 2) -> int:
    head_dim, kv = _shape(cfg)
    # K and V (the 2), per layer, per sequence, per token, per KV head (not per query head)
    return 2 * cfg.n_layers * batch * seq_len * kv * head_dim * bytes_per_value
