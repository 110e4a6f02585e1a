"""Properties of SwiGLU and GeluMLP.

d_model, d_ff and the leading dims are drawn separately and differ (d_ff is also never
2·d_model), so a projection built with its dimensions swapped cannot hide. Both modules
get the same seeded weights through load_state_dict (never their random init). Weights are
scaled by 1/sqrt(in) so that pre-activations are of order 1 to 3, where SiLU, sigmoid and
the two GELU formulas all differ visibly in float32. Two metamorphic properties pin the
gated structure: the output is linear in w_up, and a zero gate gives a zero output.
"""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import dims

DEFAULT_BIAS = {"SwiGLU": False, "GeluMLP": True}
LAYERS = {"SwiGLU": {"w_gate": "in", "w_up": "in", "w_down": "out"},
          "GeluMLP": {"fc_in": "in", "fc_out": "out"}}


@dataclass(frozen=True)
class Config:
    cls: str
    d_model: int
    d_ff: int
    lead: tuple
    bias: bool
    pass_bias: bool   # bias given to the constructor explicitly (else its default)

    def kwargs(self) -> dict:
        return {"bias": self.bias} if self.pass_bias else {}

    def __str__(self) -> str:
        return f"{self.cls}({self.d_model}, {self.d_ff}{', bias=' + str(self.bias) if self.pass_bias else ''})"

    def shapes(self) -> dict:
        """state_dict name -> shape, as in nn.Linear: weight (out, in)."""
        out = {}
        for name, kind in LAYERS[self.cls].items():
            o, i = (self.d_ff, self.d_model) if kind == "in" else (self.d_model, self.d_ff)
            out[f"{name}.weight"] = (o, i)
            if self.bias:
                out[f"{name}.bias"] = (o,)
        return out


def draw_config(t, cls=None, bias=None) -> Config:
    cls = t.draw(st.sampled_from(sorted(LAYERS)), "module") if cls is None else cls
    n_lead = t.draw(st.integers(0, 2), "leading dims")
    names = [f"B{i}" for i in range(n_lead)]
    d = t.draw(dims("d_model", "d_ff", *names, high=7, d_model=(1, 6), d_ff=(1, 8)), "sizes")
    if d["d_ff"] == 2 * d["d_model"]:  # keep d_ff != 2·d_model: a fused (2·d_ff, d_model) slip must show
        d["d_ff"] += 1
    if bias is None:
        bias = t.draw(st.booleans(), "bias")
    pass_bias = bias != DEFAULT_BIAS[cls] or t.draw(st.booleans(), "pass the default bias explicitly")
    return Config(cls, d["d_model"], d["d_ff"], tuple(d[n] for n in names), bias, pass_bias)


def weights(t, cfg: Config) -> dict:
    """Seeded state_dict; weights ~ N(0, 1/in) keep pre-activations of order 1."""
    sd = {}
    for name, shape in cfg.shapes().items():
        fan_in = shape[1] if len(shape) == 2 else 1
        sd[name] = t.tensor(shape, scale=fan_in ** -0.5 if len(shape) == 2 else 0.5)
    return sd


def build(t, impl, cfg: Config, sd: dict):
    """The implementation's module on the trial's device and dtype, holding `sd` (strict load)."""
    m = getattr(impl, cfg.cls)(cfg.d_model, cfg.d_ff, **cfg.kwargs())
    m = m.to(device=t.device, dtype=t.dtype)
    m.load_state_dict(sd)
    return m


def draw_x(t, cfg: Config, scales=(0.5, 1.0, 2.0)):
    scale = t.draw(st.sampled_from(scales), "input scale")
    return t.tensor(cfg.lead + (cfg.d_model,), scale=scale, label="x")


def compare_with_reference(t, cfg: Config, scales=(0.5, 1.0, 2.0)):
    sd = weights(t, cfg)
    x = draw_x(t, cfg, scales)
    got = build(t, t.impl, cfg, sd)(x)
    want = build(t, t.ref, cfg, sd)(x)
    t.assert_close(got, want, what=f"{cfg} applied to x of shape {tuple(x.shape)}")


