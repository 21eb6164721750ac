/*
 * codec_unit.c
 *	  Unit tests of the token codec (src/token_codec.c), with no PostgreSQL.
 *
 * Expected encodings were computed independently with Python's big
 * integers:
 *   d = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
 *   def b62(n): s = ''.join(...)  # 43 digits, most significant first
 * for the numbers 0, 2^256-1 and bytes(range(32)), and zlib.crc32 for the
 * checksums.  Output is TAP; the exit status is non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_decode.h"
#include "text_rules.h"
#include "token_codec.h"
#include "unit_tap.h"

/* CRC-32 one bit at a time, straight from the definition: the reference */
static unsigned int
crc32_bitwise(const unsigned char *data, size_t len)
{
	unsigned int crc = 0xFFFFFFFFu;
	size_t		i;
	int			k;

	for (i = 0; i < len; i++)
	{
		crc ^= data[i];
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return crc ^ 0xFFFFFFFFu;
}

static const char digits[] =
"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int
main(void)
{
	uint8_t		secret[32],
				back[32];
	char		tok[APITOKEN_TEXT_MAX + 1],
				mod[APITOKEN_TEXT_MAX + 2],
				hint[APITOKEN_HINT_MAX + 1];
	size_t		len,
				plen;
	int			i,
				j,
				bad;

	/* CRC-32 */
	ok(apitoken_crc32((const uint8_t *) "123456789", 9) == 0xCBF43926u, "crc32 of 123456789");
	ok(apitoken_crc32((const uint8_t *) "", 0) == 0, "crc32 of empty input");
	ok(apitoken_crc32((const uint8_t *) "The quick brown fox jumps over the lazy dog", 43) == 0x414FA339u,
	   "crc32 of the quick brown fox");
	{
		unsigned char buf[100];
		int			n;

		/* every length 0..100, so both the 8-byte steps and the tail are covered */
		bad = 0;
		for (n = 0; n <= 100; n++)
		{
			for (i = 0; i < n; i++)
				buf[i] = (unsigned char) rnd();
			if (apitoken_crc32(buf, (size_t) n) != crc32_bitwise(buf, (size_t) n))
				bad++;
		}
		ok(bad == 0, "crc32 equals the bitwise definition for lengths 0..100");
	}

	/* fixed encodings */
	memset(secret, 0, 32);
	len = apitoken_encode("pgat_", 5, secret, tok);
	ok(len == 54 && strncmp(tok + 5, "0000000000000000000000000000000000000000000", 43) == 0,
	   "encode of zero");
	memset(secret, 0xFF, 32);
	apitoken_encode("pgat_", 5, secret, tok);
	ok(strncmp(tok + 5, "yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1", 43) == 0,
	   "encode of 2^256-1 (the codec's max_body)");
	for (i = 0; i < 32; i++)
		secret[i] = (uint8_t) i;
	apitoken_encode("pgat_", 5, secret, tok);
	ok(strncmp(tok + 5, "003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf", 43) == 0,
	   "encode of bytes 0..31");

	/* round trips */
	bad = 0;
	for (i = 0; i < 100000; i++)
	{
		for (j = 0; j < 32; j++)
			secret[j] = (uint8_t) rnd();
		if (i % 5 == 0)
			memset(secret, (i % 10 == 0) ? 0 : 0xFF, rnd() % 33);
		len = apitoken_encode("pgat_", 5, secret, tok);
		if (apitoken_decode(tok, len, &plen) != APITOKEN_OK || plen != 5)
			bad++;
		ref_decode_body(tok + 5, back);
		if (memcmp(secret, back, 32) != 0)
			bad++;
	}
	ok(bad == 0, "encode(x) is well-formed and its body is x, for 100000 random secrets");

	/* every single-character change, truncation and extension is refused */
	for (j = 0; j < 32; j++)
		secret[j] = (uint8_t) rnd();
	len = apitoken_encode("pgat_", 5, secret, tok);
	bad = 0;
	for (i = 0; i < (int) len; i++)
	{
		for (j = 0; j < 64; j++)
		{
			char		c = j < 62 ? digits[j] : (j == 62 ? '_' : '-');

			if (c == tok[i])
				continue;
			memcpy(mod, tok, len);
			mod[i] = c;
			if (apitoken_decode(mod, len, &plen) == APITOKEN_OK)
				bad++;
		}
	}
	ok(bad == 0, "every single-character substitution is refused");
	bad = 0;
	for (i = 0; i < (int) len; i++)
		if (apitoken_decode(tok, i, &plen) == APITOKEN_OK)
			bad++;
	ok(bad == 0, "every truncation is refused");
	bad = 0;
	for (j = 0; j < 62; j++)
	{
		memcpy(mod, tok, len);
		mod[len] = digits[j];
		if (apitoken_decode(mod, len + 1, &plen) == APITOKEN_OK)
			bad++;
	}
	ok(bad == 0, "every one-character extension is refused");

	/* out of range bodies */
	memcpy(mod, "pgat_", 5);
	memset(mod + 5, 'z', 49);
	ok(apitoken_decode(mod, 54, &plen) == APITOKEN_BAD_RANGE, "body zzz...z is out of range");
	memcpy(mod + 5, "yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp2", 43);
	ok(apitoken_decode(mod, 54, &plen) == APITOKEN_BAD_RANGE, "body 2^256 is out of range");

	/* prefixes */
	ok(apitoken_encode("", 0, secret, tok) == 0, "empty prefix refused");
	ok(apitoken_encode("a", 1, secret, tok) == 50, "one-character prefix");
	ok(apitoken_encode("abcdefghijklmnopqrstuvwxyz012345", 32, secret, tok) == 81, "32-character prefix");
	ok(apitoken_encode("abcdefghijklmnopqrstuvwxyz0123456", 33, secret, tok) == 0, "33-character prefix refused");
	ok(apitoken_encode("pg-t_", 5, secret, tok) == 0, "prefix with '-' refused");
	ok(!apitoken_prefix_valid("pg t", 4) && !apitoken_prefix_valid("\xc3\xa9", 2), "space and non-ASCII prefixes refused");
	len = apitoken_encode("a", 1, secret, tok);
	ref_decode_body(tok + 1, back);
	ok(apitoken_decode(tok, len, &plen) == APITOKEN_OK && plen == 1 && memcmp(secret, back, 32) == 0,
	   "short prefix round trip");

	/* hint */
	len = apitoken_encode("pgat_", 5, secret, tok);
	apitoken_decode(tok, len, &plen);
	ok(apitoken_hint(tok, len, plen, hint) == 9 && strncmp(hint, tok, 9) == 0 && hint[9] == '\0',
	   "hint is prefix and four body characters");

	/* details never quote input */
	bad = 0;
	for (i = APITOKEN_OK; i <= APITOKEN_BAD_CHECKSUM; i++)
	{
		const char *d = apitoken_status_detail((ApitokenParseStatus) i);

		if (d == NULL || strstr(d, tok + 5) != NULL || strstr(d, "pgat_") != NULL)
			bad++;
	}
	ok(bad == 0, "status details never contain the token");

	/* lengths 0..100 of arbitrary bytes never crash and never pass */
	bad = 0;
	for (i = 0; i <= 100; i++)
	{
		char	   *buf = malloc(i ? i : 1);

		for (j = 0; j < i; j++)
			buf[j] = (char) rnd();
		if (apitoken_decode(buf, i, &plen) == APITOKEN_OK)
			bad++;
		free(buf);
	}
	ok(bad == 0, "random byte strings of length 0..100 are refused");

	/* the blank-name rule (text_rules.c) */
	ok(apitoken_text_is_blank("", 0, true) && apitoken_text_is_blank(" \t\r\n\v\f", 6, true),
	   "empty and ASCII white space are blank");
	ok(apitoken_text_is_blank("\xe3\x80\x80", 3, true) &&	/* U+3000 */
	   apitoken_text_is_blank("\xc2\xa0\xe2\x80\x83\xe2\x81\x9f", 8, true) &&	/* NBSP, em space, MMSP */
	   apitoken_text_is_blank("\xc2\x85\xe1\x9a\x80\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaf", 14, true) &&
	   apitoken_text_is_blank("\x1c\x1d\x1e\x1f", 4, true),
	   "Unicode white space and the information separators are blank");
	ok(!apitoken_text_is_blank("\xe3\x80\x80x", 4, true) && !apitoken_text_is_blank("a", 1, true) &&
	   !apitoken_text_is_blank("\xe2\x80\x8b", 3, true) &&	/* zero width space: not White_Space */
	   !apitoken_text_is_blank("\xe2\x80\x8a\xe2\x80\x8b", 6, true),
	   "a name with anything else is not blank");
	ok(!apitoken_text_is_blank("\xe3\x80", 2, true) && !apitoken_text_is_blank("\xc0\xa0", 2, true) &&
	   !apitoken_text_is_blank("\xed\xa0\x80", 3, true) && !apitoken_text_is_blank("\xf4\x90\x80\x80", 4, true),
	   "truncated, overlong, surrogate and out-of-range UTF-8 is not blank");
	ok(apitoken_text_is_blank(" \t", 2, false) && !apitoken_text_is_blank("\xa0", 1, false) &&
	   !apitoken_text_is_blank("\xe3\x80\x80", 3, false),
	   "other server encodings: ASCII white space only");
	/* every code point: the rule agrees with the list it is defined by */
	bad = 0;
	for (i = 0; i <= 0x10FFFF; i++)
	{
		static const unsigned int spaces[] = {
			0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0,
			0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
			0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000
		};
		int			listed = 0;
		size_t		k;

		for (k = 0; k < sizeof(spaces) / sizeof(spaces[0]); k++)
			listed |= (spaces[k] == (unsigned int) i);
		if (apitoken_codepoint_is_space((uint32_t) i) != listed)
			bad++;
	}
	ok(bad == 0, "white space is exactly the 29 listed code points");

	return done_testing();
}
