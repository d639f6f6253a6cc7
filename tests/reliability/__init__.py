"""Reliability and security: fault matrix, bad input, properties, concurrency, resource limits."""
