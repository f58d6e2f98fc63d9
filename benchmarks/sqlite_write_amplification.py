#!/usr/bin/env python3
"""The SQLite candidate for the durable store, measured as docs/storage.md describes.

Stores the same records the journal benchmark stores (one device's 100 values as the JSON the
platform receives, ~1.1 kB) in a WAL-mode SQLite table, in one transaction per 100 ms batch,
deleting each batch once "acknowledged" (the steady state while online), with
synchronous=NORMAL and a checkpoint as SQLite runs it. Prints bytes written to disk per byte of
payload from /proc/self/io write_bytes. Usage: python3 benchmarks/sqlite_write_amplification.py [folder]
"""
import json, os, sqlite3, sys, tempfile

folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(dir="/var/tmp")
path = os.path.join(folder, "bench.db")

def write_bytes():
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return 0

def payload(n):
    return json.dumps({f"Bench {n % 100}": [{"ts": 1764000000000 + n, "values": {f"r{k}": (n * 7 + k) % 65536 for k in range(100)}}]},
                      separators=(",", ":"))

db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, ts INTEGER, message TEXT)")
records = [payload(n) for n in range(1000)]
payload_bytes = 0
start = write_bytes()
batches = 200  # 20,000 records of 100 points: 2M points
for b in range(batches):
    rows = [(b * 100 + i, records[(b * 100 + i) % 1000]) for i in range(100)]
    db.execute("BEGIN")
    db.executemany("INSERT INTO messages (ts, message) VALUES (?, ?)", rows)
    db.execute("COMMIT")
    payload_bytes += sum(len(r[1]) for r in rows)
    if b >= 1:  # the previous batch was acknowledged: delete it, as a sender does
        db.execute("BEGIN")
        db.execute("DELETE FROM messages WHERE ts < ?", ((b) * 100,))
        db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
os.sync()
written = write_bytes() - start
print(f"sqlite (WAL, synchronous=NORMAL, batches of 100, delete after ack): {written / payload_bytes:.2f}x write amplification "
      f"({written / 1e6:.1f} MB written for {payload_bytes / 1e6:.1f} MB of payload)")
for name in os.listdir(folder):
    os.remove(os.path.join(folder, name))
os.rmdir(folder)
