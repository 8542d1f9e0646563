# Annealer: the two commands README gives are `make demo` (main job) and `make test` (all tests).
MVN ?= mvn -B
SHELL := /bin/bash

.PHONY: build test demo preview clean

build:
	$(MVN) -q -DskipTests install

test:
	$(MVN) verify

# For now the main job is a schedule preview of the quickstart (replaced by the full control-plane demo).
demo: preview

preview:
	@test -f cli/target/annealer-cli.jar || $(MVN) -q -DskipTests install
	bin/annealer schedule preview -f examples/quickstart.yaml

clean:
	$(MVN) -q clean
