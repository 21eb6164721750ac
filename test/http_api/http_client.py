#!/usr/bin/python3
"""http_client.py: judges examples/http_api/server.py through real HTTP
requests (urllib, standard library) while it runs behind pgbouncer in
transaction pooling mode.

1. Refusals, one request each: no Authorization header, another scheme,
   a garbled header, a malformed, an unknown (deleted), a disabled and an
   expired token: 401; a token without the scope, one not allowed from
   127.0.0.1, and one whose owner the gateway may not become: 403; the
   owners' tokens (one of a role whose name needs quoting): 200/201 with
   only the caller's rows.
2. The gateway role itself, directly through pgbouncer: it reads nothing
   in schema app; SET ROLE to an owner without login() sees no row and may
   insert none (the policies want a scope of a logged-in token); login()
   outside a transaction block fails with 25P01; after login() and a SET
   ROLE away, current_token() is NULL and no row is visible.
3. 8 client threads, each HTTP_REQUESTS requests (GET, every 5th a POST),
   alternating alice's and bob's tokens, over 3 pooled server connections.
   Meanwhile one thread checks, in plain transactions through pgbouncer as
   the gateway, that each server connection it lands on is back to
   current_user = app_gateway with current_token() NULL, and a mutator (a
   superuser connection) regenerates one token, rotates another (regenerate
   with a grace period longer than the run), disables a third and deletes a
   fourth, at 2/8, 3/8, 4/8 and 6/8 of the requests.  From the moment the
   rotation returned, the threads send the rotated token's old and new
   values by turns.
   Judged afterwards, from time.monotonic() instants: a GET must list only
   rows the database says are the caller's, and every row of the caller's
   whose POST had been answered before the GET was sent; a request with a
   changed token sent after the change returned must get 401, one answered
   before the change was sent must succeed; in between either, and a
   success is judged like any other.  Every request with the rotated
   token's old value, and with its new value (sent only after the rotation
   returned), must succeed: zero refusals during the grace.  A GET's answer
   names the token it logged in with (current_token()), the one whose value
   was sent.  Zero wrong answers, zero exceptions, and at least one judged
   request after each change, with each of the rotated token's values.
4. The rotated token's old and new values answer with the same token id;
   disabling and enabling it ends the grace: the old value gets 401, the
   new one 200.
5. Afterwards, 3 simultaneous transactions through pgbouncer, one per
   server connection, each back to app_gateway with no token; the
   regenerated token's new value works, the three old values are refused;
   no token value appears in the server's or the cluster's log.

Usage: http_client.py SUPERUSER_DSN GATEWAY_DSN BASE_URL POOL_SIZE REQUESTS \
           SERVER_LOG CLUSTER_LOG
Exits 0 only if every check passed; prints the counts.
"""

import json
import sys
import threading
import time
import urllib.error
import urllib.request

import psycopg
from psycopg import errors

SU_DSN, GW_DSN, BASE, POOL_SIZE, REQUESTS, SERVER_LOG, CLUSTER_LOG = sys.argv[1:8]
POOL_SIZE = int(POOL_SIZE)
REQUESTS = int(REQUESTS)
THREADS = 8
DEADLINE = 60.0          # seconds for the concurrent phase
GRACE = "10 minutes"     # the rotation's grace period: longer than the rest of the run
now = time.monotonic
failures = []
tokens = {}              # name -> (id, value, owner)


def fail(msg):
    failures.append(msg)
    if len(failures) <= 20:
        print("FAIL:", msg, flush=True)


def expect(cond, msg):
    if not cond:
        fail(msg)


