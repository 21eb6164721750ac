SELECT apitoken.verify(:tok);
