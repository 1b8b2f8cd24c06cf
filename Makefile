# Two commands on a fresh Debian 12 machine (as root, apt and PyPI reachable):
#   make demo   install what is missing, then run the pipeline on samples/
#   make test   install what is missing, then run the test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-output

# Debian packages the pipeline and its tests run on (installed only when missing); libgs-common: Ghostscript's
# ICC profiles (no Ghostscript), of which default_cmyk.icc describes a CMYK scan image (ocr.pipeline.CMYK_PROFILE);
# libtiff6: its fax decoder tells a cut-off G4 scan image (ocr.bilevel; Tesseract's Leptonica needs it anyway);
# libjpeg-turbo-progs: jpegtran codes a JPEG scan's coefficients progressively, the same pixels in fewer bytes (ocr.jpegs);
# fonts-liberation2, fonts-urw-base35: twins of fonts a born-digital page names without embedding (sohoa.font_twins)
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils qpdf \
	fonts-liberation2 fonts-urw-base35 fonts-noto-core fonts-dejavu-core softhsm2 ca-certificates libgs-common \
	libtiff6 libjpeg-turbo-progs

.PHONY: help deps system-deps venv bytecode demo test lint samples bench clean

help:
	@echo "make demo    install what is missing, run the pipeline on samples/ (results in $(DEMO_DIR)/)"
	@echo "make test    install what is missing, run the test suite"
	@echo "make lint    ruff + mypy"
	@echo "make bench   benchmarks (bench/)"

deps: system-deps venv bytecode

# sohoa's own modules compiled ahead: an editable install leaves them as source, and where bytecode is not written
# (PYTHONDONTWRITEBYTECODE=1, as on the machine this was measured on) every process compiled ~50 of them again at
# each start: 0.5-0.9 s of a one-page `sohoa process` (2026-12-03). Python checks each source file's time, so an
# edited module is compiled afresh, never run stale.
bytecode: venv
	$(BIN)/python -m compileall -q -j 0 classify flows ocr signing sohoa storage > /dev/null

system-deps:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if ! $(PYTHON) -c "import ensurepip, venv" >/dev/null 2>&1; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to apt-get install$$missing" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	else echo "Debian packages: all present"; fi

# the venv is rebuilt only when pyproject.toml changes
venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "sohoa needs Python 3.11, found " + sys.version)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	# compat mode puts the checkout itself on sys.path: with setuptools' default import hook a folder named like
	# one of our packages (a Dask worker's spill folder is called storage/) would shadow it as a namespace package
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat
	touch $@

demo: deps
	rm -rf $(DEMO_DIR)
	SOHOA_DATA_DIR=$(abspath $(DEMO_DIR)) $(BIN)/sohoa process samples/ ; rc=$$?; \
	echo; echo "Auditor's check of every archived PDF (sohoa verify):"; \
	SOHOA_DATA_DIR=$(abspath $(DEMO_DIR)) $(BIN)/sohoa verify $(DEMO_DIR)/archive/*/*/*/document.pdf | grep -E "^(Tổng|Theo loại|Cảnh báo) /"; \
	echo; echo "samples/stack/ho-so-ghep-2-van-ban.pdf was a scanned stack: split at its QR separator sheet into 2 documents."; \
	echo "Results in $(DEMO_DIR)/: archive/ (document.pdf signed + searchable, original.*, record.json, verification.json),"; \
	echo "quarantine/ (refused inputs + .reason.txt, when any), keys/ (the DEVELOPMENT ONLY signing identity)."; \
	echo "Look at one:  pdfsig $(DEMO_DIR)/archive/2025/QĐ/*/document.pdf ; pdftotext $(DEMO_DIR)/archive/2025/QĐ/*/document.pdf -"; \
	echo "              SOHOA_DATA_DIR=$(abspath $(DEMO_DIR)) $(BIN)/sohoa list"; \
	exit $$rc

# the test suite also runs a Prefect server on PostgreSQL, as the README's deployment does
test: APT_PACKAGES += postgresql libtiff-tools
# the suite is CPU-bound (Tesseract, Prefect, pyHanko): one pytest worker per core of the CI machine's two;
# TEST_WORKERS=0 runs it in one process. --dist worksteal: an idle worker takes tests queued for the other, so a
# run no longer waits at its end on one worker's long queue (2026-12-01, nothing else running: 1215 tests in
# 11:50 and 12:40, where the clean runs with xdist's default distribution took 12:33 and 13:26 for 1133)
TEST_WORKERS ?= 2
test: deps
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(if $(filter 0,$(TEST_WORKERS)),,--dist worksteal)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true
	$(BIN)/mypy

samples: venv
	$(BIN)/python samples/make_samples.py

# OCRmyPDF, the OCR anchor, makes its PDF/A output with Ghostscript
bench: APT_PACKAGES += ghostscript
bench: deps
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,bench]' --config-settings editable_mode=compat
	$(BIN)/python bench/pipeline_bench.py

# never var/, the default data folder (SOHOA_DATA_DIR): it holds the archive, the ledger and the signing keys (QA84)
clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
	find classify flows ocr signing sohoa storage -name __pycache__ -prune -exec rm -rf {} +
