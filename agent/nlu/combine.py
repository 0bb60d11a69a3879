"""One intent from two readers: the rules and the statistical classifier.

The rules are exact about what they recognise well (a handoff request, the answer to the
summary, the field that was asked for, a change of quantity, the buyer's data they found in
the message): a sure rule of a high tier stands, so does data the rules found, and so does a
high-tier rule the classifier finds plausible. Otherwise the classifier, trained on how
customers really write, decides when it is at least even odds. When neither is sure, the
classifier's guess is taken where the rules saw at most a product, the rules' reading
otherwise, and either way the confidence stays below even odds, so that a configured model
reads the message (NLU_CONFIDENCE_THRESHOLD). Like a language model's, the classifier's reading is
not taken when the state does not allow it (a "no" with nothing to answer:
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
"""A rule of at least this tier and confidence stands whatever the classifier reads."""
EVEN_ODDS = 0.5
"""The classifier decides when its calibrated probability is at least this."""
PLAUSIBLE = 0.3
"""A high-tier rule stands when the classifier gives its intent at least this probability."""
_NOTHING = "other"
_FOUND_DATA = 0.85
"""`purchase.data` this sure: the rules found the field asked for, or data given while buying."""
_WEAK_TIER = 2
"""Rules of this tier or below saw at most a product named: no more than a guess."""


def _reopens_summary(intent: str, state: DialogState) -> bool:
    """A "no" to the order summary takes the sale back to the cart: only the rules' own
    reading of a no does that ("mmm", "lo consulto y te aviso" leave the summary open)."""
    return intent == "purchase.deny" and state.sale_state == SaleState.READY_TO_CONFIRM


def combine(rules: RuleVerdict, model: IntentPrediction, state: DialogState) -> tuple[str, float]:
    """The intent and its confidence, from the rules' verdict and the classifier's reading."""
    if model.intent == _NOTHING and rules.intent == _NOTHING:
        # Both read nothing the shop can act on: the rules' confidence stands (low unless a
        # rule placed it, as "espera" at the summary), so a configured model may read it.
        return rules.intent, rules.confidence
    if model.intent == rules.intent:
        return rules.intent, max(rules.confidence, model.probability)
    if rules.tier >= SURE_TIER and rules.confidence >= SURE_CONFIDENCE:
        return rules.intent, rules.confidence
    if rules.intent == "purchase.data" and rules.confidence >= _FOUND_DATA:
        return rules.intent, rules.confidence
    if rules.tier >= SURE_TIER and model.of(rules.intent) >= PLAUSIBLE:
        return rules.intent, min(rules.confidence, model.of(rules.intent) + EVEN_ODDS)
    allowed = refusal(model.intent, state) is None and not _reopens_summary(model.intent, state)
    if model.probability >= EVEN_ODDS and allowed:
        if model.intent == _NOTHING:
            return _NOTHING, EVEN_ODDS
        return model.intent, model.probability
    if rules.tier <= _WEAK_TIER and allowed:
        # Neither is sure, and the rules saw at most a product: the classifier's best guess,
        # with its low probability (a configured model reads the message).
        return model.intent, model.probability
    return rules.intent, min(rules.confidence, EVEN_ODDS)
