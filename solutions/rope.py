"""Reference: rotary position embedding (RoPE), both pair conventions.

Each pair of channels (a, b) of a query or key vector at position m is rotated by the
angle m * theta^(-2i/D), so that q_m . k_n depends only on m - n.

Left out on purpose: cos/sin caching across calls (real models precompute a table up
to max_seq_len), partial rotary (rotating only the first rot_dim channels, as in
GPT-NeoX/Phi), and frequency scaling for long context (NTK, YaRN, LLaMA 3's rope_scaling).
"""
import torch


def apply_rope(x, positions, theta=10000.0, interleaved=False):
    # x (..., L, D) with D even; positions int, broadcastable to x.shape[:-1]
    D = x.shape[-1]
    # subtle: angles like 2000 * 1.0 need float32 at least; in bf16 their spacing is 8 radians
    work = torch.promote_types(x.dtype, torch.float32)  # fp16/bf16/fp32 -> fp32, fp64 -> fp64
    inv_freq = theta ** (-torch.arange(0, D, 2, dtype=work, device=x.device) / D)  # (D/2,)  theta^(-2i/D)
    angles = positions.to(work).unsqueeze(-1) * inv_freq  # (..., L, D/2)
    cos, sin = angles.cos(), angles.sin()
    xw = x.to(work)
    if interleaved:
        # RoFormer / Meta LLaMA: pairs are neighbours (x[2i], x[2i+1])
        a, b = xw[..., 0::2], xw[..., 1::2]  # (..., L, D/2) each
        out = torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)  # back to (..., L, D)
    else:
        # HF LLaMA "rotate_half": pairs are (x[i], x[i + D/2]), the two halves of the vector
        a, b = xw[..., : D // 2], xw[..., D // 2 :]
        out = torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1)  # (..., L, D)
    return out.to(x.dtype)
