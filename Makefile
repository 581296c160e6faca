.PHONY: run test bench bench-webhooks
run:
	scripts/run
test:
	scripts/test

bench:
	scripts/bench

bench-webhooks:
	scripts/bench-webhooks
