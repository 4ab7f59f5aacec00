"""Starting a run from a trained checkpoint (fine-tuning): copy what fits, keep or renew the head."""

from __future__ import annotations

import logging

import torch

from ..models.checkpoint import load_checkpoint

log = logging.getLogger(__name__)


def head(model: torch.nn.Module) -> torch.nn.Linear:
    """The classifier: the last Linear layer of every registered model."""
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]


def init_from(model: torch.nn.Module, weights: str, classes: tuple[str, ...], freeze_backbone: bool) -> None:
    """Start from a checkpoint's weights. Where the classes match, the head is kept (re-ordered to the
    new class order); otherwise the head starts fresh. With ``freeze_backbone`` only the head trains."""
    _init_checkpoint(model, weights, classes)
    if freeze_backbone:
        for p in model.parameters():
            p.requires_grad_(False)
        for p in head(model).parameters():
            p.requires_grad_(True)


def _init_checkpoint(model: torch.nn.Module, weights: str, classes: tuple[str, ...]) -> None:
    src = load_checkpoint(weights)
    state = src.model.state_dict()
    own = model.state_dict()
    head_layer = head(model)
    head_names = {n for n, m in model.named_modules() if m is head_layer}
    head_prefix = next(iter(head_names)) + "."
    loadable = {
        k: v for k, v in state.items() if k in own and own[k].shape == v.shape and not k.startswith(head_prefix)
    }
    if set(classes) <= set(src.classes):
        rows = [src.classes.index(c) for c in classes]
        loadable[head_prefix + "weight"] = state[head_prefix + "weight"][rows]
        loadable[head_prefix + "bias"] = state[head_prefix + "bias"][rows]
    missing = [k for k in own if k not in loadable and not k.startswith(head_prefix)]
    if missing:
        raise ValueError(
            f"{weights}: its {src.meta['model']} weights do not fit this model (e.g. {missing[:2]}); "
            "fine-tune with the same --model and --model-args"
        )
    model.load_state_dict(loadable, strict=False)
    log.info("initialised from %s (%s head)", weights, "kept" if set(classes) <= set(src.classes) else "new")
