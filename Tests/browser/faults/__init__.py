"""The fault scenarios (issue 22): short in every scripts/test, full under scripts/faults."""
