"""Stage 5 — evaluation: honest numbers for a trained model on one split — accuracy, per-class
precision/recall/F1, confusion matrix, calibration error (``metrics``), pictures (``plots``), the forward
passes with test-time augmentation (``logits``), and temperature scaling (``calibrate``)."""
