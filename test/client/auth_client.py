#!/usr/bin/python3
"""auth_client.py: a real application client (psycopg 3) authenticating
"requests" with apitoken.verify() through pgbouncer in transaction pooling
mode, while a mutator regenerates, rotates (regenerates with a grace
period), disables, expires and deletes tokens.

The model.  Every token value has one validity window.  It opens when the
statement that made it (create() or regenerate()) has returned, i.e. after
its commit, and closes when the statement that kills it (regenerate(),
disable(), an UPDATE of expires_at into the past, or DELETE) is sent; the
value is dead for good once that statement has returned (autocommit: the
commit has happened).  The mutator publishes these instants under a lock.

  * false accept:  a request sent after the value's killing change
                   returned, that verify() nevertheless accepted;
  * false refusal: a request sent after the value's window opened and
                   answered before it closed, that verify() refused, or
                   that it accepted as the wrong owner.

Rotation.  A rotate is regenerate(id, grace) with a grace period longer
than the run: the replaced value stays valid, so a rotate does not close
its window; the new value's window opens when the rotate has returned, as
for any regenerate.  The replaced value, now the token's previous value,
dies with the token's next change (a regenerate or rotate replaces it, a
disable, expire or delete ends it), which closes its window as above.
Every request with a previous value sent after its rotate returned and
answered before that next change was sent is judged valid ("judged during
a grace"): the run requires zero refusals among them, and enough of them
(workers pick previous values on purpose).  That the grace itself ends on
time is tested by sql/rotation.sql and the isolation spec
regenerate_grace, not here.

A request overlapping a change may go either way and is not judged.  The
whole run is judged after every thread has finished, from the recorded
instants (time.monotonic(), one clock for every thread).

Every request sends the token as a bind parameter.  psycopg is connected
with prepare_threshold=None: by default psycopg 3 turns a query it has run
five times into a named server-side prepared statement, which lives on one
server connection only; in transaction pooling pgbouncer (1.18, Debian
bookworm) hands each transaction to whichever server connection is free,
so the next execution would land on a backend that has no such statement
("prepared statement ... does not exist").  With None psycopg keeps using
the unnamed statement: Parse, Bind and Execute go out together before one
Sync, inside one transaction, so pgbouncer keeps them on one backend, and
the token is still a bind value, never part of the SQL text.

The run also checks that pooling really happened: at most POOL_SIZE server
backends answered, and the 8 workers' requests were spread over more than
one of them.

Usage: auth_client.py DIRECT_DSN POOLED_DSN SECONDS POOL_SIZE
Exits 0 only if nothing was judged wrong, no thread raised, and enough
requests, changes and judgements happened for the run to mean something.
"""
import random
import sys
import threading
import time
import traceback

import psycopg

direct_dsn, pooled_dsn = sys.argv[1], sys.argv[2]
seconds, pool_size = float(sys.argv[3]), int(sys.argv[4])
WORKERS = 8
SLOTS = 24                     # tokens alive at any time
OWNERS = ("svc_a", "svc_b")    # the roles tokens authenticate as
MAX_REQUESTS = 300000          # bound on the count as well as on time
MUTATOR_PAUSE = 0.01           # seconds between two changes
# minimums for the run to prove anything (a slow CI runner still gets
# an order of magnitude more within 15 s)
MIN_REQUESTS = 2000
MIN_CHANGES = 40
MIN_JUDGED_DEAD = 200
MIN_JUDGED_VALID = 1000
MIN_JUDGED_PREVIOUS = 100
# rotations keep the old value this long: longer than the run
GRACE = f"{int(seconds) * 2 + 60} seconds"

lock = threading.Lock()
values = {}       # value -> Value; published by the mutator under lock
slots = []        # per slot: {"id": token id, "value": current value,
                  #            "prev": previous value (rotated) or None}
stop = threading.Event()
errors = []       # (thread name, traceback) of every exception


class Value:
    __slots__ = ("owner", "born", "dying", "dead", "how", "previous_since")

    def __init__(self, owner, born):
        self.owner = owner   # role name verify() must return
        self.born = born     # its window opened (creating statement returned)
        self.dying = None    # the killing statement was sent
        self.dead = None     # the killing statement returned (committed)
        self.how = None      # regenerate, disable, expire, delete or previous
        self.previous_since = None  # a rotate made it the previous value


