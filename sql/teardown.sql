--
-- teardown: drop what setup made, so a later run starts clean.
--
DROP EXTENSION apitoken;
DROP EXTENSION pgcrypto;
DROP ROLE regress_alice, regress_bob, regress_admin, regress_eve;
