"""A wire-level Elasticsearch stand-in that injects faults: for the tests and benches of the ES backend."""
