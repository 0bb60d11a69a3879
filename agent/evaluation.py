"""Offline evaluation of the understanding layer against labelled utterances (a JSONL file).

Each line: `{"text": ..., "intent": "purchase.add", "entities": {...}, "state": {...},
"language": "es"}`; entities, state and language are optional. Scores: precision, recall
and F1 per top-level intent, their macro average, sub-intent accuracy, and per entity key
the share of labelled values the reader extracted exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from agent.errors import InvalidInputError
from agent.nlu.types import (
    INTENT_LABELS,
    INTENTS,
    DialogState,
    Entities,
    ProductMention,
    Understanding,
)
from agent.text import singular, tokens

Reader = Callable[[str, DialogState], Understanding]
"""Anything that reads a message in a state: the offline reader, the LLM reader, the engine's."""

ENTITY_KEYS = tuple(f.name for f in fields(Entities))
"""The entity keys a label may state."""


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    intent: str
    entities: Entities = Field(default_factory=Entities)
    state: DialogState = Field(default_factory=DialogState)
    language: str | None = None

    @field_validator("intent")
    @classmethod
    def _known_intent(cls, value: str) -> str:
        if value not in INTENT_LABELS:
            raise ValueError(f"unknown intent {value!r}")
        return value

    @field_validator("entities", "state", mode="before")
    @classmethod
    def _known_keys(cls, value: object, info: ValidationInfo) -> object:
        # The dataclasses would drop a misspelt key; a label must not silently lose a value.
        known = {f.name for f in fields(Entities if info.field_name == "entities" else DialogState)}
        if isinstance(value, dict) and not set(value) <= known:
            raise ValueError(f"unknown keys {sorted(set(value) - known)}")
        return value


@dataclass(frozen=True, slots=True)
class LabelledUtterance:
    """One message, the state it was said in, and what a reader should make of it."""

    text: str
    intent: str
    entities: Entities
    labelled: frozenset[str]
    """The entity keys the label states; only these are scored."""
    state: DialogState
    language: str | None = None


