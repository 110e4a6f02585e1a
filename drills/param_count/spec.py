"""Properties of count_params and kv_cache_bytes.

The expected counts come from real nn.Modules built from the same config on the meta
device (models.py, next to this file), not from a second formula. Configs are small and
random: GQA and MHA, tied and untied, with and without biases, d_ff given or defaulted,
so that every forgotten or double-counted piece changes the total somewhere. Known
published totals pin the scale.
"""
from pathlib import Path

from hypothesis import strategies as st

from grader.failures import UserRaised
from grader.props import prop
from grader.runner import load_module

MODELS = load_module(Path(__file__).with_name("models.py"), "drill_param_count_models")
CPU = ("cpu",)  # plain integer arithmetic: a GPU adds nothing

# (name, config fields, parameters, (batch, seq_len, bytes_per_value, KV-cache bytes))
KNOWN = [
    ("GPT-2 small", dict(vocab_size=50257, d_model=768, n_layers=12, n_heads=12, max_seq_len=1024),
     124_439_808, (1, 1024, 2, 37_748_736)),
    ("GPT-2 medium", dict(vocab_size=50257, d_model=1024, n_layers=24, n_heads=16, max_seq_len=1024),
     354_823_168, (8, 1024, 4, 1_610_612_736)),
    ("LLaMA-2-7B", dict(vocab_size=32000, d_model=4096, n_layers=32, n_heads=32, max_seq_len=4096, d_ff=11008,
                        style="llama", tie_embeddings=False, bias=False),
     6_738_415_616, (1, 4096, 2, 2_147_483_648)),
    ("Mistral-7B (GQA, 8 KV heads)", dict(vocab_size=32000, d_model=4096, n_layers=32, n_heads=32, n_kv_heads=8,
                                          max_seq_len=32768, d_ff=14336, style="llama", tie_embeddings=False,
                                          bias=False),
     7_241_732_096, (1, 4096, 2, 536_870_912)),
    ("LLaMA-3-8B (GQA, 8 KV heads)", dict(vocab_size=128256, d_model=4096, n_layers=32, n_heads=32, n_kv_heads=8,
                                          max_seq_len=8192, d_ff=14336, style="llama", tie_embeddings=False,
                                          bias=False),
     8_030_261_248, (4, 8192, 2, 4_294_967_296)),
    ("TinyLlama-1.1B (GQA, 4 KV heads)", dict(vocab_size=32000, d_model=2048, n_layers=22, n_heads=32, n_kv_heads=4,
                                              max_seq_len=2048, d_ff=5632, style="llama", tie_embeddings=False,
                                              bias=False),
     1_100_048_384, (1, 2048, 2, 46_137_344)),
]


@st.composite
def configs(draw, style):
    """Small random configs of one style; all knobs vary. Sizes are drawn so they rarely coincide."""
    n_heads = draw(st.sampled_from([1, 2, 3, 4, 6]))
    head_dim = draw(st.integers(1, 5))
    return dict(
        vocab_size=draw(st.integers(2, 60)),
        d_model=n_heads * head_dim,
        n_layers=draw(st.integers(1, 4)),
        n_heads=n_heads,
        max_seq_len=draw(st.integers(1, 40)),
        n_kv_heads=draw(st.sampled_from([None] + [k for k in range(1, n_heads + 1) if n_heads % k == 0])),
        d_ff=draw(st.none() | st.integers(1, 30)),
        style=style,
        tie_embeddings=draw(st.booleans()),
        bias=draw(st.booleans()),
    )


GPT2_CONFIGS, LLAMA_CONFIGS = configs("gpt2"), configs("llama")


def check_int(t, got, want: int, what: str, where: str = "") -> None:
    """got == want, with a message that shows both with thousands separators and the difference."""
    from grader.compare import describe

    t.check(type(got) is int, f"{what} should return a Python int; it returned {describe(got)}")
    if type(got) is not int:  # (only reached while diagnosing, when checks do not raise)
        return
    t.check(got == want, f"{what} returned {got:,}; expected {want:,} (off by {got - want:+,}){where}")


