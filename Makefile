# The two commands a user needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.DEFAULT_GOAL := test
APT_STAMP := node_modules/.system-deps
NPM_STAMP := node_modules/.installed

.PHONY: install system-deps thrift-compiler build test lint run thrift stubs bench screenshots clean

## install: npm packages (from package-lock.json) and the system packages the tests use
install: $(NPM_STAMP) system-deps

$(NPM_STAMP): package.json package-lock.json
	FLIPPER_SKIP_PREPARE=1 npm ci --no-audit --no-fund
	@touch $@

# Debian's thrift compiler (make thrift) and python3-thrift (the polyglot test), and python3-redis and
# python3-psycopg2 (Python writers in the change-feed test), installed when missing.
system-deps:
	@if ! command -v thrift >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import thrift, redis, psycopg2' >/dev/null 2>&1; then \
	  echo "installing thrift-compiler, python3-thrift, python3-redis and python3-psycopg2"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq thrift-compiler python3-thrift python3-redis python3-psycopg2 >/dev/null; \
	fi
	@# The TLS tests make their certificates with the openssl command.
	@if ! command -v openssl >/dev/null 2>&1; then \
	  echo "installing openssl"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openssl >/dev/null; \
	fi

# Debian's chromium, for the web console's browser tests (test/console.test.ts), installed when missing.
system-deps: chromium-dep
.PHONY: chromium-dep
chromium-dep:
	@if ! [ -x /usr/bin/chromium ]; then \
	  echo "installing chromium"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

## build: compile TypeScript into dist/
build: $(NPM_STAMP)
	node .ci/build.js

## test: every test (mocha), against the real Redis and PostgreSQL on this machine
# Two mocha runs. Most files run in three worker processes at once (a file per worker at a time);
# then the files below run one after another in one process, alone on the machine, as their bounds
# are on wall-clock latencies or memory that other tests running alongside would push past:
#   sqlite-lock-waits           a Get's p99 and slowest under 50 ms while another process holds the lock
#   server-list-scale           Gets' p99 under 50 ms during a 20,000-flag List; RSS within the budgets
#   server-budgets              another client's slowest Get under 50 ms; a trickle cut within 0.7 s of its deadline
#   server-backend-connections  a 300 ms store deadline answered within 1.5 s; backends back within 5 s
#   rpc-client-hostile-server   each hostile reply costs at most its 1 s deadline + 0.5 s; heap bounds
#   rpc-client-healing          a frozen connection replaced within twice its 500 ms timeout
#   replica-fanout              1,000 replicas see a change within 5 s; the server's RSS growth
#   console-login               a browser tab sees another tab's change within 2 s (Chromium)
# Both runs always run (every failure is shown); the command fails if either failed, or if a name
# here has no test file (mocha would skip it without a word).
TIMING_BOUND_TESTS := sqlite-lock-waits server-list-scale server-budgets server-backend-connections \
  rpc-client-hostile-server rpc-client-healing replica-fanout console-login
TIMING_BOUND_FILES := $(TIMING_BOUND_TESTS:%=dist/test/%.test.js)

test: install build
	@for file in $(TIMING_BOUND_FILES); do \
	  [ -f $$file ] || { echo "make test: no $$file: update TIMING_BOUND_TESTS in the Makefile" >&2; exit 2; }; \
	done
	@failed=0; \
	npx mocha --parallel --jobs 3 'dist/test/**/*.test.js' $(TIMING_BOUND_FILES:%=--ignore %) || failed=1; \
	npx mocha $(TIMING_BOUND_FILES) || failed=1; \
	exit $$failed

## lint: ESLint and Prettier
lint: $(NPM_STAMP)
	npx eslint .
	npx prettier --check .

## run: start the flag server on 127.0.0.1:9090 with ./data/flags.db (options: make run ARGS='--store memory')
# Only npm packages: the system packages are for the tests and `make thrift`.
run: build
	node dist/server/cli.js $(ARGS)

# Debian's thrift compiler alone (make stubs needs nothing else).
thrift-compiler:
	@if ! command -v thrift >/dev/null 2>&1; then \
	  echo "installing thrift-compiler"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq thrift-compiler >/dev/null; \
	fi

## thrift: regenerate gen-nodejs/ from thrift/feature_flag_store.thrift
thrift: system-deps
	rm -rf gen-nodejs && mkdir -p gen-nodejs
	thrift --gen js:node,ts -out gen-nodejs thrift/feature_flag_store.thrift

## stubs: client stubs for another language in gen-<LANG>/ (make stubs LANG=py; also go, java, rb, cpp, ...)
# Any generator of the installed compiler (`thrift --help` lists them); LANG is also the locale
# variable, so a value that is not a generator name is refused rather than passed on.
stubs: thrift-compiler
	@if [ -z "$(LANG)" ] || ! thrift --help 2>&1 | grep -q "^  $(LANG) ("; then \
	  echo "make stubs: LANG must name a thrift generator (py, go, java, rb, cpp, ...), got '$(LANG)'" >&2; exit 2; \
	fi
	rm -rf gen-$(LANG) && mkdir -p gen-$(LANG)
	thrift --gen $(LANG) -out gen-$(LANG) thrift/feature_flag_store.thrift
	@echo "wrote gen-$(LANG)/"

## bench: ops/s for our code next to a baseline measured in the same run (SECTIONS="evaluation replica-evaluation": only those)
bench: install build
	node dist/bench/run.js $(SECTIONS)

## screenshots: the web console's pictures in docs/screenshots/ (shown in the README), from its browser test
screenshots: install build
	UPDATE_SCREENSHOTS=1 npx mocha --no-config --require dist/test/helpers/root-hooks.js --timeout 60000 --exit dist/test/console.test.js dist/test/console-login.test.js dist/test/console-history.test.js

clean:
	rm -rf dist node_modules/.installed
