"""Classic wrong MLM maskings; each must fail the spec. All draw from the seeded generator
in the reference's order, so each is deterministic and the diagnosis can name it."""
import torch

from grader.props import mistake


def _mask(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob, *, protect_special=True,
          restrict_split=True, mask_prob=0.8, random_prob=0.5, random_high=None, label="selected"):
    device = input_ids.device
    g = torch.Generator(device=device).manual_seed(seed)
    special = torch.isin(input_ids, torch.tensor(list(special_ids), dtype=input_ids.dtype, device=device))
    probs = torch.full(input_ids.shape, mlm_prob, device=device)
    if protect_special:
        probs = probs.masked_fill(special, 0.0)
    selected = torch.bernoulli(probs, generator=g).bool()
    scope = selected if restrict_split else ~special
    replaced = torch.bernoulli(torch.full(input_ids.shape, mask_prob, device=device), generator=g).bool() & scope
    randomised = (torch.bernoulli(torch.full(input_ids.shape, random_prob, device=device), generator=g).bool()
                  & scope & ~replaced)
    random_ids = torch.randint(random_high or vocab_size, input_ids.shape, generator=g, device=device,
                               dtype=input_ids.dtype)
    masked = torch.where(randomised, random_ids, input_ids.masked_fill(replaced, mask_token_id))
    if label == "everywhere":
        labels = input_ids.clone()
    elif label == "changed_only":
        labels = input_ids.masked_fill(~(replaced | randomised), -100)
    else:
        labels = input_ids.masked_fill(~selected, -100)
    return masked, labels


@mistake("split_applied_to_all_tokens", "the 80/10/10 replacement is drawn for every token, not only the selected ones",
         explain="The mask/random/keep split applies to the mlm_prob-selected tokens only (the HF code ands each "
                 "draw with masked_indices). Without that, about 90% of all tokens are corrupted and most of them "
                 "have label -100, so the model is never asked to recover them.")
def mask_tokens(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    return _mask(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob, restrict_split=False)


@mistake("labels_everywhere", "labels are the input ids everywhere (no -100 at unselected positions)",
         entry="mask_tokens",
         explain="The MLM loss is computed only on the selected tokens: labels = input_ids where selected, -100 "
                 "(ignored by cross-entropy) elsewhere. Labels everywhere turn most of the loss into copying "
                 "the visible input.")
def labels_everywhere(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    return _mask(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob, label="everywhere")


@mistake("special_tokens_selectable", "special tokens ([CLS], [SEP], [PAD]) can be selected", entry="mask_tokens",
         explain="Set the selection probability of special tokens to 0 (probability_matrix.masked_fill_(special, "
                 "0.0) in HF): predicting [PAD] or [SEP] teaches nothing and padding would dominate the loss.")
def special_selectable(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    return _mask(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob, protect_special=False)


@mistake("mask_rate_is_mlm_prob", "of the selected tokens, mlm_prob (15%) become the mask instead of 80%",
         entry="mask_tokens",
         explain="Two different probabilities: mlm_prob decides which tokens are selected; then 80% of the "
                 "selected become [MASK], 10% a random id, 10% stay.")
def mask_rate_is_mlm_prob(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    return _mask(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob, mask_prob=mlm_prob)


@mistake("random_prob_not_conditional",
         "random replacement drawn with probability 0.1 of the remaining 20% (2% overall)",
         entry="mask_tokens",
         explain="After 80% are masked, the random replacement is half of what is left: bernoulli(0.5) & "
                 "~replaced gives 10% of the selected. bernoulli(0.1) there gives only 2%, and 18% stay unchanged.")
def random_prob_not_conditional(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    return _mask(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob, random_prob=0.1)


@mistake("kept_tokens_unlabelled", "the 10% left unchanged get label -100 (only changed tokens are labelled)",
         entry="mask_tokens",
         explain="Every selected token is a prediction target, including those left as they were: that is the "
                 "point of the 10%, the model cannot tell which visible tokens it will be asked about, so it has "
                 "to keep a good representation of every token.")
def kept_unlabelled(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    return _mask(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob, label="changed_only")


@mistake("random_ids_wrong_range",
         "random replacement ids drawn from a fixed small range [0, 100), not [0, vocab_size)",
         entry="mask_tokens",
         explain="The random token is uniform over the whole vocabulary: torch.randint(vocab_size, shape, "
                 "generator=g). A hard-coded or wrong upper bound makes the 'random' tokens easy to spot.")
def random_ids_wrong_range(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    return _mask(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob, random_high=100)
