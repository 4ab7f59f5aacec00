"""Stage 3 — models: the architectures (``nets``) behind a registry (``registry``), and checkpoints —
``meta`` reads their JSON header and finds shipped models without torch, ``checkpoint`` saves and
rebuilds PyTorch models. To add an architecture, decorate its builder with
:func:`~ferkit.models.registry.register_model` in ``nets.py``."""
