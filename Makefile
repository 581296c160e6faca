.PHONY: run test faults bench bench-webhooks bench-deadlines bench-fhir profile
run:
	scripts/run
test:
	scripts/test

faults:
	scripts/faults

bench-deadlines:
	scripts/bench-deadlines

bench-fhir:
	scripts/bench-fhir

bench:
	scripts/bench

bench-webhooks:
	scripts/bench-webhooks

profile:
	scripts/profile-requests
