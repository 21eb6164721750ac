/*
 * scan_unit.c
 *	  Unit tests of the token scanner (src/token_scan.c), with no
 *	  PostgreSQL.  Output is TAP; the exit status is non-zero on any
 *	  failure.
 *
 *	  scan_unit --emit    instead prints, for test/fuzz/scanner_rule.py,
 *	                      tokens made by the C encoder (one per line,
 *	                      "token <value>"), words of a token's shape and
 *	                      with a matching CRC that are not tokens ("reject
 *	                      <word>"), and log-like lines with what the
 *	                      C scanner finds in them ("text <line>", then
 *	                      "found <value>" for each match, then "end").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_scan.h"
#include "token_codec.h"
#include "token_scan.h"
#include "unit_tap.h"

#define MAX_FOUND 1024

/* the base62 digits, then '_': every byte a prefix may hold */
static const char prefix_chars[] =
"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";

/* a token of the given prefix with a random secret into out; its length */
static size_t
make_token(const char *prefix, char *out)
{
	uint8_t		secret[APITOKEN_SECRET_BYTES];
	int			i;

	for (i = 0; i < APITOKEN_SECRET_BYTES; i++)
		secret[i] = (uint8_t) rnd();
	return apitoken_encode(prefix, strlen(prefix), secret, out);
}

/* plen random prefix characters into out, NUL-terminated */
static void
random_prefix(char *out, int plen)
{
	int			k;

	for (k = 0; k < plen; k++)
		out[k] = prefix_chars[rnd() % (sizeof(prefix_chars) - 1)];
	out[plen] = '\0';
}

/* write the 6 check digits of word[0..len) for the bytes before them */
static void
set_check(char *word, size_t len)
{
	uint32_t	crc = apitoken_crc32((const uint8_t *) word, len - APITOKEN_CHECK_CHARS);
	int			k;

	for (k = 1; k <= APITOKEN_CHECK_CHARS; k++)
	{
		word[len - k] = prefix_chars[crc % 62];
		crc /= 62;
	}
}

/*
 * a word of 82 characters, a 33-character prefix, body and a check over
 * all of it, into out (room for 83): too long to be a token; its length
 */
static size_t
long_prefix_word(char *out)
{
	out[0] = 'q';
	make_token("abcdefghijklmnopqrstuvwxyz_01234", out + 1);
	set_check(out, APITOKEN_TEXT_MAX + 1);
	return APITOKEN_TEXT_MAX + 1;
}


/* what the callback saw */
typedef struct Found
{
	size_t		n;
	size_t		stop_after;		/* return false after this many; 0: never */
	int			bad;			/* a prefix length that is not the run's */
	RefMatch	m[MAX_FOUND];
} Found;

/* scan callback: record the match */
static bool
collect(const char *text, size_t offset, size_t len, size_t prefix_len, void *arg)
{
	Found	   *f = (Found *) arg;

	(void) text;
	if (prefix_len + APITOKEN_SUFFIX_CHARS != len)
		f->bad = 1;
	if (f->n < MAX_FOUND)
	{
		f->m[f->n].off = offset;
		f->m[f->n].len = len;
	}
	f->n++;
	return f->stop_after == 0 || f->n < f->stop_after;
}

/* scan text (len bytes) and return the number of matches, into *f */
static size_t
scan(const char *text, size_t len, const char *prefix, Found *f)
{
	size_t		r;

	memset(f, 0, sizeof(*f));
	r = apitoken_scan(text, len, prefix, prefix ? strlen(prefix) : 0, collect, f);
	if (r != f->n || f->bad)
		return (size_t) -1;
	return r;
}

/* true if scanning text finds exactly the token at off (len tlen) */
static int
finds_one_at(const char *text, size_t len, size_t off, size_t tlen)
{
	Found		f;

	return scan(text, len, NULL, &f) == 1 && f.m[0].off == off && f.m[0].len == tlen;
}

/* true if scanning text finds nothing */
static int
finds_none(const char *text, size_t len, const char *prefix)
{
	Found		f;

	return scan(text, len, prefix, &f) == 0;
}

