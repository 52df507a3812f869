"""agentform's benchmarks: `python -m bench` runs every scenario and prints one table (docs/performance.md)."""
