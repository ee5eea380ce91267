# Two commands on a fresh machine:
#   make run    set up everything (venv, packages, default models) and run the appliance
#   make test   the same set-up, then the whole test suite with the network closed
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Tools that are not the appliance's dependencies live in a venv of their own: the
# SBOM writer (cyclonedx-py) pulls in rfc3987-syntax, which jsonschema then imports
# with chromadb in every appliance process (about a second each).
TOOLS  := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed-stamp
# Models are shared by every data directory on this checkout (tests included).
export APPLIANCE_MODEL_DIR ?= $(CURDIR)/.models

.PHONY: setup models ocr ldap nginx oidc browser llama-server run demo test test-online lint format bench clean

setup: $(STAMP) $(TOOLS_STAMP) models ocr llama-server

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# The first install compiles llama.cpp for llama-cpp-python (about 6 minutes on
# 2 cores) for a portable instruction set (scripts/llama-cpu-args); the wheel is cached
# per set of build options, so later set-ups take seconds.
LLAMA_BUILD := scripts/build-llama-cpp-python scripts/llama-sdist scripts/llama-cpu-args

$(STAMP): pyproject.toml constraints.txt $(LLAMA_BUILD) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall "$$(scripts/build-llama-cpp-python)"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# cyclonedx-py, with which installer/build-bundle.sh writes the bundle's SBOM.
$(TOOLS_STAMP): constraints.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet -c constraints.txt cyclonedx-bom
	touch $@

# llama.cpp's llama-server for the llama-server inference backend, built from the
# llama.cpp tree of the same pinned llama-cpp-python sdist (sha256-checked); the first
# build takes many minutes on 2 cores, later set-ups copy it from the cache in seconds.
llama-server: $(BIN)/llama-server

$(BIN)/llama-server: scripts/build-llama-server scripts/llama-sdist scripts/llama-cpu-args constraints.txt | $(STAMP)
	scripts/build-llama-server $@

models: $(STAMP)
	$(BIN)/appliance models install
	$(BIN)/appliance models verify --quick

run: setup
	$(BIN)/appliance demo --serve

# Tesseract and its language packs, from Debian's packages, for scanned pages.
ocr:
	scripts/install-ocr

# OpenLDAP's slapd, from Debian's packages, for the LDAP sign-in tests (they start
# their own server on loopback; Debian's service is stopped and disabled).
ldap:
	scripts/install-ldap

# Debian's nginx, for the Chroma server tests: Chroma 1.x has no authentication, so
# they put nginx in front requiring the token (Debian's service is stopped and disabled).
nginx:
	scripts/install-nginx

browser:
	scripts/install-browser

# The OpenID provider the sign-in tests start on loopback (Node.js, oidc-provider
# pinned in tests/oidc/package-lock.json): installed here, so the tests run offline.
oidc:
	scripts/install-oidc-provider

test: setup browser ldap nginx oidc
	scripts/offline $(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite without closing the network namespace (for machines without unshare).
test-online: setup browser ldap nginx oidc
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# mypy checks what [tool.mypy] in pyproject.toml names: the appliance package.
lint: $(STAMP)
	$(BIN)/ruff check appliance tests bench
	$(BIN)/ruff format --check appliance tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format appliance tests bench
	$(BIN)/ruff check --fix appliance tests bench

bench: setup
	scripts/offline $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache .mypy_cache