def request(method, path, token=None, header=None, body=None):
    """(status, JSON answer); header overrides the Authorization header"""
    h = {}
    if header is not None:
        h["Authorization"] = header
    elif token is not None:
        h["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(BASE + path, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, json.loads(e.read() or b"null")


def create(su, name, owner, **kw):
    cols = ", ".join("%s => %%s" % k for k in kw)
    tid, value = su.execute(
        "SELECT id, token::text FROM apitoken.create(%s, %s::regrole" +
        (", " + cols if cols else "") + ")",
        (name, owner, *kw.values())).fetchone()
    tokens[name] = (tid, value, owner)
    return value


def owners_of(su):
    return dict(su.execute("SELECT id, owner::text FROM app.orders").fetchall())


def setup(su):
    for owner in ("alice", "bob"):
        for i in range(3):
            su.execute("INSERT INTO app.orders (owner, item) VALUES (%s, %s)",
                       (owner, "%s's seed %d" % (owner, i)))
    create(su, "alice", "alice")
    create(su, "bob", "bob")
    create(su, "alice-read", "alice", scopes=["orders:read"])
    create(su, "alice-far", "alice", allowed_from=["10.0.0.0/8"])
    create(su, "alice-near", "alice", allowed_from=["127.0.0.0/8"])
    create(su, "carol", "carol")
    create(su, "dave", '"Dave-Ops"')
    create(su, "bob-disabled", "bob", enabled=False)
    create(su, "bob-expired", "bob")
    su.execute("UPDATE apitoken.tokens SET expires_at = now() - interval '1 second' "
               "WHERE id = %s", (tokens["bob-expired"][0],))
    create(su, "bob-unknown", "bob")
    su.execute("DELETE FROM apitoken.tokens WHERE id = %s", (tokens["bob-unknown"][0],))
    # the mutator's victims
    create(su, "alice-regenerate", "alice")
    create(su, "bob-disable", "bob")
    create(su, "alice-delete", "alice")
    create(su, "bob-rotate", "bob")


def judge_rows(owner, answer, db_owner, label):
    rows = answer.get("orders")
    if not isinstance(rows, list):
        fail("%s: no orders list: %r" % (label, answer))
        return None
    for r in rows:
        if r["owner"] != owner or db_owner.get(r["id"], owner) != owner:
            fail("%s: %s saw order %d of %s" % (label, owner, r["id"],
                                               db_owner.get(r["id"], r["owner"])))
    return {r["id"] for r in rows}


def phase_refusals(su):
    v = {n: t[1] for n, t in tokens.items()}
    cases = [  # label, method, request, status, the answer's "error"
        ("no header", "GET", dict(), 401, "invalid_request"),
        ("Basic scheme", "GET", dict(header="Basic YWxpY2U6eA=="), 401, "invalid_request"),
        ("garbled header", "GET", dict(header="Bearer two words"), 401, "invalid_request"),
        ("empty bearer", "GET", dict(header="Bearer "), 401, "invalid_request"),
        ("malformed token", "GET", dict(token="not-a-token"), 401, "invalid_token"),
        ("unknown token", "GET", dict(token=v["bob-unknown"]), 401, "invalid_token"),
        ("disabled token", "GET", dict(token=v["bob-disabled"]), 401, "invalid_token"),
        ("expired token", "GET", dict(token=v["bob-expired"]), 401, "invalid_token"),
        ("scope refused", "POST", dict(token=v["alice-read"], body={"item": "x"}), 403,
         "insufficient_scope"),
        ("address refused", "GET", dict(token=v["alice-far"]), 403, "address_denied"),
        ("owner not served by the gateway", "GET", dict(token=v["carol"]), 403, "forbidden"),
        ("unknown path", "GET", dict(token=v["alice"]), 404, "not found"),
    ]
    for label, method, kw, want, error in cases:
        path = "/nowhere" if label == "unknown path" else "/orders"
        status, answer = request(method, path, **kw)
        print("  %-32s %s %s -> %d %s" % (label, method, path, status, json.dumps(answer)))
        expect(status == want and answer.get("error") == error,
               "%s: %d %r, expected %d %s" % (label, status, answer, want, error))
    for label, name in (("scope orders:read", "alice-read"), ("allowed address", "alice-near")):
        status, answer = request("GET", "/orders", v[name])
        expect(status == 200, "%s: %d" % (label, status))
        if status == 200:
            judge_rows("alice", answer, owners_of(su), label)
        print("  %-32s GET /orders -> %d, %d orders" % (label, status,
                                                       len(answer.get("orders", []))))
    # an owner whose name needs quoting: regrole output quotes it
    dave = '"Dave-Ops"'
    status, answer = request("POST", "/orders", v["dave"], body={"item": "pen"})
    expect(status == 201 and answer["order"]["owner"] == dave, "Dave-Ops's POST: %d %r" % (status, answer))
    status, answer = request("GET", "/orders", v["dave"])
    expect(status == 200 and len(judge_rows(dave, answer, owners_of(su), "Dave-Ops's GET")) == 1,
           "Dave-Ops's GET: %d %r" % (status, answer))
    print("  %-32s POST, GET /orders -> %d, %d orders" % ("Dave-Ops", status, len(answer.get("orders", []))))
    status, answer = request("POST", "/orders", v["alice"], body={"item": "book", "quantity": 2})
    expect(status == 201 and answer["order"]["owner"] == "alice", "alice's POST: %d %r" % (status, answer))
    new_id = answer.get("order", {}).get("id")
    for owner in ("alice", "bob"):
        status, answer = request("GET", "/orders", v[owner])
        expect(status == 200, "%s's GET: %d" % (owner, status))
        if status == 200:
            ids = judge_rows(owner, answer, owners_of(su), owner + "'s GET")
            expect(len(ids) == (4 if owner == "alice" else 3),
                   "%s's GET: %d orders" % (owner, len(ids)))
            expect((new_id in ids) == (owner == "alice"), "%s's GET and alice's new order" % owner)
        print("  %-32s GET /orders -> %d, %d orders" % (owner, status, len(answer.get("orders", []))))


def sqlstate_of(conn, sql, params=(), block=True):
    """the SQLSTATE sql fails with, in a transaction block or (block=False)
    autocommit, or None"""
    try:
        if block:
            with conn.transaction():
                conn.execute(sql, params)
        else:
            conn.execute(sql, params)
        return None
    except psycopg.Error as e:
        return e.sqlstate


def pooled_state(cur):
    cur.execute("SELECT current_user::text, session_user::text, apitoken.current_token(), "
                "apitoken.current_scopes(), apitoken.has_scope('orders:read'), pg_backend_pid()")
    return cur.fetchone()


def clean(state):
    return state[:5] == ("app_gateway", "app_gateway", None, None, False)


def phase_gateway():
    alice = tokens["alice"][1]
    with psycopg.connect(GW_DSN, autocommit=True, prepare_threshold=None) as gw:
        st = sqlstate_of(gw, "SELECT count(*) FROM app.orders")
        expect(st == "42501", "gateway reading app.orders: %s, expected 42501" % st)
        with gw.transaction(force_rollback=True):
            gw.execute("SET LOCAL ROLE alice")
            n = gw.execute("SELECT count(*) FROM app.orders").fetchone()[0]
            expect(n == 0, "gateway as alice without login(): %d rows" % n)
        st = sqlstate_of(gw, "SET LOCAL ROLE alice; INSERT INTO app.orders (item) VALUES ('x')")
        expect(st == "42501", "gateway inserting as alice without login(): %s, expected 42501" % st)
        st = sqlstate_of(gw, "SELECT apitoken.login(%s)", (alice,), block=False)
        expect(st == "25P01", "login() outside a transaction block: %s, expected 25P01" % st)
        with gw.transaction(force_rollback=True):
            row = gw.execute("SELECT apitoken.login(%s, 'orders:read', '127.0.0.1')::text, "
                             "current_user::text, apitoken.current_token(), "
                             "apitoken.has_scope('orders:write')", (alice,)).fetchone()
            expect(row == ("alice", "alice", tokens["alice"][0], True),
                   "login(alice): %r" % (row,))
            n = gw.execute("SELECT count(*) FROM app.orders").fetchone()[0]
            expect(n == 4, "alice after login(): %d rows" % n)
            gw.execute("SET LOCAL ROLE bob")
            row = gw.execute("SELECT apitoken.current_token(), apitoken.has_scope('orders:read'), "
                             "(SELECT count(*) FROM app.orders)").fetchone()
            expect(row == (None, False, 0), "login(alice) then SET ROLE bob: %r" % (row,))
        with gw.transaction(force_rollback=True):
            row = gw.execute("SELECT apitoken.login(%s, 'orders:read', '127.0.0.1')::text, "
                             "apitoken.current_scopes(), apitoken.has_scope('orders:write')",
                             (tokens["alice-read"][1],)).fetchone()
            expect(row == ("alice", ["orders:read"], False), "login(alice-read): %r" % (row,))
        with gw.cursor() as cur:
            state = pooled_state(cur)
            expect(clean(state), "after the transactions: %r" % (state,))
    print("  gateway alone: reads nothing, SET ROLE without login() sees and inserts nothing, "
          "login() needs a transaction block, SET ROLE away ends the token")


class Mutation:
    def __init__(self, name, action, at):
        self.name, self.action = name, action
        self.at = at                 # after this fraction of the requests
        self.sent = self.returned = None
        self.judged_after = 0


def phase_concurrent(su):
    v = {n: t[1] for n, t in tokens.items()}
    rotation = ["alice", "bob", "alice-regenerate", "bob-disable", "alice-delete", "bob-rotate"]
    owner_of = {n: tokens[n][2] for n in rotation}
    owner_of["bob-rotate:new"] = "bob"       # the rotated token's new value
    mutations = [Mutation("alice-regenerate", "regenerate", 2 / 8),
                 Mutation("bob-rotate", "rotate", 3 / 8),
                 Mutation("bob-disable", "disable", 4 / 8),
                 Mutation("alice-delete", "delete", 6 / 8)]
    by_name = {m.name: m for m in mutations}
    rotate = by_name["bob-rotate"]
    total = THREADS * REQUESTS
    done = [0]
    lock = threading.Lock()
    stop = threading.Event()
    results = [[] for _ in range(THREADS)]   # (name, method, t_send, t_done, status, answer)
    errors_seen = []
    new_value = {}
    checks = {"n": 0, "dirty": 0, "pids": set()}
    start = now()

    def guarded(f):
        def run(*a):
            try:
                f(*a)
            except Exception as e:
                errors_seen.append("%s: %s: %s" % (f.__name__, type(e).__name__, e))
                stop.set()
        return run

    @guarded
    def worker(i):
        out = results[i]
        in_grace = 0
        for j in range(REQUESTS):
            if stop.is_set() or now() - start > DEADLINE:
                break
            name = rotation[(i + j) % len(rotation)]
            if name == rotate.name and rotate.returned is not None:
                # after the rotation returned, every thread alternates the
                # old value (in its grace) and the new one
                in_grace += 1
                if (i + in_grace) % 2:
                    name = "bob-rotate:new"
            post = j % 5 == 4
            t0 = now()
            if post:
                status, answer = request("POST", "/orders", v[name],
                                         body={"item": "w%d-%d" % (i, j)})
            else:
                status, answer = request("GET", "/orders", v[name])
            out.append((name, "POST" if post else "GET", t0, now(), status, answer))
            with lock:
                done[0] += 1

    @guarded
    def checker():
        with psycopg.connect(GW_DSN, autocommit=True, prepare_threshold=None) as gw:
            while not stop.is_set():
                with gw.transaction(), gw.cursor() as cur:
                    state = pooled_state(cur)
                checks["n"] += 1
                checks["pids"].add(state[5])
                if not clean(state):
                    checks["dirty"] += 1
                    fail("pooled connection not back to the gateway: %r" % (state,))
                time.sleep(0.002)

    @guarded
    def mutator():
        with psycopg.connect(SU_DSN, autocommit=True) as conn:
            for m in mutations:
                while not stop.is_set() and done[0] < total * m.at:
                    time.sleep(0.005)
                if stop.is_set():
                    return
                tid = tokens[m.name][0]
                m.sent = now()
                if m.action == "regenerate":
                    new_value[m.name] = conn.execute("SELECT apitoken.regenerate(%s)::text",
                                                     (tid,)).fetchone()[0]
                elif m.action == "rotate":
                    # the new value goes out only once regenerate() returned
                    v[m.name + ":new"] = new_value[m.name] = conn.execute(
                        "SELECT apitoken.regenerate(%s, %s)::text", (tid, GRACE)).fetchone()[0]
                elif m.action == "disable":
                    conn.execute("SELECT apitoken.disable(%s)", (tid,))
                else:
                    conn.execute("DELETE FROM apitoken.tokens WHERE id = %s", (tid,))
                m.returned = now()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    aux = [threading.Thread(target=checker), threading.Thread(target=mutator)]
    for t in threads + aux:
        t.start()
    for t in threads:
        t.join(DEADLINE + 15)
    stop.set()
    for t in aux:
        t.join(15)
    elapsed = now() - start
    for e in errors_seen:
        fail("exception in " + e)
    if any(t.is_alive() for t in threads + aux):
        fail("a thread did not finish")
    if elapsed > DEADLINE:
        fail("the concurrent phase took %.1f s, more than %d s" % (elapsed, DEADLINE))

    # judgement, against the database's own record of who owns which order
    db_owner = owners_of(su)
    posted = {"alice": [], "bob": []}        # (t_done, id)
    for out in results:
        for name, method, t0, t1, status, answer in out:
            if method == "POST" and status == 201:
                posted[owner_of[name]].append((t1, answer["order"]["id"]))
    seeds = {o: {i for i, ow in db_owner.items() if ow == o} - {i for _, i in posted[o]}
             for o in posted}
    counts = {"requests": 0, "ok": 0, "refused": 0, "wrong": 0, "overlapping": 0}
    grace = {"old": [0, 0], "new": [0, 0]}  # value -> [accepted, refused] after the rotation
    for out in results:
        for name, method, t0, t1, status, answer in out:
            counts["requests"] += 1
            owner = owner_of[name]
            token = name.split(":")[0]
            m = by_name.get(token)
            ok = 201 if method == "POST" else 200
            label = "%s %s by %s" % (method, name, owner)
            wrong_before = len(failures)
            if m is rotate:
                # both values work throughout: the old one before and during
                # the grace, the new one from the moment regenerate() returned
                if m.returned is not None and t0 > m.returned:
                    m.judged_after += 1
                    grace["new" if name != token else "old"][status != ok] += 1
                    expect(status == ok, "%s sent after the rotation returned: %d" % (label, status))
                else:
                    expect(status == ok, "%s: %d %r" % (label, status, answer))
            elif m is not None and m.returned is not None and t0 > m.returned:
                m.judged_after += 1
                expect(status == 401, "%s sent after the %s returned: %d" % (label, m.action, status))
            elif m is not None and m.sent is not None and t1 >= m.sent:
                counts["overlapping"] += 1
                expect(status in (ok, 401), "%s overlapping the %s: %d" % (label, m.action, status))
            else:
                expect(status == ok, "%s: %d %r" % (label, status, answer))
            if status == 401:
                counts["refused"] += 1
            elif status == 201:
                counts["ok"] += 1
                expect(answer["order"]["owner"] == owner and
                       db_owner.get(answer["order"]["id"]) == owner, "%s: %r" % (label, answer))
            elif status == 200:
                counts["ok"] += 1
                expect(answer.get("token_id") == tokens[token][0], "%s: token_id %r, expected %d" %
                       (label, answer.get("token_id"), tokens[token][0]))
                ids = judge_rows(owner, answer, db_owner, label)
                if ids is not None:
                    must = seeds[owner] | {i for t, i in posted[owner] if t < t0}
                    missing = must - ids
                    expect(not missing, "%s: %d committed orders of %s missing" %
                           (label, len(missing), owner))
            if len(failures) > wrong_before:
                counts["wrong"] += 1
    for m in mutations:
        expect(m.returned is not None, "the %s of %s never happened" % (m.action, m.name))
        expect(m.judged_after > 0, "no request judged after the %s of %s" % (m.action, m.name))
    for which in grace:
        expect(grace[which][0] > 0, "no request with the %s value accepted after the rotation" % which)
    expect(counts["requests"] == total, "%d requests of %d" % (counts["requests"], total))
    expect(checks["n"] > 0, "the pooled-connection checker never ran")
    print("  %d threads x %d requests in %.1f s (%.0f/s): %d answered, %d refused after a change, "
          "%d overlapping a change, %d wrong" % (
              THREADS, REQUESTS, elapsed, counts["requests"] / elapsed, counts["ok"],
              counts["refused"], counts["overlapping"], counts["wrong"]))
    print("  judged after each change: " + ", ".join(
        "%s %s: %d" % (m.action, m.name, m.judged_after) for m in mutations))
    print("  rotation with a %s grace: old value during the grace: %d accepted / %d refused; "
          "new value: %d accepted / %d refused" % (GRACE, *grace["old"], *grace["new"]))
    print("  pooled-connection checks meanwhile: %d, on %d server connections, %d not clean" % (
        checks["n"], len(checks["pids"]), checks["dirty"]))
    return new_value


def phase_grace_end(su, new_value):
    """both values of the rotated token are the same token until the grace
    is ended (disable and enable), then only the new one works"""
    tid, old = tokens["bob-rotate"][:2]
    new = new_value.get("bob-rotate")
    if new is None:
        return                  # the rotation never happened: already a failure
    until = "SELECT previous_valid_until IS NOT NULL FROM apitoken.tokens WHERE id = %s"
    expect(su.execute(until, (tid,)).fetchone()[0], "bob-rotate has no previous value in its grace")
    answers = {}
    for which, value in (("old", old), ("new", new)):
        status, answer = request("GET", "/orders", value)
        answers[which] = answer
        expect(status == 200 and answer.get("token_id") == tid,
               "the %s value of bob-rotate in its grace: %d token_id %r, expected 200 %d" %
               (which, status, answer.get("token_id"), tid))
    expect(answers["old"].get("orders") == answers["new"].get("orders"),
           "the old and the new value of bob-rotate see different orders")
    print("  rotated token in its grace: old and new value 200, token_id %s and %s (current_token())"
          % (answers["old"].get("token_id"), answers["new"].get("token_id")))
    # disabling ends the grace; enabling again does not bring the old value back
    su.execute("SELECT apitoken.disable(%s)", (tid,))
    su.execute("SELECT apitoken.enable(%s)", (tid,))
    expect(not su.execute(until, (tid,)).fetchone()[0], "bob-rotate's grace did not end")
    status, answer = request("GET", "/orders", old)
    expect(status == 401, "the old value of bob-rotate after its grace ended: %d" % status)
    print("  grace ended (disable, enable): old value -> %d %s" % (status, json.dumps(answer)))
    status, answer = request("GET", "/orders", new)
    expect(status == 200 and answer.get("token_id") == tid,
           "the new value of bob-rotate after its grace ended: %d token_id %r" %
           (status, answer.get("token_id")))
    print("  grace ended: new value -> %d, token_id %s" % (status, answer.get("token_id")))


def phase_after(new_value):
    conns = [psycopg.connect(GW_DSN, autocommit=True, prepare_threshold=None)
             for _ in range(POOL_SIZE)]
    try:
        states = []
        for c in conns:
            c.execute("BEGIN")
            states.append(pooled_state(c.cursor()))
        for c in conns:
            c.execute("COMMIT")
    finally:
        for c in conns:
            c.close()
    pids = {s[5] for s in states}
    expect(len(pids) == POOL_SIZE, "%d simultaneous transactions on %d server connections" %
           (POOL_SIZE, len(pids)))
    for s in states:
        expect(clean(s), "server connection %d after the run: %r" % (s[5], s[:5]))
    print("  %d simultaneous transactions on %d server connections: %d back to app_gateway, "
          "no token" % (POOL_SIZE, len(pids), sum(clean(s) for s in states)))
    if "alice-regenerate" in new_value:
        status, answer = request("GET", "/orders", new_value["alice-regenerate"])
        expect(status == 200, "the regenerated value: %d" % status)
    for name in ("alice-regenerate", "bob-disable", "alice-delete"):
        status, answer = request("GET", "/orders", tokens[name][1])
        expect(status == 401, "the old value of %s: %d" % (name, status))
    print("  regenerated value accepted, the three changed values refused")
    values = [t[1] for t in tokens.values()] + list(new_value.values())
    for path in (SERVER_LOG, CLUSTER_LOG):
        with open(path, errors="replace") as f:
            text = f.read()
        leaked = sum(v in text for v in values)
        expect(leaked == 0, "%d token values appear in %s" % (leaked, path))
    print("  no token value in the server's log nor the cluster's")


def main():
    with psycopg.connect(SU_DSN, autocommit=True) as su:
        setup(su)
        print("refusals and answers, one request each:")
        phase_refusals(su)
        print("the gateway role through pgbouncer:")
        phase_gateway()
        print("concurrent phase:")
        new_value = phase_concurrent(su)
        print("the rotation's grace:")
        phase_grace_end(su, new_value)
    print("after the run:")
    phase_after(new_value)
    print("%d checks failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
