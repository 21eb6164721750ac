-- examples/http_api/schema.sql: the example HTTP API's own schema.
--
-- One table, app.orders, whose rows belong to roles that API tokens are
-- issued to.  The application connects as app_gateway only; each request's
-- transaction starts with apitoken.login(token, scope, client address),
-- which switches it to the token's owner, and the table's RLS policies
-- admit the owner's own rows, and only while the transaction holds a token
-- carrying the scope.  Run as a superuser, after CREATE EXTENSION apitoken.
--
-- A token owner is added with:
--   CREATE ROLE alice LOGIN IN ROLE app_users;  -- tokens need an owner that may log in
--   GRANT alice TO app_gateway;                 -- login() may switch the gateway to alice

CREATE SCHEMA app;

CREATE TABLE app.orders (
	id bigserial PRIMARY KEY,
	owner regrole NOT NULL DEFAULT apitoken.caller(),
	item text NOT NULL CHECK (item <> ''),
	quantity integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
	created_at timestamptz NOT NULL DEFAULT now()
);

-- the token owners' group: it holds the table privileges, its members
-- (the owners) inherit them
CREATE ROLE app_users NOLOGIN;
GRANT USAGE ON SCHEMA app TO app_users;
GRANT SELECT, INSERT ON app.orders TO app_users;
GRANT USAGE ON SEQUENCE app.orders_id_seq TO app_users;

-- the role the application (and pgbouncer) connects as: NOINHERIT, so it
-- holds no privilege of the owners it is granted; by itself it can run
-- apitoken.login() and nothing in schema app
CREATE ROLE app_gateway LOGIN NOINHERIT;

-- protect the table with RLS on token identities
ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_read ON app.orders FOR SELECT
	USING (owner = apitoken.caller() AND (SELECT apitoken.has_scope('orders:read')));
CREATE POLICY orders_write ON app.orders FOR INSERT
	WITH CHECK (owner = apitoken.caller() AND (SELECT apitoken.has_scope('orders:write')));