/* the output for scanner_rule.py */
static int
emit(void)
{
	static const char *const words[] = {
		"GET", "POST", "/api/v1/orders", "200", "401", "user=alice", "token=", "Bearer",
		"took", "12ms", "from", "10.0.0.7", "ERROR:", "invalid", "key", "x_request_id=ab12",
		"\"authorization\":", "'", ";", ",", "(", ")", "=", "-", "__init__", "é", "pgat_",
	};
	char		tok[APITOKEN_TEXT_MAX + 2],
				prefix[APITOKEN_PREFIX_MAX + 1],
				line[4096];
	int			i,
				k,
				w;

	for (i = 0; i < 200; i++)
	{
		random_prefix(prefix, i < 100 ? 1 + i % APITOKEN_PREFIX_MAX : 1 + (int) (rnd() % APITOKEN_PREFIX_MAX));
		if (i == 0)
			strcpy(prefix, "pgat_");
		make_token(prefix, tok);
		printf("token %s\n", tok);
	}
	/* words of a token's shape, with a matching CRC, that are not tokens */
	for (i = 0; i < 100; i++)
	{
		int			plen = 1 + i % (APITOKEN_PREFIX_MAX + 1);	/* up to 33 */
		size_t		len;

		random_prefix(line, plen);
		for (k = 0; k < APITOKEN_BODY_CHARS; k++)
			line[plen + k] = prefix_chars[rnd() % 62];
		if (plen <= APITOKEN_PREFIX_MAX)
		{
			/* a body above 2^256 - 1, or with an underscore */
			if (i % 2 == 0)
				memset(line + plen, 'z', 1 + rnd() % APITOKEN_BODY_CHARS);
			else
				line[plen + rnd() % APITOKEN_BODY_CHARS] = '_';
		}
		len = (size_t) plen + APITOKEN_SUFFIX_CHARS;
		set_check(line, len);
		{
			size_t		plen_out;

			if (apitoken_decode(line, len, &plen_out) == APITOKEN_OK)
				return 1;		/* not what this was meant to make */
		}
		printf("reject %.*s\n", (int) len, line);
	}
	for (i = 0; i < 500; i++)
	{
		size_t		len = 0;
		Found		f;
		size_t		n;

		for (w = 0; w < 12; w++)
		{
			const char *piece;
			int			r = (int) (rnd() % 12);

			if (r == 0 || r == 1)
			{
				random_prefix(prefix, 1 + (int) (rnd() % APITOKEN_PREFIX_MAX));
				if (r == 0)
					strcpy(prefix, "pgat_");
				make_token(prefix, tok);
				if (rnd() % 4 == 0)
					tok[strlen(tok) - 1 - rnd() % 6] ^= 1;	/* a broken check */
				piece = tok;
			}
			else if (r == 2)
			{
				tok[long_prefix_word(tok)] = '\0';
				piece = tok;
			}
			else
				piece = words[rnd() % (sizeof(words) / sizeof(words[0]))];
			memcpy(line + len, piece, strlen(piece));
			len += strlen(piece);
			if (rnd() % 3 != 0)
				line[len++] = ' ';
		}
		line[len] = '\0';
		n = scan(line, len, NULL, &f);
		printf("text %s\n", line);
		for (k = 0; k < (int) n && k < MAX_FOUND; k++)
			printf("found %.*s\n", (int) f.m[k].len, line + f.m[k].off);
		printf("end\n");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char		tok[APITOKEN_TEXT_MAX + 1],
				tok2[APITOKEN_TEXT_MAX + 1],
				buf[1024];
	size_t		len,
				len2,
				n;
	Found		f;
	int			i,
				bad;

	if (argc > 1 && strcmp(argv[1], "--emit") == 0)
		return emit();

	len = make_token("pgat_", tok);

	/* where a token stands */
	ok(finds_one_at(tok, len, 0, len), "a text that is a token");
	snprintf(buf, sizeof(buf), "%s is at the start", tok);
	ok(finds_one_at(buf, strlen(buf), 0, len), "token at the start");
	snprintf(buf, sizeof(buf), "at the end: %s", tok);
	ok(finds_one_at(buf, strlen(buf), 12, len), "token at the end");
	snprintf(buf, sizeof(buf), "GET /x?a=1 in the middle %s of a line", tok);
	ok(finds_one_at(buf, strlen(buf), 25, len), "token in the middle");

	bad = 0;
	{
		static const char *const around[][2] = {
			{"token=", ";"}, {"(", ")"}, {"'", "'"}, {"\"", "\""}, {"Bearer ", "."},
			{"<", ">"}, {"-", "-"}, {"/", "/"}, {"\t", "\n"}, {"\xc3\xa9", "\xc3\xa9"},
			{"\xff", "\x80"}, {":", ","}, {"[", "]"}, {"%", "&"}, {"@", "#"},
		};

		for (i = 0; i < (int) (sizeof(around) / sizeof(around[0])); i++)
		{
			snprintf(buf, sizeof(buf), "%s%s%s", around[i][0], tok, around[i][1]);
			if (!finds_one_at(buf, strlen(buf), strlen(around[i][0]), len))
				bad++;
		}
	}
	ok(bad == 0, "token next to punctuation, white space and non-ASCII bytes");

	/* inside a longer word: never */
	bad = 0;
	{
		static const char *const glue[][2] = {
			{"a", ""}, {"", "a"}, {"_", ""}, {"", "_"}, {"0", ""}, {"", "0"}, {"x_", "_y"},
			{"pgat_", ""}, {"Z", "Z"},
		};

		for (i = 0; i < (int) (sizeof(glue) / sizeof(glue[0])); i++)
		{
			snprintf(buf, sizeof(buf), "see %s%s%s here", glue[i][0], tok, glue[i][1]);
			if (!finds_none(buf, strlen(buf), NULL))
				bad++;
		}
	}
	ok(bad == 0, "no match inside a longer word (letters, digits, underscores on either side)");

	/* two tokens */
	len2 = make_token("ci_", tok2);
	snprintf(buf, sizeof(buf), "%s %s", tok, tok2);
	n = scan(buf, strlen(buf), NULL, &f);
	ok(n == 2 && f.m[0].off == 0 && f.m[0].len == len && f.m[1].off == len + 1 && f.m[1].len == len2,
	   "two tokens separated by one space, in text order");
	snprintf(buf, sizeof(buf), "%s%s", tok, tok2);
	ok(finds_none(buf, strlen(buf), NULL), "two tokens with nothing between them are one long word");
	snprintf(buf, sizeof(buf), "%s,%s,%s", tok, tok, tok);
	n = scan(buf, strlen(buf), NULL, &f);
	ok(n == 3 && f.m[2].off == 2 * (len + 1), "every occurrence of a repeated token");
	f.stop_after = 0;
	memset(&f, 0, sizeof(f));
	f.stop_after = 2;
	n = apitoken_scan(buf, strlen(buf), NULL, 0, collect, &f);
	ok(n == 2 && f.n == 2, "the callback can stop the scan");

	/* prefix lengths */
	len2 = make_token("a", tok2);
	snprintf(buf, sizeof(buf), "k=%s", tok2);
	ok(len2 == 50 && finds_one_at(buf, strlen(buf), 2, 50), "one-character prefix");
	len2 = make_token("abcdefghijklmnopqrstuvwxyz_01234", tok2);
	snprintf(buf, sizeof(buf), "k=%s!", tok2);
	ok(len2 == 81 && finds_one_at(buf, strlen(buf), 2, 81), "32-character prefix");
	len2 = long_prefix_word(buf);
	ok(finds_none(buf, len2, NULL), "33-character prefix, checksum over all of it: no match");

	/* malformed */
	memcpy(buf, tok, len);
	buf[len - 1] = buf[len - 1] == '0' ? '1' : '0';
	ok(finds_none(buf, len, NULL), "wrong checksum");
	memcpy(buf, tok, len);
	buf[10] = '_';
	ok(finds_none(buf, len, NULL), "underscore in the body");
	ok(finds_none(tok, len - 1, NULL) && finds_none(tok + 1, len - 1, NULL), "truncated token");
	memset(buf, 'z', 54);
	memcpy(buf, "pgat_", 5);
	ok(finds_none(buf, 54, NULL), "body out of range");

	/* embedded NUL bytes are boundaries; the length, not a NUL, ends the text */
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 1, tok, len);
	memcpy(buf + len + 2, tok, len);
	n = scan(buf, 2 * len + 3, NULL, &f);
	ok(n == 2 && f.m[0].off == 1 && f.m[1].off == len + 2, "tokens between NUL bytes");
	memcpy(buf, tok, len);
	buf[20] = '\0';
	ok(finds_none(buf, len, NULL), "a NUL inside a token splits it");
	ok(finds_none(tok, len - 1, NULL), "the text ends where its length says");

	/* empty and short texts */
	ok(finds_none("", 0, NULL) && finds_none(NULL, 0, NULL) && finds_none("pgat_", 5, NULL),
	   "empty text and texts shorter than a token");

	/* the prefix filter */
	len2 = make_token("ci_", tok2);
	snprintf(buf, sizeof(buf), "%s %s", tok, tok2);
	n = scan(buf, strlen(buf), "ci_", &f);
	ok(n == 1 && f.m[0].off == len + 1 && f.m[0].len == len2, "prefix filter: only that prefix");
	ok(scan(buf, strlen(buf), "pgat_", &f) == 1 && f.m[0].off == 0, "prefix filter: the other one");
	ok(finds_none(buf, strlen(buf), "pgat") && finds_none(buf, strlen(buf), "gat_") &&
	   finds_none(buf, strlen(buf), "i_"), "prefix filter: a part of the prefix matches nothing");
	ok(finds_none(buf, strlen(buf), "") && finds_none(buf, strlen(buf), "pg-at") &&
	   finds_none(buf, strlen(buf), "abcdefghijklmnopqrstuvwxyz_012345"),
	   "prefix filter: an invalid prefix matches nothing");

	/* word class */
	bad = 0;
	for (i = 0; i < 256; i++)
		if (apitoken_scan_word_char((unsigned char) i) != (ref_word((unsigned char) i) != 0))
			bad++;
	ok(bad == 0, "word bytes are exactly [A-Za-z0-9_]");

	/* random texts full of near-tokens agree with the reference */
	bad = 0;
	len2 = 0;
	for (i = 0; i < 20000; i++)
	{
		static const char seps[] = " -;\n\0\xe9";
		RefMatch	want[MAX_FOUND];
		size_t		total = 0,
					nw,
					k;
		const char *prefix = (i % 3 == 0) ? "pgat_" : NULL;

		while (total < 400)
		{
			int			r = (int) (rnd() % 8);

			if (r < 2)
			{
				char		p[APITOKEN_PREFIX_MAX + 1];

				random_prefix(p, 1 + (int) (rnd() % APITOKEN_PREFIX_MAX));
				if (r == 0)
					strcpy(p, "pgat_");
				total += make_token(p, buf + total);
			}
			else
			{
				int			m = 1 + (int) (rnd() % 3);

				while (m-- > 0)
					buf[total++] = (rnd() % 2) ? seps[rnd() % (sizeof(seps) - 1)] :
						prefix_chars[rnd() % (sizeof(prefix_chars) - 1)];
			}
		}
		nw = ref_scan(buf, total, prefix, prefix ? strlen(prefix) : 0, want, MAX_FOUND);
		n = scan(buf, total, prefix, &f);
		len2 += n;
		if (n != nw)
			bad++;
		else
			for (k = 0; k < n; k++)
				if (f.m[k].off != want[k].off || f.m[k].len != want[k].len)
					bad++;
	}
	ok(bad == 0 && len2 > 20000, "20000 random texts of tokens and noise: the reference scan's matches (over 20000 in all)");

	return done_testing();
}
