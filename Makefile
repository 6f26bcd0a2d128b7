# The two commands of the README: `make lab` and `make test`. Both start with `make setup`,
# which is idempotent: a venv with the project and its test extras, then every binary
# the sandbox needs (found on PATH, in the per-user cache, or built with Go once).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: setup binaries busybox buildah bubblewrap nftables browser lab test soak lint bench clean-venv

setup: $(STAMP) binaries busybox buildah bubblewrap nftables

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lab]'
	@rm -f $(VENV)/.installed-* && touch $@

binaries: $(STAMP)
	$(BIN)/workshop binaries install

lint: $(STAMP)
	$(BIN)/ruff check workshop tests bench labs notebooks
	$(BIN)/ruff format --check workshop tests bench labs notebooks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Debian's busybox-static, for the workshop's base image (workshop/containers/base.py): a
# shell and httpd in images built offline. Optional: without it the base has files only.
busybox:
	@test -x /bin/busybox || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static; } \
	  || echo "busybox-static not installed: the base image gets no shell"; \
	else echo "optional: apt-get install busybox-static gives the workshop's base image a shell"; fi; }

# Debian's buildah, for Dockerfiles that RUN commands (workshop/containers/buildah.py): it
# builds daemonless, as root or with user namespaces. Optional: without it such a build
# stops with a sentence saying so; Dockerfiles without RUN build anyway.
buildah:
	@command -v buildah >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah; } \
	  || echo "buildah not installed: Dockerfiles with RUN will not build"; \
	else echo "optional: apt-get install buildah (as root) lets Dockerfiles with RUN build"; fi; }

# Debian's bubblewrap: a sandbox run as root starts kwok in it, so `kubectl exec` sees
# no process, file or /tmp of the machine (workshop/sandbox/jail.py). Without it (or as an
# ordinary user) kwok runs unjailed, and `workshop sandbox status` says so.
bubblewrap:
	@command -v bwrap >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; } \
	  || echo "bubblewrap not installed: kubectl exec runs unjailed"; \
	else echo "optional: apt-get install bubblewrap (as root) jails kubectl exec"; fi; }

# Debian's nftables: in kwok's jail, its own network's firewall lets `kubectl exec` reach the
# API relay and nothing else (workshop/sandbox/jailnet.py; the machine's firewall is never
# touched). Without it the jail's network is not isolated, and a class gives no exec.
nftables:
	@command -v nft >/dev/null 2>&1 || test -x /usr/sbin/nft || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables; } \
	  || echo "nftables not installed: kubectl exec is jailed without network isolation"; \
	else echo "optional: apt-get install nftables (as root) isolates the jail's network"; fi; }

# Debian's chromium, for the browser test (Playwright drives it; it never downloads one).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "the browser test needs Debian's chromium: apt-get install chromium" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium; }

# Three workers (pytest-xdist), each with its own sandbox: most of the suite waits on the
# cluster rather than computing, so three fit on two cores. Each module (and each shard
# class of the lab and notebook tests) runs whole, in order, on one worker.
TEST_WORKERS ?= 3
test: setup lint browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

# The suite RUNS times, each with LOAD busy CPU loops beside it (bench/soak.py): each run's
# passes and time, the failures per test, junit XML in bench/results/soak-*/; non-zero exit
# if any run failed. SOAK_ARGS runs a subset: make soak RUNS=5 SOAK_ARGS="tests/unit".
RUNS ?= 10
LOAD ?= 2
SOAK_ARGS ?=
soak: setup browser
	$(BIN)/python bench/soak.py --runs $(RUNS) --load $(LOAD) -- \
	  -n $(TEST_WORKERS) --dist loadscope $(SOAK_ARGS)

# JupyterLab on notebooks/, on loopback only, with a fresh token; terminals in it get the
# workshop's kubectl and the sandbox's kubeconfig. The emulated OVHcloud API (labs 08, 10)
# runs beside it, with lifelike delays: a cluster takes a minute to install.
LAB_PORT ?= 8888
lab: setup
	$(BIN)/workshop sandbox up
	$(BIN)/workshop cloud up --profile lifelike
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))'); \
	home="$${WORKSHOP_HOME:-$$HOME/.workshop}"; \
	echo; echo "  JupyterLab: http://127.0.0.1:$(LAB_PORT)/lab/tree/00-welcome.ipynb?token=$$token"; echo; \
	KUBECONFIG="$$home/kubeconfig" PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/jupyter lab \
	  --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	  --ServerApp.port_retries=0 --IdentityProvider.token="$$token" \
	  --ServerApp.root_dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

clean-venv:
	rm -rf $(VENV)

bench: setup
	$(BIN)/python bench/run.py
