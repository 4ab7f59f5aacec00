"""Class names: the canonical seven (and FER+'s contempt), aliases, and subsets."""

from __future__ import annotations

import pytest

from ferkit.labels import CLASSES, canonical_class, parse_classes


def test_class_names_and_subset_errors():
    assert canonical_class("Happiness") == "happy" and canonical_class("3_surprised") == "surprise"
    assert canonical_class("Contemptuous") == "contempt"  # FER+'s eighth class
    assert canonical_class("smug") is None
    with pytest.raises(ValueError, match="unknown class 'joyful'"):
        parse_classes("happy,joyful")
    with pytest.raises(ValueError, match="at least two"):
        parse_classes("happy")


def test_subsets_come_back_in_canonical_order():
    assert parse_classes("sad, happy ,neutral") == ("happy", "neutral", "sad")
    assert parse_classes(None) == parse_classes("all") == CLASSES
    assert parse_classes("contempt,happy,angry") == ("angry", "contempt", "happy")  # FER+ order: alphabetical
