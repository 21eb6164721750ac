#!/usr/bin/python3
"""Listener for 006_expiry_notices.pl: LISTENs on apitoken_expiring, as an
application following the README would, and waits for the first
notification, at most TIMEOUT seconds.

Usage: expiry_listener.py CONNINFO TIMEOUT
  CONNINFO  libpq connection string
  TIMEOUT   seconds to wait, at most

Prints "listening" (flushed) once LISTEN is in effect, so that the caller
can schedule the job only then; then the payload of the first notification
on a line of its own and exits 0, or exits 1 after TIMEOUT seconds with
nothing received.  psycopg 3.1 (Debian bookworm) has no timeout for
Connection.notifies(), so the connection polls: a notification is
delivered to the handler whenever the connection reads from the server.
"""
import sys
import time

import psycopg

conninfo, timeout = sys.argv[1], float(sys.argv[2])
received = []

with psycopg.connect(conninfo, autocommit=True) as conn:
    conn.add_notify_handler(lambda n: received.append(n))
    conn.execute("LISTEN apitoken_expiring")
    print("listening", flush=True)
    deadline = time.monotonic() + timeout
    while not received and time.monotonic() < deadline:
        time.sleep(0.5)
        conn.execute("SELECT 1")
    if not received:
        print("no notification within %g s" % timeout, file=sys.stderr)
        sys.exit(1)
    print(received[0].payload, flush=True)
