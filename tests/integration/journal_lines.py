"""Reads a trial's journal as an outside client would (lib/store/journal.h:
each line "CRC32HEX PAYLOAD", a report's payload "r STEP TIME METRIC VALUE"),
failing on any line whose checksum does not match: a torn or lost report
is what the tests that import this look for.

    sys.path.insert(0, "tests/integration"); from journal_lines import reports
"""
import zlib


def reports(path):
    """The journal's metric reports, in order, as (metric, step, value)."""
    out = []
    for line in open(path, "rb").read().split(b"\n"):
        if not line:
            continue
        crc, payload = line.split(b" ", 1)
        assert int(crc, 16) == zlib.crc32(payload), line
        f = payload.split()
        if f[0] == b"r":
            out.append((f[3].decode(), int(f[1]), float(f[4])))
    return out
