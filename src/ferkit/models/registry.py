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
        _DESCRIPTIONS[name] = description or ((fn.__doc__ or "").strip().splitlines() or [name])[0]
        _REGISTRY[name] = fn
        return fn

    return deco


def _builtins() -> None:
    importlib.import_module(".nets", __package__)


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


#: The largest network ``ferkit train`` builds: far above anything that trains on 48-px faces (ResNet-18
#: has 11M), far below what would exhaust a machine's memory before the first step.
MAX_PARAMETERS = 500_000_000


def check_trainable(
    name: str, *, num_classes: int, image_size: int, batch_size: int, memory_bytes: int | None = None, **kwargs: Any
) -> int:
    """Refuse, before anything is allocated, an architecture too big to train here: more than
    :data:`MAX_PARAMETERS`, or weights, optimizer state and one batch's activations (a forward pass on
    PyTorch's ``meta`` device, which has shapes but no memory) above ``memory_bytes`` (default: this
    machine's memory). Returns the parameter count; a ``ValueError`` names the model and the sizes.
    A builder's own bad keywords (``{"widht": 8}``) come back as its ``TypeError`` turned ``ValueError``."""
    import torch

    try:
        with torch.device("meta"):
            model = get_model(name, num_classes=num_classes, image_size=image_size, **kwargs)
    except TypeError as exc:
        raise ValueError(f"model {name!r} does not take {kwargs} ({exc})") from None
    params = count_parameters(model)
    what = f"model {name!r} with {kwargs or 'its defaults'}"
    if params > MAX_PARAMETERS:
        raise ValueError(
            f"{what} has {params / 1e6:,.0f}M parameters; ferkit trains at most {MAX_PARAMETERS / 1e6:,.0f}M"
        )
    activations = _activation_elements(model, image_size)
    need = 4 * (3 * params + 2 * activations * batch_size)  # weights, grads, momentum; activations and grads
    limit = memory_bytes or _machine_memory()
    if need > limit:
        raise ValueError(
            f"{what} needs about {need / 2**30:,.1f} GiB to train at batch {batch_size} "
            f"(this machine has {limit / 2**30:,.1f} GiB); choose a smaller width or batch"
        )
    return params


def _activation_elements(model: nn.Module, image_size: int) -> int:
    """Elements of every module's output for one image (shapes only, on the meta device)."""
    import torch

    total = 0

    def hook(_module, _inputs, out) -> None:
        nonlocal total
        if isinstance(out, torch.Tensor):
            total += out.numel()

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.empty(1, 1, image_size, image_size, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return total


def _machine_memory() -> int:
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: no estimate, only the parameter cap
        return 2**62