@dataclass(frozen=True, slots=True)
class IntentScore:
    """Precision, recall and F1 of one top-level intent, and how many utterances carry it."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class EntityScore:
    """How many labelled values of one entity key the reader extracted exactly."""

    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        """The share extracted exactly (1.0 when nothing was labelled)."""
        return self.correct / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class UtteranceError:
    """An utterance the reader got (partly) wrong, and what was wrong."""

    text: str
    expected: str
    got: str
    confidence: float
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UtteranceReport:
    """The scores of a reader on a set of labelled utterances."""

    total: int
    intents: dict[str, IntentScore]
    macro_f1: float
    accuracy: float
    sub_intent_accuracy: float
    entities: dict[str, EntityScore]
    language_accuracy: float | None
    errors: list[UtteranceError] = field(default_factory=list)


def load_utterances(path: str | Path) -> list[LabelledUtterance]:
    """The labelled utterances of a JSONL file; a bad line names its number."""
    items: list[LabelledUtterance] = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            line = _Line.model_validate(data)
        except (json.JSONDecodeError, ValidationError) as err:
            raise InvalidInputError(f"{path}:{number}: {err}", field=f"line {number}") from err
        items.append(
            LabelledUtterance(
                text=line.text,
                intent=line.intent,
                entities=line.entities,
                labelled=frozenset(data.get("entities", {})),
                state=line.state,
                language=line.language,
            )
        )
    return items


def evaluate_utterances(items: Iterable[LabelledUtterance], reader: Reader) -> UtteranceReport:
    """Run `reader` on every utterance and score intents, entities and language."""
    pairs = [(item, reader(item.text, item.state)) for item in items]
    expected = [item.intent.split(".", 1)[0] for item, _ in pairs]
    got = [result.top for _, result in pairs]
    present = [label for label in INTENTS if label in expected]
    intents = {
        label: _intent_score(label, expected, got) for label in INTENTS if label in expected + got
    }
    entity_hits = {key: [0, 0] for key in ENTITY_KEYS}
    errors: list[UtteranceError] = []
    languages = [(item.language, result.language) for item, result in pairs if item.language]
    for item, result in pairs:
        problems: list[str] = []
        if result.intent != item.intent:
            problems.append("intent")
        for key in sorted(item.labelled):
            correct, total = _entity_matches(key, item.entities, result.entities)
            entity_hits[key][0] += correct
            entity_hits[key][1] += total
            if correct < total:
                problems.append(f"{key}: {_show(key, result.entities)}")
        if item.language and item.language != result.language:
            problems.append(f"language {result.language}")
        if problems:
            errors.append(
                UtteranceError(
                    item.text, item.intent, result.intent, result.confidence, tuple(problems)
                )
            )
    total = len(pairs)
    return UtteranceReport(
        total=total,
        intents=intents,
        macro_f1=sum(intents[label].f1 for label in present) / len(present) if present else 0.0,
        accuracy=_share(sum(e == g for e, g in zip(expected, got, strict=True)), total),
        sub_intent_accuracy=_share(sum(i.intent == r.intent for i, r in pairs), total),
        entities={key: EntityScore(*hits) for key, hits in entity_hits.items() if hits[1]},
        language_accuracy=_share(sum(e == g for e, g in languages), len(languages))
        if languages
        else None,
        errors=errors,
    )


def format_utterance_report(report: UtteranceReport, *, max_errors: int = 40) -> str:
    """The report as a plain-text table, then the first errors."""
    lines = [f"{'intent':<12} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}"]
    for label, score in report.intents.items():
        lines.append(
            f"{label:<12} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f}"
            f" {score.support:>8}"
        )
    lines += [
        "",
        f"utterances           {report.total}",
        f"macro-F1 (top level) {report.macro_f1:.3f}",
        f"top-level accuracy   {report.accuracy:.3f}",
        f"sub-intent accuracy  {report.sub_intent_accuracy:.3f}",
    ]
    if report.language_accuracy is not None:
        lines.append(f"language accuracy    {report.language_accuracy:.3f}")
    if report.entities:
        lines += ["", f"{'entity':<12} {'accuracy':>9} {'correct':>8} {'labelled':>9}"]
        for key, entity in report.entities.items():
            lines.append(f"{key:<12} {entity.accuracy:>9.3f} {entity.correct:>8} {entity.total:>9}")
    if report.errors:
        lines += ["", f"errors ({len(report.errors)}):"]
        for error in report.errors[:max_errors]:
            lines.append(
                f"- {error.text!r}: expected {error.expected}, got {error.got}"
                f" ({error.confidence:.2f}); {'; '.join(error.problems)}"
            )
        if len(report.errors) > max_errors:
            lines.append(f"... and {len(report.errors) - max_errors} more")
    return "\n".join(lines)


def _intent_score(label: str, expected: list[str], got: list[str]) -> IntentScore:
    hits = sum(e == g == label for e, g in zip(expected, got, strict=True))
    precision = _share(hits, got.count(label))
    recall = _share(hits, expected.count(label))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return IntentScore(precision, recall, f1, expected.count(label))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _entity_matches(key: str, expected: Entities, got: Entities) -> tuple[int, int]:
    """(values extracted exactly, values labelled) for one entity key."""
    if key == "products":
        unused = list(got.products)
        correct = 0
        for mention in expected.products:
            match = next((m for m in unused if _same_mention(mention, m)), None)
            if match is not None:
                unused.remove(match)
                correct += 1
        return correct, len(expected.products)
    want, have = getattr(expected, key), getattr(got, key)
    return int(_same_value(key, want, have)), 1


def _same_mention(expected: ProductMention, got: ProductMention) -> bool:
    """The expected words (singular) all appear in the extracted mention, same quantity."""
    return expected.quantity == got.quantity and _stems(expected.text) <= _stems(got.text)


def _same_value(key: str, want: object, have: object) -> bool:
    if want is None or have is None:
        return want is have
    if key in ("national_id", "phone"):
        return _digits(str(want)) == _digits(str(have))
    if key == "quantity":
        return want == have
    if key == "category":
        return _stems(str(want)) == _stems(str(have))
    return tokens(str(want)) == tokens(str(have))


def _stems(text: str) -> set[str]:
    return {singular(word) for word in tokens(text)}


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _show(key: str, entities: Entities) -> str:
    if key == "products":
        return ", ".join(f"{m.text!r}×{m.quantity}" for m in entities.products) or "none"
    return repr(getattr(entities, key))