def check_count(t, fields):
    cfg = t.impl.ModelConfig(**fields)
    got = t.impl.count_params(cfg)
    model = MODELS.build(fields)
    check_int(t, got, MODELS.n_params(model), "count_params(cfg)",
              f". The nn.Module built from this config has: {MODELS.breakdown(model)}")


@prop("GPT-2 style: count_params equals the parameter count of the nn.Module built from the config",
      devices=CPU, weight=1.5)
def gpt2_counts_match_the_model(t):
    check_count(t, t.draw(GPT2_CONFIGS, "config"))


@prop("LLaMA style (RMSNorm, SwiGLU, GQA, RoPE): count_params equals the parameter count of the nn.Module "
      "built from the config", devices=CPU, weight=1.5)
def llama_counts_match_the_model(t):
    check_count(t, t.draw(LLAMA_CONFIGS, "config"))


@prop("published models: GPT-2 small 124,439,808, LLaMA-2-7B 6,738,415,616, Mistral-7B, LLaMA-3-8B, TinyLlama; "
      "and their KV caches", devices=CPU, weight=0.5)
def known_models(t):
    name, fields, total, (batch, seq_len, nbytes, cache) = t.draw(st.sampled_from(KNOWN), "model")
    cfg = t.impl.ModelConfig(**fields)
    check_int(t, t.impl.count_params(cfg), total, f"count_params for {name}")
    check_int(t, t.impl.kv_cache_bytes(cfg, batch, seq_len, nbytes), cache,
              f"kv_cache_bytes for {name} (batch={batch}, seq_len={seq_len}, bytes_per_value={nbytes})",
              f"; that is {cache / 2**20:,.0f} MiB")


@prop("kv_cache_bytes counts K and V for every layer, sequence, token and KV head", devices=CPU)
def kv_cache_matches(t):
    fields = t.draw(st.one_of(GPT2_CONFIGS, LLAMA_CONFIGS), "config")
    batch = t.draw(st.integers(1, 5), "batch")
    seq_len = t.draw(st.integers(1, 50), "seq_len")
    nbytes = t.draw(st.sampled_from([1, 2, 4]), "bytes_per_value")
    cfg = t.impl.ModelConfig(**fields)
    got = t.impl.kv_cache_bytes(cfg, batch, seq_len, nbytes)
    want = t.ref.kv_cache_bytes(t.ref.ModelConfig(**fields), batch, seq_len, nbytes)
    check_int(t, got, want, f"kv_cache_bytes(cfg, batch={batch}, seq_len={seq_len}, bytes_per_value={nbytes})")


INVALID = [
    ("an unknown style", dict(vocab_size=11, d_model=8, n_layers=2, n_heads=2, style="bert")),
    ("d_model not divisible by n_heads", dict(vocab_size=11, d_model=10, n_layers=2, n_heads=4)),
    ("d_model not divisible by n_heads", dict(vocab_size=11, d_model=9, n_layers=1, n_heads=6, style="llama",
                                              d_ff=5, bias=False)),
    ("n_heads not divisible by n_kv_heads", dict(vocab_size=11, d_model=12, n_layers=2, n_heads=6, n_kv_heads=4,
                                                 style="llama", bias=False)),
    ("n_heads not divisible by n_kv_heads", dict(vocab_size=11, d_model=12, n_layers=1, n_heads=4, n_kv_heads=3)),
]


@prop("configs that cannot be built (unknown style, d_model % n_heads, n_heads % n_kv_heads) raise ValueError",
      devices=CPU, weight=0.5)
def invalid_configs_raise(t):
    why, fields = t.draw(st.sampled_from(INVALID), "invalid config")
    entry = t.draw(st.sampled_from(["count_params", "kv_cache_bytes"]), "function")
    try:
        cfg = t.impl.ModelConfig(**fields)
        args = (cfg,) if entry == "count_params" else (cfg, 1, 8, 2)
        got = getattr(t.impl, entry)(*args)
    except UserRaised as e:
        t.check(e.exc_type == "ValueError", f"{e.message}; a config with {why} should raise ValueError")
        return
    t.check(False, f"{entry} returned {got!r} for a config with {why}; it should raise ValueError")
