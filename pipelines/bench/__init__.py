"""The benchmark behind `make bench`: extract, load, transform and name resolution on generated accounts.

`python -m pipelines.bench --help` lists the options. Each measured step runs in a child process of its own, so
its peak memory (`ru_maxrss`) belongs to that step alone, and the sandbox runs in yet another process so that
serving the account does not count against the pipeline.
"""