def now():
    return time.monotonic()


def guarded(fn):
    """run fn; any exception is recorded and stops the run (and fails it)"""
    def run(*args):
        try:
            fn(*args)
        except BaseException:
            with lock:
                errors.append((threading.current_thread().name, traceback.format_exc()))
            stop.set()
    return run


def create(conn, name, owner):
    tid, tok = conn.execute(
        "SELECT id, token::text FROM apitoken.create(%s, owner => %s::regrole)",
        (name, owner)).fetchone()
    return tid, tok


def setup():
    with psycopg.connect(direct_dsn, autocommit=True) as conn:
        conn.execute("SET ROLE app_admin")
        for i in range(SLOTS):
            owner = OWNERS[i % len(OWNERS)]
            tid, tok = create(conn, f"slot-{i}", owner)
            slots.append({"id": tid, "value": tok, "prev": None})
            values[tok] = Value(owner, now())


@guarded
def worker(out):
    """out: this worker's list of (value, t0, t1, owner or None)"""
    rng = random.Random()
    backends = out.backends
    with psycopg.connect(pooled_dsn, autocommit=True, prepare_threshold=None) as conn:
        n = 0
        while not stop.is_set():
            with lock:
                # mostly a current value, often a previous one (in its
                # grace period), sometimes any value ever issued
                pick = rng.random()
                slot = rng.choice(slots)
                if pick < 0.45 or (pick < 0.7 and slot["prev"] is None):
                    v = slot["value"]
                elif pick < 0.7:
                    v = slot["prev"]
                else:
                    v = rng.choice(out.all_values)
            t0 = now()
            owner, pid = conn.execute(
                "SELECT apitoken.verify(%s)::text, pg_backend_pid()", (v,)).fetchone()
            t1 = now()
            out.append((v, t0, t1, owner))
            backends.add(pid)
            n += 1
            if n % 64 == 0:
                with lock:
                    out.all_values = list(values)
                    if sum(len(r) for r in results) >= MAX_REQUESTS:
                        stop.set()


@guarded
def mutator(counts):
    rng = random.Random()
    with psycopg.connect(direct_dsn, autocommit=True) as conn:
        conn.execute("SET ROLE app_admin")
        n = 0
        while not stop.is_set():
            time.sleep(MUTATOR_PAUSE)
            i = rng.randrange(SLOTS)
            slot = slots[i]          # only this thread writes slots
            old = slot["value"]
            prev = slot["prev"]
            action = rng.choice(("regenerate", "rotate", "disable", "expire", "delete"))
            start = now()
            with lock:
                # any change ends the previous value; all but a rotate the current one
                if prev is not None:
                    values[prev].dying = start
                if action != "rotate":
                    values[old].dying = start
            if action in ("regenerate", "rotate"):
                if action == "rotate":
                    new = conn.execute("SELECT apitoken.regenerate(%s, %s::interval)::text",
                                       (slot["id"], GRACE)).fetchone()[0]
                else:
                    new = conn.execute("SELECT apitoken.regenerate(%s)::text",
                                       (slot["id"],)).fetchone()[0]
                done = now()
                with lock:
                    if prev is not None:
                        values[prev].dead = done
                        values[prev].how = "previous"
                    if action == "rotate":
                        values[old].previous_since = done
                    else:
                        values[old].dead = done
                        values[old].how = action
                    values[new] = Value(values[old].owner, done)
                    slots[i] = {"id": slot["id"], "value": new,
                                "prev": old if action == "rotate" else None}
            else:
                if action == "disable":
                    changed = conn.execute("SELECT apitoken.disable(%s)",
                                           (slot["id"],)).fetchone()[0]
                elif action == "expire":
                    changed = conn.execute(
                        "UPDATE apitoken.tokens SET expires_at = now() WHERE id = %s",
                        (slot["id"],)).rowcount
                else:
                    changed = conn.execute("DELETE FROM apitoken.tokens WHERE id = %s",
                                           (slot["id"],)).rowcount
                done = now()
                if changed != 1:
                    raise AssertionError(f"{action} of token {slot['id']} changed {changed} rows")
                with lock:
                    values[old].dead = done
                    values[old].how = action
                    if prev is not None:
                        values[prev].dead = done
                        values[prev].how = "previous"
                # the slot gets a fresh token
                owner = OWNERS[rng.randrange(len(OWNERS))]
                tid, new = create(conn, f"slot-{i}-{n}", owner)
                born = now()
                with lock:
                    values[new] = Value(owner, born)
                    slots[i] = {"id": tid, "value": new, "prev": None}
            counts[action] += 1
            n += 1


