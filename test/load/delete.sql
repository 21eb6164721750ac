DELETE FROM apitoken.tokens
 WHERE id = (SELECT id FROM apitoken.tokens WHERE name LIKE 'load-%' ORDER BY id LIMIT 1);
