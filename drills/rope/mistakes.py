"""Classic wrong answers to the RoPE drill; each must fail the spec."""
import torch

from grader.props import mistake


def _rope(x, positions, theta=10000.0, interleaved=False, *, exponent=2, pos_of=None, sign=1.0,
          angle_dtype=None, layout=None):
    """The reference, with one knob per mistake."""
    D = x.shape[-1]
    work = angle_dtype or torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-exponent * torch.arange(0, D // 2, dtype=work, device=x.device) / D)  # (D/2,)
    if pos_of is not None:
        positions = pos_of(x, positions)
    angles = positions.to(work).unsqueeze(-1) * inv_freq  # (..., L, D/2)
    cos, sin = angles.cos(), sign * angles.sin()
    xw = x.to(cos.dtype)
    if (layout or ("interleaved" if interleaved else "half")) == "interleaved":
        a, b = xw[..., 0::2], xw[..., 1::2]
        out = torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)
    else:
        a, b = xw[..., : D // 2], xw[..., D // 2:]
        out = torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1)
    return out.to(x.dtype)


@mistake("always_interleaved", "interleaved pairs (x[2i], x[2i+1]) used for interleaved=False",
         explain="interleaved=False is the rotate-half convention of HF LLaMA: pair i is (x[i], x[i + D/2]). "
                 "Checkpoints converted between Meta's and HF's layouts permute the q/k weights for exactly "
                 "this reason.")
def apply_rope(x, positions, theta=10000.0, interleaved=False):
    return _rope(x, positions, theta, layout="interleaved")


@mistake("always_rotate_half", "rotate-half pairs (x[i], x[i+D/2]) used for interleaved=True",
         entry="apply_rope",
         explain="interleaved=True is the RoFormer / Meta LLaMA convention: neighbours (x[2i], x[2i+1]) "
                 "form a pair (one complex number each in Meta's code).")
def always_rotate_half(x, positions, theta=10000.0, interleaved=False):
    return _rope(x, positions, theta, layout="half")


@mistake("frequencies_interleaved_for_rotate_half",
         "rotate-half pairs, but the cos/sin table laid out for interleaved pairs (repeat_interleave)",
         entry="apply_rope",
         explain="For rotate-half the table is cat(freqs, freqs): channel i and channel i + D/2 share "
                 "frequency i. freqs.repeat_interleave(2) belongs to the interleaved convention; mixed with "
                 "rotate_half it is no rotation at all (norms change).")
def frequencies_interleaved(x, positions, theta=10000.0, interleaved=False):
    if interleaved:
        return _rope(x, positions, theta, interleaved=True)
    D = x.shape[-1]
    work = torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-torch.arange(0, D, 2, dtype=work) / D)
    emb = (positions.to(work).unsqueeze(-1) * inv_freq).repeat_interleave(2, dim=-1)  # (..., L, D)
    rot = torch.cat((-x[..., D // 2:], x[..., : D // 2]), dim=-1).to(work)
    return (x.to(work) * emb.cos() + rot * emb.sin()).to(x.dtype)


@mistake("exponent_i_over_d", "frequencies theta^(-i/D) instead of theta^(-2i/D)", entry="apply_rope",
         explain="With i = 0..D/2-1 the exponent is -2i/D (equivalently arange(0, D, 2) / D), so the "
                 "slowest pair turns at theta^(-(D-2)/D), close to 1/theta.")
def exponent_i_over_d(x, positions, theta=10000.0, interleaved=False):
    return _rope(x, positions, theta, interleaved, exponent=1)


@mistake("positions_ignored", "positions ignored: arange(L) used instead", entry="apply_rope",
         explain="The positions argument is the point: with a KV cache the new token sits at position "
                 "cache_len, not 0, and packed or left-padded batches have their own positions.")
def positions_ignored(x, positions, theta=10000.0, interleaved=False):
    return _rope(x, positions, theta, interleaved,
                 pos_of=lambda x, p: torch.arange(x.shape[-2], device=x.device))


@mistake("rotation_reversed", "rotation in the wrong direction (sign of sin flipped)", entry="apply_rope",
         explain="(a, b) -> (a cos - b sin, a sin + b cos). Writing rotate_half as cat(x2, -x1) instead of "
                 "cat(-x2, x1) rotates by -angle: relative positions still work, but the model's weights "
                 "were trained with the other sign.")
def rotation_reversed(x, positions, theta=10000.0, interleaved=False):
    return _rope(x, positions, theta, interleaved, sign=-1.0)


@mistake("angles_in_half_precision", "angles computed in float16/bfloat16 instead of float32",
         entry="apply_rope",
         explain="position * inv_freq in bf16 has 8 significant bits: near 2000 the representable numbers are "
                 "8 apart, so the angle is off by radians. Compute the angles and cos/sin in float32 and "
                 "cast only the result.")
def angles_in_half(x, positions, theta=10000.0, interleaved=False):
    return _rope(x, positions, theta, interleaved, angle_dtype=x.dtype)


@mistake("theta_ignored", "theta ignored: the base 10000 is hard-coded", entry="apply_rope",
         explain="LLaMA 3 uses theta = 500000 and long-context models raise it further; the base must come "
                 "from the argument.")
def theta_ignored(x, positions, theta=10000.0, interleaved=False):
    return _rope(x, positions, 10000.0, interleaved)
