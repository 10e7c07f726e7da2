# Two commands: `make book` (install + run every notebook + build HTML) and `make test`.
PYTHON ?= python3
VENV ?= .venv
SCALE ?= small
# A local CPU build of torch; install it before the rest so no CUDA wheels are pulled in.
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.quanta-installed

.PHONY: install book notebooks html test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

notebooks: install
	$(BIN)/quanta run-all --scale $(SCALE)

html: install
	$(BIN)/quanta build

book: notebooks html

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf _build book/_generated figures/out _toc.yml book/figures.md
