"""Stage 1 — data: pixels in. ``decode`` is the one decoder of every image anyone gives ferkit (files,
bytes, arrays, PIL images, video frames; safety limits) and the one resize of faces; every dataset form
(FER2013 CSV, Kaggle folders or zip, your own class folders) is read into one in-memory
:class:`~ferkit.data.dataset.FERDataset`.

``readers`` reads the sources, ``cache`` keeps the decoded arrays, ``dataset`` completes splits and
subsets, ``report`` says what is in a dataset and what is wrong with it.
"""
