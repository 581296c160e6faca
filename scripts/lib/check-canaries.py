#!/usr/bin/env python3
"""Fails if any log line in a folder holds one of the canary values the tests filed clients with.

usage: check-canaries.py CANARIES_FILE LOG_FOLDER
"""
import os
import sys


def main(canary_file: str, folder: str) -> int:
    canaries = []
    with open(canary_file, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                canaries.append(line.split("=", 1)[1])
    found, lines_read = [], 0
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as log:
            for number, line in enumerate(log, 1):
                lines_read += 1
                found += [f"{name}:{number}: {value!r}" for value in canaries if value in line]
    if lines_read == 0:
        print(f"no log lines in {folder}: the check would prove nothing", file=sys.stderr)
        return 1
    if found:
        print("identifying data reached the logs:\n  " + "\n  ".join(found[:20]), file=sys.stderr)
        return 1
    print(f"no canary value in {lines_read} log lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
