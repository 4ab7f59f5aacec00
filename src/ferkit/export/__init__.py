"""Stage 6 — export: PyTorch checkpoints to ONNX (the format inference runs without torch), checked
against PyTorch."""
