#!/usr/bin/env python3
"""Pages per commit in a copy of a Parley WAL, and which tables and indexes they belong to.

Usage: wal_pages.py DB WAL [--last N]

Copy parley.db and parley.db-wal out of a running server's data dir (for instance from
/tmp/parley-bench-*/data while parley-bench-ws runs: the server checkpoints and removes its WAL
when it stops), then run this on the copies. It reads the WAL's frame headers (a frame
with a non-zero "database size" field ends a commit), takes the last N commits (default 2000),
and maps each page to its table or index with SQLite's dbstat table, read from the database file
alone: pages the WAL added since the last checkpoint show as "not in the database file yet".
"""

import argparse
import collections
import shutil
import sqlite3
import struct
import sys
import tempfile


def read_commits(wal_path):
    data = open(wal_path, "rb").read()
    if len(data) < 32:
        sys.exit(f"{wal_path}: not a WAL (shorter than its header)")
    magic, _version, page_size, _ckpt, salt1, salt2 = struct.unpack(">IIIIII", data[:24])
    if magic not in (0x377F0682, 0x377F0683):
        sys.exit(f"{wal_path}: not a WAL (magic {magic:#x})")
    frame_size = 24 + page_size
    commits, current = [], []
    for offset in range(32, len(data) - frame_size + 1, frame_size):
        page, db_size, s1, s2 = struct.unpack(">IIII", data[offset : offset + 16])
        if (s1, s2) != (salt1, salt2):
            break  # frames of an earlier generation of the WAL: not part of it any more
        current.append(page)
        if db_size:
            commits.append(current)
            current = []
    return page_size, commits


def page_owners(db_path):
    # dbstat reads the file itself; a copy keeps SQLite from looking for (and replaying) the WAL.
    with tempfile.TemporaryDirectory() as tmp:
        copy = f"{tmp}/plain.db"
        shutil.copy(db_path, copy)
        db = sqlite3.connect(copy)
        try:
            return {pageno: name for name, pageno in db.execute("SELECT name, pageno FROM dbstat")}
        except sqlite3.OperationalError as e:
            sys.exit(f"dbstat is not available in this SQLite: {e}")
        finally:
            db.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db")
    ap.add_argument("wal")
    ap.add_argument("--last", type=int, default=2000, help="commits to look at, the newest (default 2000)")
    args = ap.parse_args()

    page_size, commits = read_commits(args.wal)
    if not commits:
        sys.exit("no complete commit in the WAL")
    last = commits[-args.last :]
    owners = page_owners(args.db)
    print(f"page size {page_size}; {len(commits)} commits in the WAL; the last {len(last)}:")
    print(f"pages per commit: {sum(map(len, last)) / len(last):.2f} on average")
    sizes = collections.Counter(len(c) for c in last)
    print("commits by pages written: " + ", ".join(f"{n}: {k}" for n, k in sorted(sizes.items())))
    per_owner = collections.Counter()
    for commit in last:
        for page in commit:
            per_owner[owners.get(page, "not in the database file yet")] += 1
    print("pages per commit by table or index:")
    for name, count in per_owner.most_common():
        print(f"  {name:40s} {count / len(last):.2f}")


if __name__ == "__main__":
    main()