class Results(list):
    pass


results = []


def main():
    setup()
    counts = {"regenerate": 0, "rotate": 0, "disable": 0, "expire": 0, "delete": 0}
    for _ in range(WORKERS):
        r = Results()
        r.backends = set()
        r.all_values = list(values)
        results.append(r)
    threads = [threading.Thread(target=worker, args=(r,), name=f"worker-{k}")
               for k, r in enumerate(results)]
    threads.append(threading.Thread(target=mutator, args=(counts,), name="mutator"))
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()

    requests = accepts = judged_dead = judged_valid = judged_previous = 0
    false_accepts = {"regenerate": 0, "disable": 0, "expire": 0, "delete": 0, "previous": 0}
    false_refusals = wrong_owner = previous_refusals = 0
    for r in results:
        for v, t0, t1, owner in r:
            val = values[v]
            requests += 1
            accepts += owner is not None
            if val.dead is not None and t0 > val.dead:
                judged_dead += 1
                if owner is not None:
                    false_accepts[val.how] += 1
            elif t0 > val.born and (val.dying is None or t1 < val.dying):
                judged_valid += 1
                if owner is None:
                    false_refusals += 1
                elif owner != val.owner:
                    wrong_owner += 1
                # a previous value, after its rotate returned: in its grace
                if val.previous_since is not None and t0 > val.previous_since:
                    judged_previous += 1
                    previous_refusals += owner is None
    backends = set().union(*(r.backends for r in results))
    rotated = sum(1 for r in results if len(r.backends) > 1)

    print(f"requests={requests} accepts={accepts} refusals={requests - accepts} "
          f"judged_after_change={judged_dead} judged_valid={judged_valid} "
          f"judged_during_a_grace={judged_previous}")
    print("changes: " + " ".join(f"{k}={v}" for k, v in counts.items()))
    print(f"false_accepts={sum(false_accepts.values())} "
          f"({' '.join(f'{k}={v}' for k, v in false_accepts.items())}) "
          f"false_refusals={false_refusals} (during a grace: {previous_refusals}) "
          f"wrong_owner={wrong_owner}")
    print(f"server backends seen through pgbouncer={len(backends)} (pool size {pool_size}), "
          f"workers served by more than one backend={rotated}/{WORKERS}")

    problems = []
    for name, tb in errors:
        problems.append(f"{name} raised:\n{tb}")
    if sum(false_accepts.values()):
        problems.append("a killed token value was accepted after its change committed")
    if false_refusals or wrong_owner:
        problems.append("a valid token value was refused or accepted as the wrong owner")
    if requests < MIN_REQUESTS:
        problems.append(f"only {requests} requests ran (need {MIN_REQUESTS})")
    if sum(counts.values()) < MIN_CHANGES or min(counts.values()) == 0:
        problems.append(f"too few changes: {counts} (need {MIN_CHANGES}, each kind at least once)")
    if judged_dead < MIN_JUDGED_DEAD or judged_valid < MIN_JUDGED_VALID:
        problems.append(f"too few judged requests: {judged_dead} after a change, "
                        f"{judged_valid} valid (need {MIN_JUDGED_DEAD} and {MIN_JUDGED_VALID})")
    if judged_previous < MIN_JUDGED_PREVIOUS:
        problems.append(f"too few requests judged during a grace: {judged_previous} "
                        f"(need {MIN_JUDGED_PREVIOUS})")
    if len(backends) > pool_size or rotated == 0:
        problems.append("requests were not pooled in transaction mode as configured")
    for p in problems:
        print("FAIL: " + p)
    print("auth_client: ok" if not problems else "auth_client: FAILED")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
