#!/usr/bin/python3
"""Client for 004_no_secrets_in_logs.pl: drives apitoken the way the README
tells applications to, with every token value sent as a bind parameter
(psycopg 3 binds server-side: extended protocol, values never in the SQL
text), through every success and error path.

Usage: bind_client.py CONNINFO SUFFIX
  CONNINFO  libpq connection string for role alice (an apitoken_user member)
  SUFFIX    appended to token names so that the script can run twice

Prints one JSON object on stdout: "tokens" (every value issued, including
ones whose transaction rolled back and altered ones) and "results" (what
each step returned, or the SQLSTATE it raised).  It prints no token value
anywhere else; the calling test keeps stdout out of its log.
"""
import json
import sys

import psycopg

conninfo, suffix = sys.argv[1], sys.argv[2]
tokens = []
results = {}


def issue(value):
    tokens.append(value)
    return value


def step(name, conn, sql, params=(), secret=False):
    """Run one statement in its own transaction; record its rows (just "ok"
    if they hold a token value) or the SQLSTATE it raised."""
    try:
        with conn.transaction():
            rows = conn.execute(sql, params).fetchall()
        results[name] = "ok" if secret else [list(r) for r in rows]
        return rows
    except psycopg.Error as e:
        results[name] = "error " + (e.sqlstate or "?")
        return None


def alter_checksum(tok):
    """Same prefix and secret body, different last (checksum) character."""
    last = "A" if tok[-1] != "A" else "B"
    return tok[:-1] + last


with psycopg.connect(conninfo, autocommit=True) as conn:
    # every parameter goes through the extended protocol as a bind value
    def create(label, name):
        rows = step(label, conn, "SELECT id, token::text FROM apitoken.create(%s)",
                    (name + suffix,), secret=True)
        if rows is None:
            return None, None
        return rows[0][0], issue(rows[0][1])

    id1, t1 = create("create 1", "primary")
    id2, t2 = create("create 2", "to-expire")
    id3, t3 = create("create 3", "to-disable")
    id4, t4 = create("create 4", "to-delete")

    # regenerate: the old value stays in the list of values to look for
    rows = step("regenerate", conn, "SELECT apitoken.regenerate(%s)::text", (id1,),
                secret=True)
    t1_old, t1 = t1, issue(rows[0][0])

    step("verify valid", conn, "SELECT apitoken.verify(%s)::text", (t1,))
    step("verify typed", conn, "SELECT apitoken.verify(%s::apitoken.token)::text", (t1,))
    step("check valid", conn, "SELECT status FROM apitoken.check(%s)", (t1,))
    # (the test sets apitoken.last_access_interval = 0: this one writes)
    step("verify records", conn, "SELECT apitoken.verify(%s)::text", (t1,))
    step("verify old", conn, "SELECT apitoken.verify(%s)::text", (t1_old,))
    step("check old", conn, "SELECT status FROM apitoken.check(%s)", (t1_old,))

    step("disable", conn, "SELECT apitoken.disable(%s)", (id3,))
    step("verify disabled", conn, "SELECT apitoken.verify(%s)::text", (t3,))
    step("check disabled", conn, "SELECT status FROM apitoken.check(%s)", (t3,))

    step("expire", conn,
         "UPDATE apitoken.tokens SET expires_at = now() - interval '1 second'"
         " WHERE id = %s RETURNING true", (id2,))
    step("verify expired", conn, "SELECT apitoken.verify(%s)::text", (t2,))
    step("check expired", conn, "SELECT status FROM apitoken.check(%s)", (t2,))

    step("delete", conn, "DELETE FROM apitoken.tokens WHERE id = %s RETURNING true", (id4,))
    step("verify deleted", conn, "SELECT apitoken.verify(%s)::text", (t4,))
    step("check deleted", conn, "SELECT status FROM apitoken.check(%s)", (t4,))

    # malformed input: verify(text) and check() answer, the type refuses
    bad_sum = issue(alter_checksum(t1))
    truncated = issue(t1[:-3])
    step("verify bad checksum", conn, "SELECT apitoken.verify(%s)::text", (bad_sum,))
    step("check bad checksum", conn, "SELECT status FROM apitoken.check(%s)", (bad_sum,))
    step("verify truncated", conn, "SELECT apitoken.verify(%s)::text", (truncated,))
    step("typed bad checksum", conn, "SELECT apitoken.verify(%s::apitoken.token)::text", (bad_sum,))
    step("typed truncated", conn, "SELECT %s::apitoken.token::text", (truncated,))
    step("typed old", conn, "SELECT apitoken.verify(%s::apitoken.token)::text", (t1_old,))

    # the require_token() trigger
    step("insert valid", conn,
         "INSERT INTO orders (item, api_token) VALUES (%s, %s) RETURNING placed_by::text",
         ("apple" + suffix, t1))
    for label, value in (("disabled", t3), ("expired", t2), ("deleted", t4),
                         ("old", t1_old), ("bad checksum", bad_sum),
                         ("truncated", truncated)):
        step("insert " + label, conn,
             "INSERT INTO orders (item, api_token) VALUES (%s, %s) RETURNING id",
             ("plum" + suffix, value))
    step("update disabled", conn,
         "UPDATE orders SET api_token = %s WHERE item = %s RETURNING id",
         (t3, "apple" + suffix))

    # create() errors
    create("create duplicate", "primary")
    create("create too long", "n" * 70)
    step("create blank", conn,
         "SELECT id FROM apitoken.create(%s)", ("   ",))
    step("create past expiry", conn,
         "SELECT id FROM apitoken.create(%s, expires_at => now() - interval '1 day')",
         ("past" + suffix,))
    step("regenerate missing", conn, "SELECT apitoken.regenerate(%s)::text", (999999999,))

    # a value issued in a transaction that then fails: it was shown to the
    # client but must appear nowhere in the log either
    try:
        with conn.transaction():
            rows = conn.execute("SELECT id, token::text FROM apitoken.create(%s)",
                                ("rolled-back" + suffix,)).fetchall()
            issue(rows[0][1])
            rows = conn.execute("SELECT apitoken.regenerate(%s)::text", (rows[0][0],)).fetchall()
            issue(rows[0][0])
            conn.execute("SELECT apitoken.verify(%s::apitoken.token)", (bad_sum,))
        results["rolled back"] = "committed"
    except psycopg.Error as e:
        results["rolled back"] = "error " + (e.sqlstate or "?")

print(json.dumps({"tokens": tokens, "results": results}))
