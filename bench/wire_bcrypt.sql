\set i random(1, :nb)
SELECT z.userid FROM bench_tokens b JOIN bcrypt_token z ON z.tokenid = b.i WHERE b.i = :i AND z.hash = crypt(b.zbx, z.hash);
