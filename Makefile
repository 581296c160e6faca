.PHONY: run test bench bench-webhooks bench-deadlines
run:
	scripts/run
test:
	scripts/test

bench-deadlines:
	scripts/bench-deadlines

bench:
	scripts/bench

bench-webhooks:
	scripts/bench-webhooks
