"""Runs that call the network: new, resume, regen, add, and Batch API backfills."""
