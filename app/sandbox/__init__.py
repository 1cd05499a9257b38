"""The local sandbox gateway: a Pegasus Gateway look-alike on loopback.

It serves the same HTTP API as a real gateway (login, collections, rawdata,
job_manager, tasks) over a deterministic demo fleet, keeps its sessions,
jobs and tasks in a SQLite file, and dispatches jobs to real engines.
Start it with `python -m app sandbox`.
"""
