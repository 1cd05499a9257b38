"""Benchmarks: each prints figures as ratios against a baseline of the same run.

The machines we run on are shared and noisy, so no figure here is an
absolute time to compare across runs: each benchmark measures its own
baseline in the same run and reports the ratio, which is what targets
are set on.
"""
