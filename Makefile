# The two commands a user needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.DEFAULT_GOAL := test
APT_STAMP := node_modules/.system-deps
NPM_STAMP := node_modules/.installed

.PHONY: install system-deps build test lint run thrift bench clean

## install: npm packages (from package-lock.json) and the system packages the tests use
install: $(NPM_STAMP) system-deps

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
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

## build: compile TypeScript into dist/
build: $(NPM_STAMP)
	npx tsc -p .
	@rm -rf dist/gen-nodejs && cp -r gen-nodejs dist/gen-nodejs
	@cp client/index.mjs dist/client/index.mjs

## test: every test (mocha), against the real Redis and PostgreSQL on this machine
test: install build
	npx mocha

## lint: ESLint and Prettier
lint: $(NPM_STAMP)
	npx eslint .
	npx prettier --check .

## run: start the flag server on 127.0.0.1:9090 with ./data/flags.db (options: make run ARGS='--store memory')
run: install build
	node dist/server/cli.js $(ARGS)

## thrift: regenerate gen-nodejs/ from thrift/feature_flag_store.thrift
thrift: system-deps
	rm -rf gen-nodejs && mkdir -p gen-nodejs
	thrift --gen js:node,ts -out gen-nodejs thrift/feature_flag_store.thrift

## bench: ops/s for our code next to a baseline measured in the same run
bench: install build
	node dist/bench/run.js

clean:
	rm -rf dist node_modules/.installed
