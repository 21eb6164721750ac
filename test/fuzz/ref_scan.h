/*
 * ref_scan.h
 *	  A reference scanner for the tests: what apitoken_scan() must find,
 *	  computed the slow and obvious way.
 *
 * Every maximal run of [A-Za-z0-9_] (the class written out with
 * comparisons, not src/token_scan.c's table) is handed whole to
 * apitoken_decode(); with a prefix, a match must also begin with exactly
 * that prefix and an invalid prefix matches nothing.  No length shortcut,
 * no skipping: each run is tried, whatever its length.
 */
#ifndef APITOKEN_REF_SCAN_H
#define APITOKEN_REF_SCAN_H

#include <string.h>

#include "token_codec.h"

/* one match: offset and length in the text */
typedef struct RefMatch
{
	size_t		off;
	size_t		len;
} RefMatch;

/* the class, by comparisons */
static int
ref_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z') || c == '_';
}

/* the matches in text, at most max of them into out; returns how many */
static size_t
ref_scan(const char *text, size_t len, const char *prefix, size_t prefix_len,
		 RefMatch *out, size_t max)
{
	size_t		n = 0,
				i = 0,
				plen;

	if (prefix != NULL && !apitoken_prefix_valid(prefix, prefix_len))
		return 0;
	while (i < len)
	{
		size_t		j;

		if (!ref_word((unsigned char) text[i]))
		{
			i++;
			continue;
		}
		for (j = i; j < len && ref_word((unsigned char) text[j]); j++)
			;
		if (apitoken_decode(text + i, j - i, &plen) == APITOKEN_OK &&
			(prefix == NULL ||
			 (plen == prefix_len && memcmp(text + i, prefix, prefix_len) == 0)))
		{
			if (n < max)
			{
				out[n].off = i;
				out[n].len = j - i;
			}
			n++;
		}
		i = j;
	}
	return n;
}

#endif							/* APITOKEN_REF_SCAN_H */
