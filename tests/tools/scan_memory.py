#!/usr/bin/env python3
"""Counts each string's occurrences in a process's memory, as root.

    scan_memory.py PID STRING...

Reads every readable mapping of /proc/PID/maps through /proc/PID/mem and
prints "STRING COUNT" for each.  A mapping that cannot be read (the
kernel's [vvar], say) is skipped and counted on standard error.  Exit
status 1 if no mapping at all could be read: a scan that read nothing
must not pass for one that found nothing.
"""
import re
import sys

pid = int(sys.argv[1])
wanted = [s.encode() for s in sys.argv[2:]]
counts = {w: 0 for w in wanted}
read_bytes = skipped = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        if not m or m.group(3)[0] != "r":
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        try:
            mem.seek(start)
            data = mem.read(end - start)
        except OSError:
            skipped += 1
            continue
        read_bytes += len(data)
        for w in wanted:
            counts[w] += data.count(w)
print(f"scan_memory: read {read_bytes} bytes, skipped {skipped} mappings",
      file=sys.stderr)
for w in wanted:
    print(w.decode(), counts[w])
sys.exit(0 if read_bytes > 0 else 1)
