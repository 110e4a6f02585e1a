"""The models a ModelConfig describes, as real nn.Modules on the meta device.

The spec counts their parameters to grade `count_params` (the meta device stores no
numbers, so even a 7B model costs nothing to build). Written to mirror nanoGPT (gpt2
style) and HF/Meta LLaMA (llama style); attention and the MLP are only declared, since
only their parameters matter here.
"""
from __future__ import annotations

import torch
from torch import nn


def _fields(cfg) -> dict:
    names = ("vocab_size", "d_model", "n_layers", "n_heads", "max_seq_len", "n_kv_heads", "d_ff", "style",
             "tie_embeddings", "bias")
    return dict(cfg) if isinstance(cfg, dict) else {n: getattr(cfg, n) for n in names}


# The stock layers with reset_parameters() skipped: on the meta device there are no numbers
# to initialise, and normal_() on meta even imports torch._dynamo (seconds). The parameters
# are exactly the stock layers'.
class Linear(nn.Linear):
    def reset_parameters(self):
        pass


class Embedding(nn.Embedding):
    def reset_parameters(self):
        pass


class LayerNorm(nn.LayerNorm):
    def reset_parameters(self):
        pass


class RMSNorm(nn.RMSNorm):
    def reset_parameters(self):
        pass


def _norm(c) -> nn.Module:
    if c["style"] == "gpt2":
        return LayerNorm(c["d_model"], bias=c["bias"])  # weight (+ bias)
    return RMSNorm(c["d_model"])                        # weight only


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, hd = c["d_model"], c["d_model"] // c["n_heads"]
        kv = c["n_kv_heads"] or c["n_heads"]
        self.q_proj = Linear(d, c["n_heads"] * hd, bias=c["bias"])
        self.k_proj = Linear(d, kv * hd, bias=c["bias"])   # GQA: fewer K/V heads
        self.v_proj = Linear(d, kv * hd, bias=c["bias"])
        self.o_proj = Linear(c["n_heads"] * hd, d, bias=c["bias"])


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, ff = c["d_model"], c["d_ff"] or 4 * c["d_model"]
        if c["style"] == "gpt2":
            self.c_fc = Linear(d, ff, bias=c["bias"])
            self.c_proj = Linear(ff, d, bias=c["bias"])
        else:  # SwiGLU: down(silu(gate(x)) * up(x))
            self.gate_proj = Linear(d, ff, bias=c["bias"])
            self.up_proj = Linear(d, ff, bias=c["bias"])
            self.down_proj = Linear(ff, d, bias=c["bias"])


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm_1 = _norm(c)
        self.attn = Attention(c)
        self.norm_2 = _norm(c)
        self.mlp = MLP(c)


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.tok_emb = Embedding(c["vocab_size"], c["d_model"])
        if c["style"] == "gpt2":
            self.pos_emb = Embedding(c["max_seq_len"], c["d_model"])  # learned positions; RoPE has none
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["n_layers"]))
        self.norm_f = _norm(c)
        self.lm_head = Linear(c["d_model"], c["vocab_size"], bias=False)
        if c["tie_embeddings"]:
            self.lm_head.weight = self.tok_emb.weight  # one matrix, two uses


def build(cfg) -> Transformer:
    """The model of a config (a ModelConfig or a dict of its fields), on the meta device."""
    with torch.device("meta"):
        return Transformer(_fields(cfg))


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())  # parameters() yields a shared tensor once


def breakdown(model: Transformer) -> str:
    """Where the parameters are: 'tok_emb 40; pos_emb 32; 1 × block of 244 (norm_1 8, ...); ...'."""
    parts = []
    for name, child in model.named_children():
        if name == "blocks":
            if len(child):
                inner = ", ".join(f"{n} {n_params(m):,}" for n, m in child[0].named_children())
                parts.append(f"{len(child)} × block of {n_params(child[0]):,} ({inner})")
        elif name == "lm_head" and model.lm_head.weight is model.tok_emb.weight:
            parts.append("lm_head 0 (tied to tok_emb)")
        else:
            parts.append(f"{name} {n_params(child):,}")
    return "; ".join(parts)
