# Lapor — every target creates and uses the virtual environment in .venv/ on its own.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
NODE_STAMP := infra/node_modules/.installed
# Kemendagri's regions, built from the npm package idn-area-data (tools/regions) into the package.
REGIONS := layers/common/python/lapor/adapters/data/regions.tsv.gz
REGIONS_SOURCE := tools/regions/node_modules/.installed
PYTEST_WORKERS ?= 2
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20
export PYTHONDONTWRITEBYTECODE = 1


.PHONY: help venv regions chromium cdk-cli deploy local test test-fast test-slow synth bench lint format load-directory validate-directory clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@echo "==> creating $(VENV) and installing pinned dependencies (about 2 minutes the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --progress-bar off -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@
	@echo "==> $(VENV) ready"

venv: $(STAMP) $(REGIONS) ## Create the virtual environment (and build the region list)

$(REGIONS_SOURCE): tools/regions/package.json tools/regions/package-lock.json
	@echo "==> installing Kemendagri's area codes (npm idn-area-data) into tools/regions"
	@cd tools/regions && npm ci --no-audit --no-fund --loglevel=error --engine-strict=false
	@touch $@

$(REGIONS): $(REGIONS_SOURCE) tools/build_regions.py | $(STAMP)
	@$(BIN)/python -m tools.build_regions

regions: $(REGIONS) ## Build the region list (lapor/adapters/data/regions.tsv.gz) from idn-area-data

$(NODE_STAMP): infra/package.json infra/package-lock.json
	@echo "==> installing the CDK CLI into infra/node_modules"
	@cd infra && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

cdk-cli: $(NODE_STAMP) ## Install the CDK CLI (npx --prefix infra cdk ...)

local: $(STAMP) $(REGIONS) ## Run the whole pipeline on this machine (moto, API + pages on :8080)
	@$(BIN)/python -m local

test: $(STAMP) $(REGIONS) chromium ## Run every test (unit, integration, infra, end-to-end)
	@$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

chromium: # Debian's Chromium for the browser tests (installed when running as root)
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "==> installing Chromium for the browser tests (apt, about a minute)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "==> Chromium not installed and not root: the browser tests will be skipped"; fi; \
	fi

synth: $(STAMP) $(REGIONS) $(NODE_STAMP) ## Synthesize the templates into cdk.out/ with the CDK CLI (no Docker, no AWS account)
	@echo "==> cdk synth (cdk-nag AwsSolutions checks run on every synth)"
	@npx --prefix infra cdk synth --quiet
	@echo "==> templates in cdk.out/"

deploy: $(STAMP) $(REGIONS) $(NODE_STAMP) ## Deploy to the AWS account of your credentials: make deploy CONTEXT="-c stage=prod ..."
	@npx --prefix infra cdk deploy $(CONTEXT)

bench: $(STAMP) $(REGIONS) ## Run the benchmarks; results in bench/results.json
	@$(BIN)/python -m bench

lint: $(STAMP) ## ruff check, format check and the package's import contracts (import-linter)
	@$(BIN)/ruff check . && $(BIN)/ruff format --check .
	@cd layers/common/python && ../../../$(BIN)/lint-imports --no-cache ../../../pyproject.toml

format: $(STAMP) ## Format the code
	@$(BIN)/ruff check --fix . && $(BIN)/ruff format .

validate-directory: $(STAMP) ## Validate a directory file: make validate-directory FILE=path.yaml
	@$(BIN)/python -m ops validate-directory $(or $(FILE),local/directory.demo.yaml)

load-directory: $(STAMP) ## Load a directory into a deployed stack: make load-directory FILE=... STACK=Lapor-prod
	@$(BIN)/python -m ops load-directory $(FILE) --stack $(STACK)

clean: ## Remove generated files (keeps .venv)
	@rm -rf cdk.out .pytest_cache .hypothesis .schemathesis bench/out
