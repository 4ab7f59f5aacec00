"""The canonical expression classes and the many names datasets give them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Canonical class order (alphabetical, the order of the Kaggle folders).
CLASSES: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")

#: FER+'s eight classes (FER2013's seven and contempt), in the same alphabetical order: a FER+ model without
#: contempt has exactly :data:`CLASSES`.
FERPLUS_CLASSES: tuple[str, ...] = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")

#: How FER+'s ten votes per image become training labels (:mod:`ferkit.data.ferplus` says what each does).
LABEL_MODES: tuple[str, ...] = ("majority", "probability", "crossentropy")

#: FER2013 challenge CSV integer labels: 0=angry 1=disgust 2=fear 3=happy 4=sad 5=surprise 6=neutral.
FER2013_INT_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

#: Each canonical class, then the other names datasets give it.
_NAMES = {
    "angry": "anger mad",
    "contempt": "contemptuous",
    "disgust": "disgusted",
    "fear": "fearful afraid scared",
    "happy": "happiness joy",
    "neutral": "calm",
    "sad": "sadness",
    "surprise": "surprised",
}
_ALIASES = {alias: c for c, others in _NAMES.items() for alias in (c, *others.split())}


def canonical_class(name: str) -> str | None:
    """Map a folder or label name ("Happiness", "surprised", "3_happy") to a canonical class, else None."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in _ALIASES:
        return _ALIASES[key]
    # Some exports prefix the class with its index: "3_happy", "03-happy".
    head, _, tail = key.partition("_")
    if head.isdigit() and tail in _ALIASES:
        return _ALIASES[tail]
    return None


def parse_classes(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """Resolve a ``--classes happy,sad,neutral`` subset into canonical order; None means all seven."""
    if spec is None or spec == "" or spec == "all":
        return CLASSES
    names: Iterable[str] = spec.split(",") if isinstance(spec, str) else spec
    wanted = set()
    for raw in names:
        if not raw.strip():
            continue
        cls = canonical_class(raw)
        if cls is None:
            raise ValueError(f"unknown class {raw.strip()!r}; choose from {', '.join(FERPLUS_CLASSES)}")
        wanted.add(cls)
    if len(wanted) < 2:
        raise ValueError("a class subset needs at least two classes")
    return tuple(c for c in FERPLUS_CLASSES if c in wanted)
