-- bench/orders.sql: an application's own table for the login scenarios,
-- one row per token, protected by row-level security on current_user as
-- README "Tokens as database identities" shows.  txn_verify reads its row
-- as the connection's role, filtering on the owner verify() returned;
-- txn_login reads it as the owner login() switched to, through the policy.
CREATE TABLE bench_orders (id int PRIMARY KEY, owner regrole NOT NULL, item text NOT NULL);
INSERT INTO bench_orders SELECT i, 'bench_owner', 'item ' || i FROM bench_tokens;
ALTER TABLE bench_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON bench_orders USING (owner = current_user::regrole);
GRANT SELECT ON bench_orders TO bench_owner;
