\set i random(1, :n)
UPDATE zbx_token z SET lastaccess = extract(epoch FROM now())::int FROM bench_tokens b WHERE b.i = :i AND z.token = encode(digest(b.zbx, 'sha512'), 'hex') AND z.status = 0 RETURNING z.userid;
