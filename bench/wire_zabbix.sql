\set i random(1, :n)
SELECT z.userid FROM bench_tokens b JOIN zbx_token z ON z.token = encode(digest(b.zbx, 'sha512'), 'hex') WHERE b.i = :i AND z.status = 0;
