"""Stage 4 — training: one :class:`~ferkit.training.config.TrainConfig` in, a run directory out.

``loop`` runs the epochs (setup, one epoch, validation and selection, checkpoints, logging), with the
recipe in ``schedule``, exact resume in ``state``, DDP in ``distributed``, and the variants built on it:
``warmstart`` and ``finetune`` (start from a trained model), ``distill`` (learn from a teacher), ``tune``
(Optuna search). Everything here needs PyTorch (``pip install 'ferkit[train]'``) except ``config``.
"""
