"""Count a decoder-only transformer's parameters, and its KV cache, from its config.

Write `count_params(cfg)` and `kv_cache_bytes(cfg, batch, seq_len, bytes_per_value)` for the
`ModelConfig` below (keep the dataclass as it is; the grader builds configs with it).

head_dim = d_model // n_heads. n_kv_heads=None means n_kv_heads = n_heads (plain multi-head
attention); fewer KV heads is grouped-query attention (GQA), 1 is multi-query (MQA).
d_ff=None means d_ff = 4 · d_model, for both styles.

The model, in both styles:
    token embedding (vocab_size, d_model)
    n_layers blocks, each:  norm -> attention -> residual,  norm -> MLP -> residual
        attention: q_proj d_model -> n_heads · head_dim,     k_proj, v_proj: d_model -> n_kv_heads · head_dim,
                   o_proj n_heads · head_dim -> d_model
    a final norm after the last block
    lm_head d_model -> vocab_size, without bias; when tie_embeddings it IS the token
        embedding matrix (shared, counted once), otherwise a separate matrix.
style="gpt2":  learned position embedding (max_seq_len, d_model); LayerNorm (weight and bias);
               MLP: d_model -> d_ff -> d_model (two linears, GELU in between).
style="llama": no position parameters (RoPE); RMSNorm (weight only);
               MLP: SwiGLU: gate_proj and up_proj d_model -> d_ff, down_proj d_ff -> d_model.
bias=True: every linear inside the blocks (q, k, v, o and the MLP's) has a bias, and in the
    gpt2 style every LayerNorm has its bias too (nanoGPT's flag). bias=False: no linear has a
    bias and the LayerNorms have a weight only. RMSNorm never has a bias; lm_head never does.

count_params(cfg) -> int: the number of distinct parameters (a tied matrix counts once).
kv_cache_bytes(cfg, batch, seq_len, bytes_per_value) -> int: bytes held by the KV cache when
    `batch` sequences of `seq_len` tokens are cached at every layer, each stored number
    taking `bytes_per_value` bytes (2 for fp16/bf16).
Both return a Python int, and raise ValueError for a config that cannot be built: an unknown
style, d_model not divisible by n_heads, or n_heads not divisible by n_kv_heads.

Not allowed: building the model with torch and counting its parameters (nn.Module.parameters,
named_parameters, state_dict): do the arithmetic.

Example: ModelConfig(vocab_size=10, d_model=4, n_layers=1, n_heads=2, max_seq_len=8)
    (gpt2 style, tied, bias) has 324 parameters: embeddings 10·4 + 8·4 = 72; the block:
    two LayerNorms 2·(4+4) = 16, attention 4·(4·4 + 4) = 80, MLP (4·16 + 16) + (16·4 + 4) = 148;
    final LayerNorm 8; lm_head shared: 0.  72 + 244 + 8 = 324.
    Sanity checks: GPT-2 small (vocab 50257, d 768, 12 layers, 12 heads, 1024 positions) has
    124,439,808; LLaMA-2-7B (vocab 32000, d 4096, 32 layers, 32 heads, d_ff 11008, untied,
    no bias) has 6,738,415,616 and caches 2 GiB per 4096 fp16 tokens (batch 1).
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


def count_params(cfg: ModelConfig) -> int:
    raise NotImplementedError


def kv_cache_bytes(cfg: ModelConfig, batch: int, seq_len: int, bytes_per_value: int = 2) -> int:
    raise NotImplementedError
