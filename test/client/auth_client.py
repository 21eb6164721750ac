#!/usr/bin/python3
"""auth_client.py: a real application client authenticating requests with
apitoken.verify() through pgbouncer in transaction pooling mode, while
another worker regenerates, disables and deletes tokens.

Every value has one validity window: from the moment the statement that
made it returned (creation before the run, or a regenerate) until the
moment the statement that killed it (regenerate, disable or delete)
started; it is dead for good from when that statement returned.  A request
that started after a value died must be refused (else: false accept); a
request that ran entirely inside a value's window must be accepted (else:
false refusal).  Requests that overlap a change may go either way and are
not judged.

Usage: auth_client.py DIRECT_DSN POOLED_DSN SECONDS
"""
import random
import sys
import threading
import time

import psycopg

direct_dsn, pooled_dsn, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
WORKERS = 8
SLOTS = 20
MAX_REQUESTS = 200000

lock = threading.Lock()
values = {}       # value -> [born, dying_from, dead_after]; None = not yet
slots = []        # per slot: current value and token id
results = []      # (value, t0, t1, accepted)
stop = threading.Event()


def now():
    return time.monotonic()


def setup():
    with psycopg.connect(direct_dsn, autocommit=True) as conn:
        for i in range(SLOTS):
            tid, tok = conn.execute(
                "SELECT id, token::text FROM apitoken.create(%s, owner => 'svc')",
                (f"slot-{i}",)).fetchone()
            slots.append({"id": tid, "value": tok})
            values[tok] = [0.0, None, None]


def pick_value():
    """mostly a current value, sometimes any value ever issued"""
    with lock:
        if random.random() < 0.7:
            return random.choice(slots)["value"]
        return random.choice(list(values))


def worker():
    # prepare_threshold=None: psycopg never prepares server-side statements,
    # which would not survive pgbouncer handing the next transaction to
    # another server connection
    with psycopg.connect(pooled_dsn, autocommit=True, prepare_threshold=None) as conn:
        while not stop.is_set():
            v = pick_value()
            t0 = now()
            owner = conn.execute("SELECT apitoken.verify(%s)::text", (v,)).fetchone()[0]
            t1 = now()
            with lock:
                results.append((v, t0, t1, owner is not None))
                if len(results) >= MAX_REQUESTS:
                    stop.set()


def mutator(counts):
    with psycopg.connect(direct_dsn, autocommit=True) as conn:
        conn.execute("SET ROLE app_admin")
        n = 0
        while not stop.is_set():
            time.sleep(0.02)
            i = random.randrange(SLOTS)
            with lock:
                slot = dict(slots[i])
            old = slot["value"]
            action = random.choice(["regenerate", "disable", "delete"])
            start = now()
            with lock:
                values[old][1] = start
            if action == "regenerate":
                new = conn.execute("SELECT apitoken.regenerate(%s)::text", (slot["id"],)).fetchone()[0]
                done = now()
                with lock:
                    values[old][2] = done
                    values[new] = [done, None, None]
                    slots[i] = {"id": slot["id"], "value": new}
            else:
                if action == "disable":
                    conn.execute("SELECT apitoken.disable(%s)", (slot["id"],))
                else:
                    conn.execute("DELETE FROM apitoken.tokens WHERE id = %s", (slot["id"],))
                done = now()
                # replace the slot with a fresh token
                tid, new = conn.execute(
                    "SELECT id, token::text FROM apitoken.create(%s, owner => 'svc')",
                    (f"slot-{i}-{n}",)).fetchone()
                born = now()
                with lock:
                    values[old][2] = done
                    values[new] = [born, None, None]
                    slots[i] = {"id": tid, "value": new}
            counts[action] += 1
            n += 1


def main():
    setup()
    counts = {"regenerate": 0, "disable": 0, "delete": 0}
    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    threads.append(threading.Thread(target=mutator, args=(counts,)))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()

    false_accepts = false_refusals = judged = accepts = 0
    for v, t0, t1, accepted in results:
        born, dying, dead = values[v]
        accepts += accepted
        if dead is not None and t0 > dead:
            judged += 1
            false_accepts += accepted
        elif t0 > born and (dying is None or t1 < dying):
            judged += 1
            false_refusals += not accepted
    print(f"requests={len(results)} accepted={accepts} refused={len(results) - accepts} "
          f"judged={judged} changes={counts} "
          f"false_accepts={false_accepts} false_refusals={false_refusals}")
    ok = (false_accepts == 0 and false_refusals == 0 and len(results) >= 1000
          and sum(counts.values()) >= 20 and judged >= len(results) // 2)
    print("client: ok" if ok else "client: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
