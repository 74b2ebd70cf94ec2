# GT-Vision — two commands: `make run` (the whole system locally) and `make test` (every test).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: run test bench lint layers install clean routes openapi package

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "==> instalando dependências em $(VENV) (primeira vez leva ~1 min)"
	@$(BIN)/python -m pip install -q --upgrade pip >/dev/null
	@$(BIN)/python -m pip install -q -e ".[local,dev]"
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Start PostgreSQL (embedded), the AWS emulator on :4566, the API on :3000, queues and schedules.
run: $(STAMP)
	@$(BIN)/gtvision local up $(if $(DEMO),--demo,)

## Every test, against real PostgreSQL, the emulator over HTTP and real ffmpeg. TEST_WORKERS processes run the
## test files side by side (each with its own PostgreSQL and emulator); TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	@$(BIN)/python -m pytest -q -p no:cacheprovider $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

## Benchmarks (results go to docs/benchmarks.md with the command that produced them).
bench: $(STAMP)
	@bench/run_all.sh

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

## Lambda layers for `sam build`: the ffmpeg binary from imageio-ffmpeg into layers/ffmpeg/bin.
layers: $(STAMP)
	@mkdir -p layers/ffmpeg/bin
	@cp "$$($(BIN)/python -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')" layers/ffmpeg/bin/ffmpeg
	@chmod +x layers/ffmpeg/bin/ffmpeg && echo "layers/ffmpeg/bin/ffmpeg pronto"

## What Lambda runs: assemble layers + functions (and `sam build` when SAM CLI + python3.12 are on PATH),
## import every handler with only Lambda's search path, check ffmpeg runs and each function <= 235 MB.
package: $(STAMP)
	@$(BIN)/gtvision package $(if $(shell command -v sam 2>/dev/null),--sam,)

routes: $(STAMP)
	@$(BIN)/gtvision routes sync

## docs/openapi.json from the app's routes and models (a test keeps it equal to /v1/openapi.json).
openapi: $(STAMP)
	@$(BIN)/gtvision openapi

clean:
	rm -rf $(VENV) .local .pytest_cache
