"""Stage 1 — data: every dataset form (FER2013 CSV, Kaggle folders or zip, your own class folders) read
into one in-memory :class:`~ferkit.data.dataset.FERDataset`.

``readers`` decodes the sources, ``cache`` keeps the decoded arrays, ``dataset`` completes splits and
subsets, ``report`` says what is in a dataset and what is wrong with it.
"""
