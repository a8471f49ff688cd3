# FieldEval — quick start: `make demo`, `make test`.
SWIFT ?= swift
FIELDEVAL_CACHE ?= $(HOME)/.cache/fieldeval
export FIELDEVAL_CACHE
MODEL ?= $(FIELDEVAL_CACHE)/models/gemma-3-270m-q4_k_m.gguf
export FIELDEVAL_MODEL ?= $(MODEL)

.PHONY: bootstrap build test demo format bench clean

## Install what the build needs (Debian packages, llama.cpp, the test model). Idempotent.
bootstrap:
	@bash scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

## Build and run every test (the real-model tests included).
test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Run the main jobs on bundled example data.
demo: build
	@bash scripts/demo.sh

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests Benchmarks Examples

## Benchmarks (release builds); see Benchmarks/README.md.
bench: bootstrap
	@bash Benchmarks/run.sh

clean:
	rm -rf .build
