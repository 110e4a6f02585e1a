"""Classic wrong answers to the attention drill; each must fail the spec."""
import math

import torch

from grader.props import mistake


def _finish(scores, v, mask):
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    w = torch.softmax(scores.float(), dim=-1)
    if mask is not None:
        w = w.masked_fill(~mask.any(-1, keepdim=True), 0.0)
    return w.to(v.dtype) @ v


@mistake("no_scale", "scores are not divided by √D",
         explain="softmax(QKᵀ)V without 1/√D: scores grow with D and the softmax saturates.")
def scaled_dot_product_attention(q, k, v, mask=None):
    return _finish(q @ k.transpose(-2, -1), v, mask)


@mistake("scale_by_d", "scores divided by D instead of √D", entry="scaled_dot_product_attention")
def scale_by_d(q, k, v, mask=None):
    return _finish(q @ k.transpose(-2, -1) / q.shape[-1], v, mask)


@mistake("scale_by_dv", "scaled by √Dv (the value size) instead of √D (the query/key size)",
         entry="scaled_dot_product_attention")
def scale_by_dv(q, k, v, mask=None):
    return _finish(q @ k.transpose(-2, -1) / math.sqrt(v.shape[-1]), v, mask)


@mistake("softmax_query_axis", "softmax over the query axis (dim=-2) instead of the key axis",
         entry="scaled_dot_product_attention",
         explain="Each query's weights must sum to 1 over the keys: softmax(..., dim=-1).")
def softmax_query_axis(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    w = torch.softmax(scores.float(), dim=-2).nan_to_num(0.0)
    return w.to(v.dtype) @ v


@mistake("inverted_mask", "mask inverted: True treated as 'masked out'", entry="scaled_dot_product_attention",
         explain="In this drill (and torch's SDPA) True means the query MAY attend to the key.")
def inverted_mask(q, k, v, mask=None):
    return _finish(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), v, None if mask is None else ~mask)


@mistake("mask_after_softmax", "mask applied after the softmax without renormalising",
         entry="scaled_dot_product_attention",
         explain="Zeroing weights after the softmax leaves rows that no longer sum to 1; mask the scores.")
def mask_after_softmax(q, k, v, mask=None):
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    if mask is not None:
        w = w * mask
    return w @ v


@mistake("nan_on_fully_masked_rows", "a fully masked row gives NaN (softmax of all -inf) instead of zeros",
         entry="scaled_dot_product_attention")
def nan_rows(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores.float(), dim=-1).to(v.dtype) @ v


@mistake("uniform_on_fully_masked_rows", "a fully masked row attends uniformly (finfo.min fill) instead of returning zeros",
         entry="scaled_dot_product_attention",
         explain="Filling with finfo.min avoids NaN but turns a fully masked row into a uniform average of V.")
def uniform_rows(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    return torch.softmax(scores.float(), dim=-1).to(v.dtype) @ v
