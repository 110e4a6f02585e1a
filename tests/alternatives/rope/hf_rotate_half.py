"""Correct, differently written: HF LLaMA style. inv_freq = 1 / theta^(2i/D), a duplicated
(cos, sin) table cast to x's dtype, and `x * cos + rotate_half(x) * sin` in x's dtype."""
import torch


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotate_pairs(x):
    # (x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)
    return torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)


def apply_rope(x, positions, theta=10000.0, interleaved=False):
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    dim = x.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, device=x.device).to(work) / dim))
    freqs = positions[..., None].to(work) * inv_freq[None, :]
    if interleaved:
        emb = freqs.repeat_interleave(2, dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        return x * cos + rotate_pairs(x) * sin
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
    return x * cos + rotate_half(x) * sin
