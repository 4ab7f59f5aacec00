"""The model registry: ``@register_model(name)`` adds a builder, ``get_model(name, ...)`` builds it.

A second use of a name is an error. Every builder takes the same keywords (``num_classes``,
``image_size``, ``in_channels`` and its own), so a checkpoint's ``{"model": name, "model_args": {...}}``
rebuilds it exactly. The built-in networks live in :mod:`ferkit.models.nets` and register themselves
when it is imported, which :func:`get_model` and :func:`list_models` do first.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}
_DESCRIPTIONS: dict[str, str] = {}


def register_model(name: str, description: str = "") -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Register a model builder under ``name``."""

    def deco(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        _REGISTRY[name] = fn
        _DESCRIPTIONS[name] = description or (fn.__doc__ or "").strip().splitlines()[0]
        return fn

    return deco


def _builtins() -> None:
    importlib.import_module(".nets", __package__)
    importlib.import_module(".efficientnet", __package__)


def list_models() -> dict[str, str]:
    """Registered model names with a one-line description."""
    _builtins()
    return dict(sorted(_DESCRIPTIONS.items()))


def get_model(
    name: str, *, num_classes: int = 7, image_size: int = 48, in_channels: int = 1, **kwargs: Any
) -> nn.Module:
    """Build a registered model."""
    _builtins()
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](num_classes=num_classes, image_size=image_size, in_channels=in_channels, **kwargs)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
