"""Correct, differently written: Hugging Face's logits warpers (ascending sort, remove where the
cumulative mass is <= 1 - p), a sort-based top-k, and sampling by torch.multinomial on float64."""
import torch


def filter_logits(logits, temperature=1.0, top_k=None, top_p=None):
    scores = logits * (1.0 / temperature)
    if top_k is not None:
        k = min(top_k, scores.size(-1))
        threshold = scores.sort(dim=-1, descending=True).values[..., k - 1, None]
        scores = torch.where(scores < threshold, torch.full_like(scores, -float("inf")), scores)
    if top_p is not None and top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        sorted_indices_to_remove = cumulative_probs <= (1 - top_p)
        sorted_indices_to_remove[..., -1:] = 0  # keep at least one
        indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
        scores = scores.masked_fill(indices_to_remove, -float("inf"))
    return scores


def sample(logits, generator, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return torch.argmax(logits, dim=-1)
    probs = torch.softmax(filter_logits(logits, temperature, top_k, top_p).double(), dim=-1)
    return torch.multinomial(probs, 1, generator=generator)[:, 0]
