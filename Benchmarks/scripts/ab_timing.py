"""Interleaved wall-clock timing of whole commands, for machines whose speed drifts.

    python3 Benchmarks/scripts/ab_timing.py 21 "scrim denoise in.wav -o out.wav --overwrite" "ffmpeg ..." ...

Each iteration runs every command once, in turn, pinned to CPU 1 (`taskset -c 1`), so a slow spell of the
machine falls on all of them alike; the first iteration is a warm-up and is not counted. Prints the median,
fastest and first-quartile wall time per command in milliseconds. Commands are split on spaces (no quoting).
"""

import statistics
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    iterations = int(sys.argv[1])
    commands = sys.argv[2:]
    times: dict[str, list[float]] = {c: [] for c in commands}
    for i in range(iterations + 1):
        for command in commands:
            start = time.perf_counter()
            subprocess.run(["taskset", "-c", "1", *command.split()], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            if i:
                times[command].append((time.perf_counter() - start) * 1e3)
    for command in commands:
        values = sorted(times[command])
        print(f"median {statistics.median(values):7.1f}  fastest {values[0]:7.1f}  "
              f"q1 {values[len(values) // 4]:7.1f}  {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
