"""Stage 2 — transforms: how uint8 grey faces become network input.

``preprocess`` is the one definition of that mapping, in numpy (inference, no torch) and in torch
(training and evaluation, on any device), tested to give the same tensor; ``augment`` holds the batched
training augmentations and the test-time views.
"""
