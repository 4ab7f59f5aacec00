"""Stage 7 — faces: finding faces in an image (``detect``: YuNet, shipped, with five keypoints, run by
ONNX Runtime through ``yunet``) and
cutting them out as the classifier's training data was framed — warped onto FER2013's keypoint template
(``align``), or a widened square around the box (``crop``). To add a detector, write one file with a
:class:`~ferkit.faces.detect.Detector` subclass decorated with
:func:`~ferkit.faces.detect.register_detector` (its ``info`` measured with ``bench/detectors.py``)."""
