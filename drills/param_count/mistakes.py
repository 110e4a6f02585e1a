"""Classic wrong answers to the parameter-count drill; each must fail the spec.

Most are the correct count with one piece changed, written through `_count`'s switches.
"""
from grader.props import mistake


def _count(cfg, *, linear_bias=True, ln_bias=True, final_norm=True, tied_once=True, swiglu=3, gqa=True,
           positions="gpt2", norms_per_block=2):
    d, V, b = cfg.d_model, cfg.vocab_size, int(cfg.bias)
    hd = d // cfg.n_heads
    kv = (cfg.n_kv_heads or cfg.n_heads) if gqa else cfg.n_heads
    ff = cfg.d_ff or 4 * d
    lb = b if linear_bias else 0
    attn = 2 * d * d + 2 * d * kv * hd + lb * (2 * d + 2 * kv * hd)
    if cfg.style == "gpt2":
        mlp = 2 * d * ff + lb * (ff + d)
        norm = d + (b * d if ln_bias else 0)
    else:
        mlp = swiglu * d * ff + lb * ((swiglu - 1) * ff + d)
        norm = d
    pos = cfg.max_seq_len * d if positions == "all" or (positions == "gpt2" and cfg.style == "gpt2") else 0
    lm_head = 0 if (cfg.tie_embeddings and tied_once) else d * V
    return V * d + pos + cfg.n_layers * (norms_per_block * norm + attn + mlp) + (norm if final_norm else 0) + lm_head


@mistake("linear_biases_forgotten", "the biases of the attention and MLP linears are not counted",
         entry="count_params",
         explain="With bias=True each nn.Linear(n_in, n_out) holds n_in·n_out + n_out numbers: q, k, v, o "
                 "and the MLP's linears all add their output size.")
def linear_biases_forgotten(cfg):
    return _count(cfg, linear_bias=False)


@mistake("layernorm_bias_forgotten", "LayerNorm counted with its weight only (like RMSNorm)", entry="count_params",
         explain="A LayerNorm with bias has a weight (gain) and a bias (shift): 2·d_model numbers; RMSNorm has "
                 "only the weight.")
def layernorm_bias_forgotten(cfg):
    return _count(cfg, ln_bias=False)


@mistake("final_norm_forgotten", "the final norm after the last block is not counted", entry="count_params",
         explain="Pre-norm transformers (GPT-2, LLaMA) normalise once more after the last block (ln_f / norm) "
                 "before the lm_head.")
def final_norm_forgotten(cfg):
    return _count(cfg, final_norm=False)


@mistake("one_norm_per_block", "one norm per block instead of two", entry="count_params",
         explain="Each block normalises twice: before attention and before the MLP.")
def one_norm_per_block(cfg):
    return _count(cfg, norms_per_block=1)


@mistake("tied_counted_twice", "tied embeddings counted twice (the lm_head added although it is the embedding)",
         entry="count_params",
         explain="With weight tying the lm_head's weight IS the token embedding matrix: one tensor, counted once "
                 "(model.parameters() yields it once).")
def tied_counted_twice(cfg):
    return _count(cfg, tied_once=False)


@mistake("swiglu_two_matrices", "SwiGLU MLP counted with two matrices instead of three", entry="count_params",
         explain="SwiGLU computes down(silu(gate(x)) * up(x)): gate_proj and up_proj (d_model -> d_ff) and "
                 "down_proj (d_ff -> d_model), 3·d_model·d_ff weights.")
def swiglu_two_matrices(cfg):
    return _count(cfg, swiglu=2)


@mistake("gqa_ignored", "K and V projections counted with n_heads (GQA ignored)", entry="count_params",
         explain="Under grouped-query attention k_proj and v_proj output n_kv_heads·head_dim, not d_model; only "
                 "q_proj and o_proj stay d_model × d_model.")
def gqa_ignored(cfg):
    return _count(cfg, gqa=False)


@mistake("positions_forgotten", "GPT-2's learned position embedding (max_seq_len × d_model) not counted",
         entry="count_params",
         explain="GPT-2 learns one vector per position (wpe); only RoPE models (LLaMA) have no position weights.")
def positions_forgotten(cfg):
    return _count(cfg, positions="none")


@mistake("rope_has_weights", "a position embedding counted for the LLaMA style too", entry="count_params",
         explain="RoPE rotates q and k by fixed, position-dependent angles: it has no parameters.")
def rope_has_weights(cfg):
    return _count(cfg, positions="all")


@mistake("twelve_d_squared", "the 12·d²·L + V·d rule of thumb instead of an exact count", entry="count_params",
         explain="12·d²·L counts attention (4d²) and a 4× MLP (8d²) per layer and nothing else: no biases, norms, "
                 "positions, GQA, SwiGLU or untied head. Good for estimates, not for an exact count.")
def twelve_d_squared(cfg):
    return 12 * cfg.d_model ** 2 * cfg.n_layers + cfg.vocab_size * cfg.d_model


@mistake("kv_cache_without_v", "KV cache without the factor 2 (only K, or only V, counted)", entry="kv_cache_bytes",
         explain="Every layer caches both keys and values: 2 · n_layers · batch · seq_len · n_kv_heads · head_dim "
                 "· bytes.")
def kv_cache_without_v(cfg, batch, seq_len, bytes_per_value=2):
    kv = cfg.n_kv_heads or cfg.n_heads
    return cfg.n_layers * batch * seq_len * kv * (cfg.d_model // cfg.n_heads) * bytes_per_value


@mistake("kv_cache_n_heads", "KV cache sized with n_heads instead of n_kv_heads", entry="kv_cache_bytes",
         explain="GQA's point is the cache: only n_kv_heads K/V heads are stored, so the cache shrinks by "
                 "n_heads / n_kv_heads (4× for LLaMA-3-8B).")
def kv_cache_n_heads(cfg, batch, seq_len, bytes_per_value=2):
    return 2 * cfg.n_layers * batch * seq_len * cfg.d_model * bytes_per_value
