"""One intent from two readers: the rules and the statistical classifier.

The rules are exact about what they recognise well (a handoff request, the answer to the
summary, the field that was asked for, a change of quantity, the buyer's data they found in
the message): a sure rule of the highest tier stands (a cancel only when there is a sale to
cancel), so does data the rules found, and so does a high-tier rule the classifier finds
plausible. A sure rule of what the customer asks about (tier 4, often one topic word:
"envío", "pago", "courier") stands too, unless the classifier reads another intent at even
odds and all but rules the topic out: "the courier lost my package" is a complaint and "¿ya
despacharon mi pedido?" asks about an order, neither the shipping policy. Otherwise the
classifier, trained on how customers really write, decides when it is at least even odds.
When neither is sure, the classifier's guess is taken where the rules saw at most a product,
the rules' reading otherwise, and either way the confidence stays below even odds, so that a
configured model reads the message (NLU_CONFIDENCE_THRESHOLD). Like a language model's, the
classifier's reading is not taken when the state does not allow it (a "no" with nothing to answer:
agent/nlu/state_rules.py), and it never says the "no" that reopens the order summary.

The classifier may read a message as `purchase.confirm`; an order still needs the customer's
own plain yes, which code checks on the words before anything is placed (agent/nlu/consent.py,
rag_domains/sales/machine.py).

The thresholds were chosen on the corpus by 5-fold cross-validation (README "Quality and
speed"), not on the development set.
"""

from __future__ import annotations

from agent.models import SaleState
from agent.nlu.classifier import IntentPrediction
from agent.nlu.intents import RuleVerdict
from agent.nlu.state_rules import refusal
from agent.nlu.types import DialogState

SURE_TIER = 4
SURE_CONFIDENCE = 0.9
"""A rule of at least this tier and confidence stands (a topic rule, unless ruled out)."""
DECISIVE_TIER = 5
"""A sure rule of this tier (a handoff request, a cancel, the answer to the summary) stands
whatever the classifier reads."""
UNLIKELY = 0.1
"""A topic rule is ruled out when the classifier gives its intent less than this."""
EVEN_ODDS = 0.5
"""The classifier decides when its calibrated probability is at least this."""
PLAUSIBLE = 0.3
"""A high-tier rule stands when the classifier gives its intent at least this probability."""
_NOTHING = "other"
_SMALL_TALK = "smalltalk."
"""A greeting or thanks often comes with the request: it never rules a topic out."""
_FOUND_DATA = 0.85
"""`purchase.data` this sure: the rules found the field asked for, or data given while buying."""
_WEAK_TIER = 2
"""Rules of this tier or below saw at most a product named: no more than a guess."""


def _reopens_summary(intent: str, state: DialogState) -> bool:
    """A "no" to the order summary takes the sale back to the cart: only the rules' own
    reading of a no does that ("mmm", "lo consulto y te aviso" leave the summary open)."""
    return intent == "purchase.deny" and state.sale_state == SaleState.READY_TO_CONFIRM


def _decisive(rules: RuleVerdict, state: DialogState) -> bool:
    """A rule of the highest tier, except a cancel with nothing to cancel."""
    nothing_to_cancel = state.sale_state is None and not state.has_cart
    return rules.tier >= DECISIVE_TIER and not (
        rules.intent == "purchase.cancel" and nothing_to_cancel
    )


def _rules_out(model: IntentPrediction, rules: RuleVerdict, state: DialogState) -> bool:
    """Whether the classifier reads another intent at even odds and gives the rule's next to
    no chance: a topic word that came up in a complaint, a question about an order, a
    "forget it" with no order to cancel."""
    return (
        not _decisive(rules, state)
        and not model.intent.startswith(_SMALL_TALK)
        and model.probability >= EVEN_ODDS
        and model.of(rules.intent) < UNLIKELY
    )


def combine(rules: RuleVerdict, model: IntentPrediction, state: DialogState) -> tuple[str, float]:
    """The intent and its confidence, from the rules' verdict and the classifier's reading."""
    if model.intent == _NOTHING and rules.intent == _NOTHING:
        # Both read nothing the shop can act on: the rules' confidence stands (low unless a
        # rule placed it, as "espera" at the summary), so a configured model may read it.
        return rules.intent, rules.confidence
    if model.intent == rules.intent:
        return rules.intent, max(rules.confidence, model.probability)
    allowed = refusal(model.intent, state) is None and not _reopens_summary(model.intent, state)
    if rules.intent == "purchase.data" and rules.confidence >= _FOUND_DATA:
        return rules.intent, rules.confidence
    sure = rules.tier >= SURE_TIER and rules.confidence >= SURE_CONFIDENCE
    if sure and not (allowed and _rules_out(model, rules, state)):
        return rules.intent, rules.confidence
    if rules.tier >= SURE_TIER and model.of(rules.intent) >= PLAUSIBLE:
        return rules.intent, min(rules.confidence, model.of(rules.intent) + EVEN_ODDS)
    if model.probability >= EVEN_ODDS and allowed:
        if model.intent == _NOTHING:
            return _NOTHING, EVEN_ODDS
        return model.intent, model.probability
    if rules.tier <= _WEAK_TIER and allowed:
        # Neither is sure, and the rules saw at most a product: the classifier's best guess,
        # with its low probability (a configured model reads the message).
        return model.intent, model.probability
    return rules.intent, min(rules.confidence, EVEN_ODDS)
