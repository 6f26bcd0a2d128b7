# The two commands of the README: `make lab` and `make test`. Both start with `make setup`,
# which is idempotent: a venv with the project and its test extras, then every binary
# the sandbox needs (found on PATH, in the per-user cache, or built with Go once).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: setup binaries lab test lint bench clean-venv

setup: $(STAMP) binaries

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

binaries: $(STAMP)
	$(BIN)/workshop binaries install

lint: $(STAMP)
	$(BIN)/ruff check workshop tests bench labs
	$(BIN)/ruff format --check workshop tests bench labs
	$(BIN)/mypy
	$(BIN)/lint-imports

test: setup lint
	$(BIN)/pytest

lab: setup
	$(BIN)/workshop sandbox up
	@echo "JupyterLab arrives with the workshop runner; the sandbox is up."

clean-venv:
	rm -rf $(VENV)

bench: setup
	$(BIN)/python bench/run.py
