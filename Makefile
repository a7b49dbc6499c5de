# Two entry points for a fresh machine (see README):
#   make book   set up .venv and build the HTML book (quick profile, CPU)
#   make test   set up .venv and run the test suite (unit tests + every notebook, quick profile) and nbval
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup book test nbval bench clean mathjax browser-test paper gpu-check

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

book: $(STAMP) mathjax
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	@echo "Book: _build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests
	$(MAKE) nbval

# nbval on the text notebooks: pair them to .ipynb under _output/nbval, run with --nbval-lax.
nbval: $(STAMP)
	mkdir -p _output/nbval
	$(BIN)/jupytext --to ipynb --output-dir _output/nbval notebooks/*.py >/dev/null 2>&1 || \
	  for f in notebooks/*.py; do $(BIN)/jupytext --to ipynb -o _output/nbval/$$(basename $${f%.py}).ipynb $$f; done
	$(BIN)/python -m pytest --nbval-lax -p no:xdist _output/nbval

bench: $(STAMP)
	$(BIN)/python -m lib bench

# Every chapter under the paper profile, in book order, resumable; results bundled in results/paper/ for the book.
paper: $(STAMP)
	$(BIN)/python -m lib paper

# On a CUDA machine: GPU tests, the benchmark record, the paper profile's expensive results (packed for
# another machine to bundle), within GPU_CHECK_SECONDS (default 540); needs only torch, numpy, scipy, tqdm.
gpu-check:
	scripts/gpu_check.sh

clean:
	rm -rf _build _output _cache

# MathJax 3 for offline reading: npm package `mathjax` vendored into _vendor/ (git-ignored), served by the book.
mathjax:
	scripts/fetch_mathjax.sh

# Headless Chromium opens the built pages: images load, math is typeset, no console errors; screenshots
# go to _output/screenshots. Skips (does not fail) without a built book or a chromium binary.
browser-test: $(STAMP)
	$(BIN)/python -m pytest -p no:xdist -rs tests/test_browser.py
