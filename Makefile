# partycard — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
POPULATION_PORT ?= 8790
STAMP  := $(VENV)/.installed

.PHONY: run test install lint typecheck contracts check bench soak messages clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "partycard needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The pcsc extra (pyscard, for `partycard read-card`) compiles against pcsc-lite: only where its headers
# and swig are (apt-get install libpcsclite-dev swig pcscd vsmartcard-vpcd). $(EXTRAS) names the extras this
# machine can have: worked out at every make run, rewritten only when that changes, so the next `make test`
# after installing those packages installs the pcsc extra by itself (tests/test_makefile.py).
PCSC_HEADER ?= /usr/include/PCSC/winscard.h
EXTRAS := $(VENV)/.extras

.PHONY: FORCE
$(EXTRAS): FORCE | $(BIN)/python
	@extras=dev; \
	if [ -e "$(PCSC_HEADER)" ] && command -v swig >/dev/null 2>&1; then extras=dev,pcsc; fi; \
	if [ "$$(cat $@ 2>/dev/null)" != "$$extras" ]; then echo "$$extras" >$@; fi

$(STAMP): pyproject.toml $(EXTRAS) | $(BIN)/python
	@extras=$$(cat $(EXTRAS)); \
	case "$$extras" in *pcsc*) ;; \
	*) echo "note: no pcsc-lite headers or swig: installing without PC/SC (read-card and its tests need it)";; esac; \
	$(BIN)/python -m pip install --quiet -e ".[$$extras]"
	@touch $(STAMP)

install: $(STAMP)

## make run: install, migrate the embedded SQLite database under var/, load demo data, serve (web + worker).
# The demo's signing authority (var/pki) is encrypted under a public demo passphrase: demo data only.
run: export PARTYCARD_PKI_PASSPHRASE ?= demo-passphrase-not-for-production
# The site's own Vietnamese error pages, not Django's debug pages (PARTYCARD_DEBUG=1 make run for those);
# without DEBUG, runserver --insecure serves the static files.
run: export PARTYCARD_DEBUG ?= 0
run: export PARTYCARD_POPULATION_URL ?= http://127.0.0.1:$(POPULATION_PORT)
run: export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost,$(HOST)
run: install
	@mkdir -p var
	$(BIN)/partycard migrate --no-input -v 0
	$(BIN)/partycard demo
	@echo ""
	@echo "  partycard is serving at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Log in with one of the demo users above. Stop with Ctrl-C."
	@echo "  A background worker (partycard db_worker) runs bulk jobs next to the server."
	@echo "  Then the six-digit code: add the demo secret printed above to an authenticator app,"
	@echo "  or run  $(BIN)/partycard demo_otp USERNAME  (e.g. $(BIN)/partycard demo_otp tinh)."
	@echo "  A member: log in as dangvien (same password; the SMS code is printed in the server output below)"
	@echo "  to open the member's app at /so-tay/ (e-card with its rotating QR, meetings, dues, procedures);"
	@echo "  the offline verifier is at http://$(HOST):$(PORT)/kiem-tra/."
	@echo ""
	@echo "  The stand-in of the national population database serves the demo's citizens at"
	@echo "  http://127.0.0.1:$(POPULATION_PORT)/ (docs/population.md); check them at /doi-soat-dan-cu/."
	@echo ""
	@# The background worker (django-tasks-db) runs the exchange's bulk jobs, and the population database's
	@# stand-in answers the cross-check (issue 17); both stop with the server.
	@$(BIN)/partycard db_worker --no-reload -v 0 & worker=$$!; \
	  $(BIN)/partycard population standin --port $(POPULATION_PORT) >var/population-standin.log 2>&1 & standin=$$!; \
	  trap 'kill $$worker $$standin 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/partycard runserver $(HOST):$(PORT) --noreload --insecure

## make test: install and run the whole suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL).
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

check: lint typecheck contracts

## make bench: every benchmark in bench/, ONE table (bench/results/table.md and .json) with each figure's raw
# limit from the same run, its bar and the machine (bench/run_all.py). Quick sizes by default (~1 h on 2
# cores); BENCH_SCALE=national for 5.6 M members (hours); BENCH_ONLY=name,name for some benches.
bench: install
	$(BIN)/python bench/run_all.py

## make soak: officers' and verifiers' traffic against the production deployment on loopback (nginx TLS,
# granian, a task worker, a PostgreSQL database of its own) for SOAK_SECONDS (600); fails on any error or
# memory growth; writes bench/results/soak.json (bench/soak.py says every knob).
soak: install
	$(BIN)/python bench/soak.py

## make messages: compile the Vietnamese translations (the .mo is committed, so no gettext is needed to run).
messages: install
	$(BIN)/python scripts/compile_messages.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
