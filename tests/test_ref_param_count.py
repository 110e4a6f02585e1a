"""The param_count reference against real nn.Modules built on the meta device (the spec's
models.py, and stock torch layers assembled here independently), against published totals,
and the KV-cache formula against an actual cache tensor's size."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from grader.catalog import load_catalog
from grader.runner import load_module

DRILL = load_catalog().get("param_count")
REF = load_module(DRILL.solution_path, "test_ref_param_count_solution")
MODELS = load_module(DRILL.folder / "models.py", "drill_param_count_models")
SPEC = load_module(DRILL.spec_path, "test_ref_param_count_spec")


def stock_model(c: REF.ModelConfig) -> nn.Module:
    """The same architecture from stock torch layers, written independently of models.py."""
    d, kv = c.d_model, (c.n_kv_heads or c.n_heads) * (c.d_model // c.n_heads)
    ff = c.d_ff or 4 * d

    def norm():
        return nn.LayerNorm(d, bias=c.bias) if c.style == "gpt2" else nn.RMSNorm(d)

    def block():
        mlp = [nn.Linear(d, ff, bias=c.bias), nn.GELU(), nn.Linear(ff, d, bias=c.bias)]
        if c.style == "llama":
            mlp.append(nn.Linear(d, ff, bias=c.bias))  # the third SwiGLU matrix (gate)
        return nn.ModuleList([norm(), nn.Linear(d, d, bias=c.bias), nn.Linear(d, kv, bias=c.bias),
                              nn.Linear(d, kv, bias=c.bias), nn.Linear(d, d, bias=c.bias), norm(), *mlp])

    with torch.device("meta"):
        wte = nn.Embedding(c.vocab_size, d, _weight=torch.empty(c.vocab_size, d))  # no init on meta
        head = nn.Linear(d, c.vocab_size, bias=False)
        if c.tie_embeddings:
            head.weight = wte.weight
        parts = [wte, *(block() for _ in range(c.n_layers)), norm(), head]
        if c.style == "gpt2":
            parts.append(nn.Embedding(c.max_seq_len, d, _weight=torch.empty(c.max_seq_len, d)))
        return nn.ModuleList(parts)


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@settings(max_examples=60, deadline=None)
@given(fields=st.one_of(SPEC.GPT2_CONFIGS, SPEC.LLAMA_CONFIGS))
def test_reference_equals_both_meta_models(fields):
    cfg = REF.ModelConfig(**fields)
    want = count(stock_model(cfg))
    assert MODELS.n_params(MODELS.build(fields)) == want
    assert REF.count_params(cfg) == want


@pytest.mark.parametrize("name,fields,total,cache", SPEC.KNOWN, ids=[k[0] for k in SPEC.KNOWN])
def test_published_totals(name, fields, total, cache):
    cfg = REF.ModelConfig(**fields)
    assert REF.count_params(cfg) == total
    assert MODELS.n_params(MODELS.build(cfg)) == total
    batch, seq_len, nbytes, want = cache
    assert REF.kv_cache_bytes(cfg, batch, seq_len, nbytes) == want


def test_worked_example_and_prompt_numbers():
    assert REF.count_params(REF.ModelConfig(vocab_size=10, d_model=4, n_layers=1, n_heads=2, max_seq_len=8)) == 324
    llama2 = REF.ModelConfig(vocab_size=32000, d_model=4096, n_layers=32, n_heads=32, max_seq_len=4096, d_ff=11008,
                             style="llama", tie_embeddings=False, bias=False)
    assert REF.kv_cache_bytes(llama2, 1, 4096, 2) == 2 * 2**30


@settings(max_examples=30, deadline=None)
@given(fields=st.one_of(SPEC.GPT2_CONFIGS, SPEC.LLAMA_CONFIGS), batch=st.integers(1, 3), seq_len=st.integers(1, 9),
       dtype=st.sampled_from([torch.float16, torch.bfloat16, torch.float32]))
def test_kv_cache_equals_the_size_of_real_cache_tensors(fields, batch, seq_len, dtype):
    cfg = REF.ModelConfig(**fields)
    kv_heads, head_dim = cfg.n_kv_heads or cfg.n_heads, cfg.d_model // cfg.n_heads
    # what a decoder actually keeps: per layer a K and a V of shape (B, n_kv_heads, T, head_dim)
    cache = [(torch.empty(batch, kv_heads, seq_len, head_dim, dtype=dtype, device="meta"),) * 2
             for _ in range(cfg.n_layers)]
    nbytes = sum(t.numel() * t.element_size() for layer in cache for t in layer)
    assert REF.kv_cache_bytes(cfg, batch, seq_len, dtype.itemsize) == nbytes


@pytest.mark.parametrize("why,fields", SPEC.INVALID)
def test_invalid_configs_raise_value_error(why, fields):
    cfg = REF.ModelConfig(**fields)
    with pytest.raises(ValueError):
        REF.count_params(cfg)
    with pytest.raises(ValueError):
        REF.kv_cache_bytes(cfg, 1, 1, 2)
