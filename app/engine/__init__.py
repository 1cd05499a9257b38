"""The embedded job-engine: an ASGI app speaking the Pegasus engine protocol.

It serves its manifest, accepts jobs from a gateway, makes the reports in
background tasks (reading the gateway's vehicles and raw data with the job's
token) and serves the result files. README.md beside this file defines each
report exactly; `python -m app engine` runs it.
"""
