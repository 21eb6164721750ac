-- test/load/verify.sql: verify a random live token (its value may be
-- changing concurrently: the answer is not judged here, see run.sh)
\set r random(0, 999999)
SELECT apitoken.verify(token) FROM load_tok WHERE id = load_pick(:r);
