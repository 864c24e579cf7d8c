"""Use cases: each takes a session and an actor, flushes, raises domain errors, never commits."""
