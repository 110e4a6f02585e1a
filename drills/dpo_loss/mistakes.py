"""Classic wrong answers to the DPO drill; each must fail the spec."""
import torch
import torch.nn.functional as F

from grader.props import mistake


def _rewards(pc, pr, rc, rr, beta):
    return (beta * (pc - rc)).detach(), (beta * (pr - rr)).detach()


@mistake("sign_flipped", "the margin's sign is flipped: the loss rewards the rejected response",
         explain="DPO maximises log sigmoid(r_chosen - r_rejected): the chosen reward comes first. "
                 "With the difference reversed, training pushes the policy towards the rejected answers.")
def dpo_loss(pc, pr, rc, rr, beta=0.1):
    loss = -F.logsigmoid(beta * ((pr - rr) - (pc - rc))).mean()
    return (loss, *_rewards(pc, pr, rc, rr, beta))


@mistake("beta_outside_logsigmoid", "beta multiplies the log-sigmoid instead of the margin inside it",
         entry="dpo_loss",
         explain="beta scales the implicit rewards: -logsigmoid(beta * margin). -beta * logsigmoid(margin) "
                 "is a different loss (its value at policy = reference is beta * log 2, not log 2).")
def beta_outside(pc, pr, rc, rr, beta=0.1):
    loss = -beta * F.logsigmoid((pc - rc) - (pr - rr)).mean()
    return (loss, *_rewards(pc, pr, rc, rr, beta))


@mistake("reference_dropped", "the reference model's log-probs are left out of the margin", entry="dpo_loss",
         explain="The implicit reward is beta * log(pi(y|x) / pi_ref(y|x)): subtract the reference log-probs. "
                 "Without them the loss is not log 2 at initialisation (policy = reference).")
def reference_dropped(pc, pr, rc, rr, beta=0.1):
    loss = -F.logsigmoid(beta * (pc - pr)).mean()
    return (loss, *_rewards(pc, pr, rc, rr, beta))


@mistake("reference_sign", "the reference's margin is added instead of subtracted", entry="dpo_loss",
         explain="margin = (pc - pr) - (rc - rr) = (pc - rc) - (pr - rr): the reference's preference for "
                 "the chosen response is subtracted.")
def reference_sign(pc, pr, rc, rr, beta=0.1):
    loss = -F.logsigmoid(beta * ((pc - pr) + (rc - rr))).mean()
    return (loss, *_rewards(pc, pr, rc, rr, beta))


@mistake("log_of_sigmoid", "log(sigmoid(z)) instead of logsigmoid(z): -inf/inf for large negative margins",
         entry="dpo_loss",
         explain="sigmoid(z) underflows to exactly 0 for z below about -100 (float32) or -750 (float64), "
                 "and log(0) = -inf. F.logsigmoid(z) (= -softplus(-z)) stays finite.")
def log_of_sigmoid(pc, pr, rc, rr, beta=0.1):
    loss = -torch.log(torch.sigmoid(beta * ((pc - rc) - (pr - rr)))).mean()
    return (loss, *_rewards(pc, pr, rc, rr, beta))


@mistake("rewards_without_beta", "the returned rewards are the raw log-ratios, without beta", entry="dpo_loss",
         explain="The implicit reward is beta * (policy log-prob - reference log-prob); the logged rewards "
                 "(and their margin) must include beta.")
def rewards_without_beta(pc, pr, rc, rr, beta=0.1):
    loss = -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()
    return loss, (pc - rc).detach(), (pr - rr).detach()


@mistake("sum_over_batch", "the per-pair losses are summed instead of averaged", entry="dpo_loss",
         explain="The loss is the mean over the batch; a sum scales the loss and the gradients with B.")
def sum_over_batch(pc, pr, rc, rr, beta=0.1):
    loss = -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).sum()
    return (loss, *_rewards(pc, pr, rc, rr, beta))
