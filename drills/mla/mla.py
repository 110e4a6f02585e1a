"""Multi-head latent attention (MLA, DeepSeek-V2), and what a KV cache costs.

Write the nn.Module MultiHeadLatentAttention and three cache-size functions.

MultiHeadLatentAttention(d_model, n_heads, d_c, d_nope, d_rope, d_v, theta=10000.0):

Causal self-attention whose keys and values come from a small latent. For x of shape
(B, L, d_model), token t at position t (0 .. L-1), and H = n_heads:
    c_kv   = kv_down(x)                (B, L, d_c)         the latent, all that is cached
    k_nope = k_up(c_kv), into heads    (B, H, L, d_nope)   per head, NO RoPE
    v      = v_up(c_kv), into heads    (B, H, L, d_v)      per head
    k_rope = RoPE(k_rope(x))           (B, L, d_rope)      ONE rotary key per token,
                                                           shared by every head
    q      = q_proj(x), into heads     (B, H, L, d_nope + d_rope); each head's vector
             splits into q_nope (its first d_nope features) and
             q_rope = RoPE(its last d_rope features)
    score_h(i, j) = (q_nope_h,i · k_nope_h,j + q_rope_h,i · k_rope_j) / √(d_nope + d_rope)
Causal (token i attends to tokens j <= i), softmax over j, out_h,i = Σ_j weight · v_h,j;
the heads' outputs are concatenated in head order and passed through o_proj:
(B, L, d_model), in x's dtype. "Into heads" means head h owns features h*size ..
(h+1)*size - 1 of the projection: view (B, L, H, size), then move H before L.

Submodules (nn.Linear, no biases, weights (out, in); exactly these, no other parameters):
    q_proj   d_model -> n_heads * (d_nope + d_rope)     per head: [nope | rope]
    kv_down  d_model -> d_c
    k_up     d_c     -> n_heads * d_nope
    v_up     d_c     -> n_heads * d_v
    k_rope   d_model -> d_rope
    o_proj   n_heads * d_v -> d_model
(DeepSeek's checkpoints fuse kv_down with k_rope as kv_a_proj_with_mqa, and k_up with v_up
as kv_b_proj; here they are separate.) The grader builds your module, moves it with
.to(device=..., dtype=...) and loads its own weights with load_state_dict.

RoPE: rotate-half (as Hugging Face LLaMA), base theta, over d_rope dims (d_rope is even):
the pair (x[i], x[i + d_rope/2]) turns by position * theta ** (-2i / d_rope), that is
(a, b) -> (a·cos - b·sin, a·sin + b·cos). Only q_rope and k_rope are rotated.

Precision: for float16/bfloat16 compute the RoPE angles and the softmax in float32
(float64 stays float64) and return x's dtype. Create new tensors on x's device; do not
modify x in place.

Cache sizes: how many values (not bytes) a KV cache holds per token, over all layers. Each
returns a Python int.
    mla_cache_values_per_token(n_layers, d_c, d_rope)
        MLA: per layer, the latent c_kv and the shared rotary key
    mha_cache_values_per_token(n_layers, n_heads, head_dim)
        MHA: per layer, a key and a value for every head
    gqa_cache_values_per_token(n_layers, n_kv_heads, head_dim)
        GQA: per layer, a key and a value for every kv head

Allowed: anything in torch, including torch.nn.functional.scaled_dot_product_attention
(its default scale, 1/√(q's last dim), is the right one if you concatenate [q_nope, q_rope]
and [k_nope, k_rope]). Not allowed: torch.nn.MultiheadAttention.

What is checked: the parameter names and shapes; equality with the reference under the
same weights (float32 and float64; float16/bfloat16 within the dtype's rtol and twice its
atol, since the latent adds a rounded matmul on the key and value paths); that future
tokens do not change earlier outputs; that permuting the heads (their slices of q_proj,
k_up, v_up and o_proj together) does not change the output; the three cache formulas.

Example: d_model=2, n_heads=1, d_c=1, d_nope=1, d_rope=2, d_v=1, and weights
    q_proj = [[0, 1], [1, 0], [0, 1]]    kv_down = [[1, 0]]    k_up = [[1]]    v_up = [[1]]
    k_rope = [[1, 0], [0, 1]]            o_proj = [[1], [0]]
    x = [[[1., 0.], [0., 1.]]]
    token 0 sees only itself; its value is c_kv = 1               -> [1, 0]
    token 1: q_nope = 1, q_rope = RoPE([0, 1] at position 1) = [-0.8415, 0.5403]
        k_nope of tokens 0, 1 = [1, 0] (their c_kv)
        k_rope of tokens 0, 1 = [1, 0], [-0.8415, 0.5403]
        scores = [1 - 0.8415, 0 + 1] / √3 = [0.0915, 0.5774]
        weights [0.3809, 0.6191] over the values [1, 0]             -> [0.3809, 0]
    output ≈ [[[1.0000, 0.0000], [0.3809, 0.0000]]]    (dividing by √d_nope = 1: 0.3012)
    mla_cache_values_per_token(60, 512, 64)  == 34560      (DeepSeek-V2)
    mha_cache_values_per_token(60, 128, 128) == 1966080
"""
import torch
from torch import nn


class MultiHeadLatentAttention(nn.Module):

    def __init__(self, d_model: int, n_heads: int, d_c: int, d_nope: int, d_rope: int, d_v: int,
                 theta: float = 10000.0):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def mla_cache_values_per_token(n_layers: int, d_c: int, d_rope: int) -> int:
    raise NotImplementedError


def mha_cache_values_per_token(n_layers: int, n_heads: int, head_dim: int) -> int:
    raise NotImplementedError


def gqa_cache_values_per_token(n_layers: int, n_kv_heads: int, head_dim: int) -> int:
    raise NotImplementedError
