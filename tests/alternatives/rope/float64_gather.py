"""Correct, differently written: angles in float64 whatever x's dtype (more precise than
asked), and the partner of every channel fetched with an index (rotation as
x * cos + x[partner] * sign * sin), one code path for both conventions."""
import torch


def apply_rope(x, positions, theta=10000.0, interleaved=False):
    D = x.shape[-1]
    idx = torch.arange(D, device=x.device)
    if interleaved:
        pair = idx // 2                      # channel c belongs to pair c // 2
        partner = idx ^ 1                    # its neighbour
        first = idx % 2 == 0
    else:
        pair = idx % (D // 2)                # channel c belongs to pair c mod D/2
        partner = (idx + D // 2) % D         # the channel in the other half
        first = idx < D // 2
    sign = torch.where(first, -1.0, 1.0).to(torch.float64)  # first member gets -b sin, second +a sin
    inv_freq = torch.pow(torch.tensor(float(theta), dtype=torch.float64, device=x.device),
                         -2.0 * pair.to(torch.float64) / D)  # (D,) frequency of each channel's pair
    angle = positions.to(torch.float64).unsqueeze(-1) * inv_freq  # (..., L, D)
    xd = x.to(torch.float64)
    out = xd * angle.cos() + xd.index_select(-1, partner) * sign * angle.sin()
    return out.to(x.dtype)
