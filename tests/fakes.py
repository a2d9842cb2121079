"""Fake translation engines for tests: deterministic, call-counting, and able to
mistreat glossary placeholders the ways real models do."""

from __future__ import annotations

import json

import regex

from pipeline.terms.glossary import PLACEHOLDER_PATTERN

PLACEHOLDER = PLACEHOLDER_PATTERN
_HAN = regex.compile(r"\p{Han}+")
_PUNCT = str.maketrans({"，": ",", "。": ".", "、": ",", "：": ":", "；": ";", "！": "!", "？": "?",
                        "“": '"', "”": '"', "（": "(", "）": ")", "《": '"', "》": '"'})


def englishish(text: str) -> str:
    """Han runs become 'word', digits and placeholders stay: a stand-in for English."""
    return _HAN.sub(" word ", text).translate(_PUNCT).strip()


class FakeEngine:
    """Keeps placeholders; counts every sentence it is given."""

    name = "fake"

    def __init__(self, version: str = "1"):
        self.version = version
        self.calls: list[str] = []

    def signature(self) -> str:
        return json.dumps({"engine": self.name, "version": self.version, "kind": type(self).__name__})

    def translate(self, sentences, progress=None):
        self.calls.extend(sentences)
        return [self.mangle(englishish(s)) for s in sentences]

    def mangle(self, text: str) -> str:
        return text


class DroppingEngine(FakeEngine):
    def mangle(self, text):
        return PLACEHOLDER.sub("", text, count=1)


class DuplicatingEngine(FakeEngine):
    def mangle(self, text):
        found = [m.group(0) for m in PLACEHOLDER.finditer(text)]
        return text + " " + found[0] if found else text


class ReorderingEngine(FakeEngine):
    def mangle(self, text):
        found = [m.group(0) for m in PLACEHOLDER.finditer(text)]
        swapped = iter(reversed(found))
        return PLACEHOLDER.sub(lambda m: next(swapped), text)


class GarblingEngine(FakeEngine):
    def mangle(self, text):
        return PLACEHOLDER.sub(lambda m: m.group(0).replace("⟦", "[ ").replace("⟧", " ]"), text)


class InventingEngine(FakeEngine):
    """Keeps placeholders but also writes an unrelated rendering of its own."""

    def __init__(self, extra: str, version: str = "1"):
        super().__init__(version)
        self.extra = extra

    def mangle(self, text):
        return text + " " + self.extra if PLACEHOLDER.search(text) else text


class PlaceholderInventingEngine(FakeEngine):
    """Writes placeholders of its own where the input has none (seen with models
    whose vocabulary holds the placeholder symbols)."""

    def mangle(self, text):
        return text if PLACEHOLDER.search(text) else text + " ⟦T9⟧⟦T9⟧ ⟦T"


def chinese_back(document) -> None:
    """Give every sentence its own Chinese as its translation (marks included):
    a writer given this document must write the source back (round trip)."""
    for sentence in document.sentences():
        sentence.translation = sentence.text
        sentence.translation_marks = list(sentence.marks)


def english_for(document) -> None:
    """A recognisable English for every sentence: ``EN<n>`` words, no Chinese."""
    for n, sentence in enumerate(document.sentences(), start=1):
        sentence.translation = f"English sentence {n}."
        sentence.translation_marks = []
