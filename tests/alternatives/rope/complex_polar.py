"""Correct, differently written: Meta LLaMA style, complex numbers. Each pair is one complex
number a + ib, multiplied by e^(i angle) (torch.polar); x is upcast with .float()."""
import torch


def apply_rope(x, positions, theta=10000.0, interleaved=False):
    real = torch.float64 if x.dtype == torch.float64 else torch.float32
    D = x.shape[-1]
    freqs = 1.0 / theta ** (torch.arange(0, D, 2, device=x.device)[: D // 2].to(real) / D)
    angles = torch.einsum("...l,f->...lf", positions.to(real), freqs)
    rot = torch.polar(torch.ones_like(angles), angles)  # e^(i angle), complex
    xf = x.to(real)
    if interleaved:
        z = torch.view_as_complex(xf.reshape(*xf.shape[:-1], D // 2, 2).contiguous())
        out = torch.view_as_real(z * rot).flatten(-2)
    else:
        z = torch.complex(xf[..., : D // 2], xf[..., D // 2 :])
        zr = z * rot
        out = torch.cat((zr.real, zr.imag), dim=-1)
    return out.type_as(x)
