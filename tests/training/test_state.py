"""Resume state: weights, optimizer tensors and scalars round-trip through safetensors + JSON."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

from ferkit.training.state import load_state, save_state  # noqa: E402


def test_state_round_trip(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(8, 4)).sum().backward()
    opt.step()
    save_state(tmp_path / "state", model, opt, {"epoch": 3, "history": [{"val_acc": 0.5}]})
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["last.json", "last.safetensors"]
    model2 = torch.nn.Linear(4, 3)
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.5, momentum=0.9)
    info = load_state(tmp_path / "state", model2, opt2, "cpu")
    assert info["epoch"] == 3 and info["history"] == [{"val_acc": 0.5}]
    assert torch.equal(model.weight, model2.weight) and opt2.param_groups[0]["lr"] == 0.1
    buf, buf2 = (o.state_dict()["state"][0]["momentum_buffer"] for o in (opt, opt2))
    assert torch.equal(buf, buf2)
