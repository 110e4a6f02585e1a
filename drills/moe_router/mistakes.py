"""Classic wrong answers to the MoE router drill; each must fail the spec.

`_Router` is a correct router written as small steps; each router mistake overrides one.
"""
import torch
import torch.nn.functional as F
from torch import nn

from grader.props import mistake


class _Router(nn.Module):

    def __init__(self, d_model, n_experts, top_k):
        super().__init__()
        self.n_experts, self.top_k = n_experts, top_k
        self.gate = nn.Linear(d_model, n_experts, bias=False)

    def select(self, probs):                       # (T, E) -> weights (T, k), experts (T, k)
        top, experts = probs.topk(self.top_k, dim=-1)
        return top / top.sum(-1, keepdim=True), experts

    def fraction(self, experts):                   # f: (E,)
        counts = F.one_hot(experts, self.n_experts).to(torch.get_default_dtype())
        return counts.sum(dim=(0, 1)) / experts.numel()

    def importance(self, probs, weights, experts):  # P: (E,)
        return probs.mean(dim=0)

    def aux(self, f, P):
        return self.n_experts * (f.to(P.dtype) * P).sum()

    def forward(self, x):
        probs = torch.softmax(self.gate(x), dim=-1)
        weights, experts = self.select(probs)
        f = self.fraction(experts)
        return weights, experts, self.aux(f, self.importance(probs, weights, experts))


def _expert(x, w1, w2, e):
    return F.silu(x @ w1[e].T) @ w2[e].T


def _combine(x, weights, experts, w1, w2):
    out = torch.zeros_like(x)
    for e in range(w1.shape[0]):
        token, slot = torch.where(experts == e)
        out = out.index_add(0, token, weights[token, slot].unsqueeze(-1) * _expert(x[token], w1, w2, e))
    return out


@mistake("no_renormalisation", "the top-k probabilities are not renormalised to sum to 1", entry="MoERouter",
         explain="After top-k the chosen probabilities sum to less than 1. Mixtral divides them by their sum "
                 "(equivalently: softmax over just the top-k logits).")
class NoRenormalisation(_Router):
    def select(self, probs):
        return probs.topk(self.top_k, dim=-1)


@mistake("indices_sorted_weights_not", "expert indices sorted by expert id while the weights stay sorted by value",
         entry="MoERouter",
         explain="weights[t, j] must belong to experts[t, j]. Sorting the indices (e.g. for a cheaper dispatch) "
                 "without permuting the weights the same way pairs each expert with another expert's weight.")
class IndicesSortedWeightsNot(_Router):
    def select(self, probs):
        weights, experts = super().select(probs)
        return weights, experts.sort(dim=-1).values


@mistake("aux_without_n_experts", "aux_loss misses the n_experts factor (balanced routing gives 1/n_experts)",
         entry="MoERouter",
         explain="Switch Transformer's loss is N * sum_e f_e * P_e, scaled so that perfect balance gives 1 "
                 "whatever the number of experts.")
class AuxWithoutNExperts(_Router):
    def aux(self, f, P):
        return (f.to(P.dtype) * P).sum()


@mistake("f_not_divided_by_top_k", "f_e divides the assignments by T instead of T * top_k (aux is top_k times too big)",
         entry="MoERouter",
         explain="f_e is the fraction of all T * top_k (token, slot) assignments that go to expert e, so the f_e "
                 "sum to 1. Counting per token (HF Mixtral's sum over the slots) gives top_k times the stated loss.")
class FNotDividedByTopK(_Router):
    def fraction(self, experts):
        return super().fraction(experts) * self.top_k


@mistake("P_from_top_k_weights", "P_e averages the renormalised top-k weights instead of the full softmax",
         entry="MoERouter",
         explain="P_e is the mean router probability of expert e over the tokens, from the full softmax before "
                 "top-k; the top-k weights are 0 for unchosen experts and renormalised for the chosen ones.")
class PFromTopKWeights(_Router):
    def importance(self, probs, weights, experts):
        dense = torch.zeros_like(probs).scatter(1, experts, weights)
        return dense.mean(dim=0)


@mistake("combine_unnormalised", "moe_forward weights the experts by the raw softmax probabilities, "
         "not the router's renormalised weights", entry="moe_forward",
         explain="Use the weights the router returns (renormalised over the chosen experts); recomputing "
                 "softmax(gate(x)) and picking the chosen entries leaves out the renormalisation.")
def combine_unnormalised(x, router, w1, w2):
    _, experts, _ = router(x)
    probs = torch.softmax(router.gate(x), dim=-1)
    return _combine(x, probs.gather(1, experts), experts, w1, w2)


@mistake("first_k_experts", "moe_forward sends every token to experts 0..top_k-1, ignoring the router's choice",
         entry="moe_forward",
         explain="Slot j of token t goes to expert experts[t, j]; the slot index is not the expert index.")
def first_k_experts(x, router, w1, w2):
    weights, experts, _ = router(x)
    fixed = torch.arange(experts.shape[1], device=x.device).expand_as(experts)
    return _combine(x, weights, fixed, w1, w2)
