# Two commands on a fresh machine:  `make demo` (the main job)  and  `make test` (the test suite).
# Both create .venv and install everything: ferkit with its training extra (PyTorch) and dev tools.
# torch is pinned first: a bare `torch` requirement would pull a multi-GB CUDA build, while
# torch==2.13.0 installs the CPU build. (`pip install ferkit` alone, without torch, predicts and serves.)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FERKIT := $(VENV)/bin/ferkit
FER2013 ?= ../shared/datasets/fer2013.zip
STAMP := $(VENV)/.ferkit-installed

.PHONY: demo test lint install bench weights detectors clean reproduce int8

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[train,dev]'
	touch $(STAMP)

DEMO ?= ferkit-demo
demo: $(STAMP)
	@echo "== ferkit predict: every face in a real photo (Grace Hopper, shipped with matplotlib), offline"
	$(FERKIT) predict "$$($(PY) -c 'from ferkit.inference.bench import sample_photo; print(sample_photo())')" \
		--json $(DEMO)/hopper.json --annotate $(DEMO)
	@echo "== results: $(DEMO)/hopper.json  annotated picture: $$(ls $(DEMO)/*.annotated.jpg)"
	@if [ -f "$(FER2013)" ]; then \
		echo "== ferkit evaluate: the shipped default model on FER2013 PrivateTest, one view per face as predict runs it (its model card gives this beside the 10-view TTA figure) ($(FER2013))"; \
		$(FERKIT) evaluate --weights default --data "$(FER2013)" --split test --out $(DEMO)/eval-privatetest; \
	else \
		echo "== FER2013 not found at $(FER2013): set FER2013=path/to/fer2013.zip|csv|folder to evaluate on it"; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts

test: lint
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		echo "== installing Debian's chromium for the browser test" && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "== chromium not installed: the browser test will be skipped"
	$(PY) -m pytest -q

# Rebuild a shipped model from its recipe (and the recipes of its teachers): make reproduce MODEL=default
MODEL ?= default
reproduce: $(STAMP)
	$(FERKIT) train --config configs/$(MODEL).toml --data "$(FER2013)" --out runs/$(MODEL)

# Re-make a shipped model's ONNX twin after retraining or recalibrating it: make weights [MODEL=ferplus]
weights: $(STAMP)
	$(FERKIT) export --weights $(MODEL) --out src/ferkit/weights/$(MODEL).onnx

# A shipped model's int8 twin, calibrated on 1,000 FER2013 Training faces: make int8 [MODEL=ferplus]
int8: $(STAMP)
	$(FERKIT) export --weights $(MODEL) --int8 --data "$(FER2013)" --out src/ferkit/weights/$(MODEL).int8.onnx

# Re-derive the shipped YuNet file (input size marked dynamic) from the published one in ../shared/models.
detectors: $(STAMP)
	$(PY) -c "from ferkit.export.yunet import dynamic_yunet; \
	dynamic_yunet('../shared/models/yunet_s_640_640.onnx', 'src/ferkit/weights/detectors/yunet_s.onnx')"

clean:
	rm -rf $(VENV) ferkit-eval ferkit-demo .pytest_cache
