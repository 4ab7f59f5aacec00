"""Stage 7 — faces: finding faces in an image (``detect``: YuNet, shipped, with five keypoints, run by
ONNX Runtime through ``yunet``; Haar) and
cutting them out as the classifier's training data was framed — warped onto FER2013's keypoint template
(``align``), or a widened square around the box (``crop``). To add a detector, implement
:class:`~ferkit.faces.detect.Detector`, name it in :func:`~ferkit.faces.detect.make_detector` and
:data:`~ferkit.faces.detect.DETECTOR_INFO`, and measure it with ``bench/detectors.py``."""
