"""`make bench`: performance ratios. Placeholder until the benchmark issue adds the pipelined account creation."""

from __future__ import annotations


def main() -> None:
    """Print the benchmarks that exist (none yet)."""
    print("bench: no benchmarks yet (account creation pipelining arrives with phase 04)")
    print("benchmarks: 0")


if __name__ == "__main__":
    main()
