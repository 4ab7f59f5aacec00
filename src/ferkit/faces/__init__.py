"""Stage 7 — faces: finding faces in an image (``detect``) and cutting them out as the classifier's
training data was framed (``crop``). To add a detector, implement :class:`~ferkit.faces.detect.Detector`
and name it in :func:`~ferkit.faces.detect.make_detector`."""
