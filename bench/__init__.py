"""Benchmarks that print figures (`make bench`): the dossier path through every layer.

`python -m bench.run` builds a throw-away database with 10,000 dossiers (bench.prefill), times
the same path through the engine (bench.engine_layer), the services (bench.service_layer) and
the HTTP API (bench.api_layer), prints the figures and writes bench/results/latest.json.
"""