def check_parameters(t, cls):
    """Load weights of the stated names and shapes (strict=False), then list the parameters.

    Loading first makes every value deterministic (never the random init), so the
    diagnosis can replay these calls on the known mistakes and compare.
    """
    from grader.failures import UserRaised

    cfg = draw_config(t, cls)
    want = cfg.shapes()
    m = getattr(t.impl, cfg.cls)(cfg.d_model, cfg.d_ff, **cfg.kwargs())
    try:
        loaded = m.load_state_dict(weights(t, cfg), strict=False)
    except UserRaised as e:
        t.check(False, f"{cfg}: loading weights of the stated shapes {want} (name: shape) failed; "
                       f"nn.Linear(in, out).weight is (out, in). {e.message}")
        return
    # in load_state_dict's terms: "unexpected" = given but the module lacks it; "missing" =
    # the module has it but it was not given, i.e. an extra parameter
    missing, extra = sorted(loaded.unexpected_keys), sorted(loaded.missing_keys)
    t.check(not missing, f"{cfg}: parameters missing: {missing}; expected exactly {want} (name: shape)")
    t.check(not extra, f"{cfg}: unexpected parameters {extra}; bias={cfg.bias} means "
                       f"{'a bias on every projection' if cfg.bias else 'no biases at all'}, and there are no "
                       f"parameters besides the projections. Expected exactly {want}")
    if missing or extra:
        return
    got = {name: tuple(p.shape) for name, p in m.named_parameters().collect()}
    t.check(got == want, f"{cfg}: named_parameters() should be exactly {want}; got {got}")


@prop("SwiGLU: w_gate and w_up (d_ff, d_model), w_down (d_model, d_ff), biases only with bias=True, nothing else")
def swiglu_parameters(t):
    check_parameters(t, "SwiGLU")


@prop("GeluMLP: fc_in (d_ff, d_model), fc_out (d_model, d_ff), biases unless bias=False, nothing else")
def gelu_mlp_parameters(t):
    check_parameters(t, "GeluMLP")


@prop("SwiGLU output equals the reference with the same weights", dtypes=("float32", "float64"), weight=2)
def swiglu_matches_reference(t):
    compare_with_reference(t, draw_config(t, "SwiGLU"))


@prop("GeluMLP output equals the reference with the same weights (exact erf GELU)",
      dtypes=("float32", "float64"), weight=2)
def gelu_mlp_matches_reference(t):
    compare_with_reference(t, draw_config(t, "GeluMLP"))


@prop("half precision: both modules equal the reference within fp16/bf16 tolerance, in x's dtype",
      dtypes=("float16", "bfloat16"))
def half_matches_reference(t):
    # subtle: small inputs only. The output sums d_ff products of rounded terms; in bf16
    # (8 bits of mantissa) two correct op orders (F.linear vs einsum + bias, F.silu vs
    # z / (1 + exp(-z))) already differ by more than the bf16 tolerance once the terms are
    # a few times larger than their sum. The float32/float64 properties check the values.
    compare_with_reference(t, draw_config(t), scales=(0.25, 0.5))


@prop("SwiGLU is linear in w_up (bias=False): scaling w_up by c scales the output by c")
def swiglu_is_linear_in_up(t):
    cfg = draw_config(t, "SwiGLU", bias=False)
    c = t.draw(st.sampled_from([-2.0, 0.5, 3.0]), "c")
    sd = weights(t, cfg)
    scaled = dict(sd, **{"w_up.weight": sd["w_up.weight"] * c})
    x = draw_x(t, cfg)
    out1 = build(t, t.impl, cfg, sd)(x)
    out2 = build(t, t.impl, cfg, scaled)(x)
    t.assert_close(out2, out1 * c, what=f"{cfg} with w_up.weight multiplied by {c:g}, vs {c:g} × the output "
                                        "with the original w_up (silu goes on the gate only; the product is "
                                        "elementwise; no residual)")


@prop("SwiGLU with w_gate = 0 (bias=False) outputs zeros: silu(0) = 0 closes the gate")
def zero_gate_gives_zero(t):
    import torch

    cfg = draw_config(t, "SwiGLU", bias=False)
    sd = weights(t, cfg)
    sd["w_gate.weight"] = torch.zeros_like(sd["w_gate.weight"])
    x = draw_x(t, cfg)
    got = build(t, t.impl, cfg, sd)(x)
    t.assert_close(got, torch.zeros(x.shape, dtype=t.dtype, device=t.device),
                   what=f"{cfg} with w_gate.weight = 0 (silu(0) = 0, while sigmoid(0) = 1/2)")


@prop("gradients with respect to x and every parameter equal the reference's", dtypes=("float32", "float64"))
def gradients_match_reference(t):
    cfg = draw_config(t)
    sd = weights(t, cfg)
    x = draw_x(t, cfg)
    g = t.tensor(x.shape)
    got = build(t, t.impl, cfg, sd).grad(x, wrt=(0,), grad_output=g)
    want = build(t, t.ref, cfg, sd).grad(x, wrt=(0,), grad_output=g)
    what = f"{cfg} applied to x of shape {tuple(x.shape)}"
    t.assert_close(got["output"], want["output"], what=what)
    for name in sorted(want["param_grads"]):
        t.assert_close(got["param_grads"].get(name), want["param_grads"][name],
                       what=f"gradient of {name} for {what} (does it take part in autograd?)")
    t.assert_close(got["input_grads"][0], want["input_grads"][0], what=f"gradient of x for {what}")
