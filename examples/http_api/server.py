#!/usr/bin/python3
"""examples/http_api/server.py: a small HTTP API whose callers are API tokens.

Standard library HTTP server, psycopg 3 and psycopg_pool (Debian's
python3-psycopg and python3-psycopg-pool), connecting as the gateway role
(examples/http_api/schema.sql), typically through pgbouncer in transaction
pooling mode.  Every request with "Authorization: Bearer <token>" runs one
transaction:

    BEGIN;
    SELECT apitoken.login(<token>, <scope>, <HTTP client's address>);
    <the endpoint's query, as the token's owner, under app.orders' RLS>;
    COMMIT;

login() switches the transaction to the token's owner (as SET LOCAL ROLE
would) and remembers the token until the transaction ends, so the pooled
server connection is back to the gateway for the next transaction, whoever
sends it.  The token only ever travels as a bind parameter: never in SQL
text, never in a log line.

    GET  /orders    the caller's orders, and the id of the token it used
                    (apitoken.current_token()) (scope orders:read)
    POST /orders    {"item": "...", "quantity": n}: a new order of the
                    caller's (scope orders:write)

Answers (JSON): 200/201; 401 with no, a malformed or a refused token
(unknown, disabled, expired, its owner unable to log in); 403 when the token
is valid but lacks the scope or is not allowed from the client's address
(apitoken.check() tells, asked only after a failed login), or its owner is
not one this gateway may switch to.

    python3 server.py --dsn "host=127.0.0.1 port=6432 dbname=shop user=app_gateway" \
        [--listen 127.0.0.1] [--port 8080] [--pool-size 8] [--access-log]
"""

import argparse
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool

# RFC 6750's b64token: a bearer credential is one such word
BEARER = re.compile(r"(?i:Bearer) +([A-Za-z0-9\-._~+/]+=*) *\Z")
MAX_BODY = 64 * 1024


class Refused(Exception):
    """A request answered with an HTTP error, after its transaction ended."""

    def __init__(self, status, body, challenge=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.challenge = challenge


def unauthorized(error="invalid_token"):
    return Refused(401, {"error": error}, 'Bearer error="%s"' % error)


class Handler(BaseHTTPRequestHandler):
    server_version = "apitoken-http-api/1"
    pool = None  # set by main()
    access_log = False

    # -- the endpoints: (scope, function of a cursor and the JSON body) --

    def list_orders(self, cur, body):
        cur.execute("SELECT id, owner::text, item, quantity FROM app.orders ORDER BY id")
        orders = [dict(id=i, owner=o, item=it, quantity=q) for i, o, it, q in cur.fetchall()]
        # the token the caller logged in with: the same id for both values
        # of a token during a rotation's grace period
        cur.execute("SELECT apitoken.current_token()")
        return 200, {"token_id": cur.fetchone()[0], "orders": orders}

    def create_order(self, cur, body):
        if not isinstance(body, dict) or not isinstance(body.get("item"), str) \
                or not isinstance(body.get("quantity", 1), int):
            raise Refused(400, {"error": "expected {\"item\": text, \"quantity\": integer}"})
        cur.execute("INSERT INTO app.orders (item, quantity) VALUES (%s, %s) "
                    "RETURNING id, owner::text, item, quantity",
                    (body["item"], body.get("quantity", 1)))
        i, o, it, q = cur.fetchone()
        return 201, {"order": dict(id=i, owner=o, item=it, quantity=q)}

    ROUTES = {
        ("GET", "/orders"): ("orders:read", list_orders),
        ("POST", "/orders"): ("orders:write", create_order),
    }

    def do_GET(self):
        self.handle_api("GET")

    def do_POST(self):
        self.handle_api("POST")

    # -- one request, one transaction --

    def handle_api(self, method):
        try:
            route = self.ROUTES.get((method, self.path.split("?", 1)[0]))
            if route is None:
                raise Refused(404, {"error": "not found"})
            scope, endpoint = route
            token = self.bearer_token()
            body = self.json_body() if method == "POST" else None
            status, answer = self.run_as_token(token, scope, endpoint, body)
        except Refused as r:
            self.reply(r.status, r.body, r.challenge)
        except Exception as e:  # a bug or a database failure: no details out
            self.log_message("error: %s: %s", type(e).__name__, e)
            self.reply(500, {"error": "internal error"})
        else:
            self.reply(status, answer)

    def bearer_token(self):
        """The Authorization header's bearer token, or 401 at once."""
        header = self.headers.get("Authorization")
        if header is None:
            raise unauthorized("invalid_request")
        m = BEARER.match(header)
        if m is None:
            raise unauthorized("invalid_request")
        return m.group(1)

    def json_body(self):
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = -1
        if not 0 <= n <= MAX_BODY:
            raise Refused(400, {"error": "bad Content-Length"})
        try:
            return json.loads(self.rfile.read(n) or b"null")
        except ValueError:
            raise Refused(400, {"error": "body is not JSON"})

    def run_as_token(self, token, scope, endpoint, body):
        addr = self.client_address[0]
        with self.pool.connection() as conn:
            try:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute("SELECT apitoken.login(%s, %s, %s)::text",
                                (token, scope, addr))
                    return endpoint(self, cur, body)
            except errors.InvalidAuthorizationSpecification:
                # 28000: the transaction is rolled back; ask why, outside it
                why = conn.execute(
                    "SELECT token_id, status FROM apitoken.check(%s, %s, %s)",
                    (token, scope, addr)).fetchone()
            except errors.InsufficientPrivilege as e:
                # 42501: the owner is not a role this gateway may become, or
                # RLS refused the row
                self.log_message("forbidden: %s", e.diag.message_primary)
                raise Refused(403, {"error": "forbidden"})
        token_id, status = why
        self.log_message("refused token %s: %s", token_id, status)
        if status == "scope_denied":
            raise Refused(403, {"error": "insufficient_scope", "scope": scope},
                          'Bearer error="insufficient_scope", scope="%s"' % scope)
        if status == "address_denied":
            raise Refused(403, {"error": "address_denied"})
        raise unauthorized()

    def reply(self, status, body, challenge=None):
        data = json.dumps(body).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if challenge:
            self.send_header("WWW-Authenticate", challenge)
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code="-", size="-"):
        if self.access_log:
            super().log_request(code, size)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dsn", required=True, help="libpq connection string of the gateway role")
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--pool-size", type=int, default=8)
    p.add_argument("--access-log", action="store_true", help="log every request line")
    a = p.parse_args()

    # prepare_threshold=None: no server-side prepared statements, which
    # pgbouncer's transaction pooling (1.18) cannot follow across server
    # connections; bind parameters still go separately from the SQL text
    Handler.pool = ConnectionPool(a.dsn, min_size=1, max_size=a.pool_size, open=False,
                                  kwargs={"autocommit": True, "prepare_threshold": None})
    Handler.pool.open(wait=True, timeout=10)   # fail now if the database is unreachable
    Handler.access_log = a.access_log
    httpd = ThreadingHTTPServer((a.listen, a.port), Handler)
    httpd.daemon_threads = True
    print("listening on http://%s:%d/" % httpd.server_address[:2], flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        Handler.pool.close()


if __name__ == "__main__":
    sys.exit(main())
