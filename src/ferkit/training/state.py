"""Resume state: weights and optimizer after the last finished epoch, as safetensors plus JSON (nothing
pickled), written atomically so a kill at any moment leaves the previous epoch's state intact."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..models.meta import atomic_write


def save_state(
    state_dir: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, info: dict, ema: torch.nn.Module | None = None
) -> None:
    """Weights, optimizer tensors (and the weights' moving average, if the run keeps one) as safetensors,
    the rest as JSON; written atomically."""
    state_dir.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if ema is not None:
        tensors.update({f"ema.{k}": v.detach().cpu().contiguous() for k, v in ema.state_dict().items()})
    sd = opt.state_dict()
    opt_scalars: dict[str, dict] = {}
    for idx, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"opt.{idx}.{k}"] = v.detach().cpu().contiguous()
            else:
                opt_scalars.setdefault(str(idx), {})[k] = v
    (state_dir / "last.json.tmp").write_text(
        json.dumps({**info, "opt_param_groups": sd["param_groups"], "opt_scalars": opt_scalars}, indent=1)
    )
    atomic_write(state_dir / "last.safetensors", lambda tmp: save_file(tensors, str(tmp)))
    (state_dir / "last.json.tmp").replace(state_dir / "last.json")


def load_state(
    state_dir: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, device, ema: torch.nn.Module | None = None
) -> dict:
    info = json.loads((state_dir / "last.json").read_text())
    tensors = load_file(str(state_dir / "last.safetensors"), device=str(device))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    if ema is not None:
        ema.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")})
    state: dict[int, dict] = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, idx, name = k.split(".", 2)
            state.setdefault(int(idx), {})[name] = v
    for idx, scalars in info["opt_scalars"].items():
        state.setdefault(int(idx), {}).update(scalars)
    opt.load_state_dict({"state": state, "param_groups": info["opt_param_groups"]})
    return info
