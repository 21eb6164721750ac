/*-------------------------------------------------------------------------
 *
 * token_scan.c
 *	  Find every well-formed apitoken value inside a text, in one pass.
 *
 * Pure C99 with no PostgreSQL dependency (see token_scan.h for what a
 * match is).  The scanner reads each byte of the text a bounded number of
 * times, never outside text[0..len), and keeps nothing: it hands each
 * match to the caller's callback and forgets it.
 *
 * Most of a text is words far shorter than a token, so the scan does not
 * look at every byte.  It keeps a position p that no run crosses (p is 0 or
 * text[p - 1] is not a word byte) and probes the byte at p + MIN - 1, the
 * last byte of the shortest token that could start at p.  If that byte is
 * not a word byte, no run starting in p..p + MIN - 1 is long enough, and
 * the scan jumps past it.  If it is, the scan walks back to the start of
 * the run that holds it: a start after p becomes the new p, and a run that
 * reaches back to p is long enough, so only then is its end looked for
 * and the run, when its length can be a token's, decoded.  Probes only
 * move forward, a backward walk stops at p and only the last one before a
 * long run can cover the bytes of the one before it, and the next p is
 * past the run's end: the scan is linear (apart from decoding a candidate,
 * no byte is read more than three times), and most bytes of a typical log
 * line are never read at all (as in Boyer-Moore-Horspool string search).
 *
 *-------------------------------------------------------------------------
 */
#include "token_scan.h"

#include <string.h>

/* word_class[c] is 1 for [A-Za-z0-9_], else 0; built on first use */
static unsigned char word_class[256];
static bool scan_ready = false;

/* fill word_class */
static void
scan_init(void)
{
	int			c;

	for (c = 0; c < 256; c++)
		word_class[c] = (unsigned char) ((c >= '0' && c <= '9') ||
										 (c >= 'A' && c <= 'Z') ||
										 (c >= 'a' && c <= 'z') || c == '_');
	scan_ready = true;
}

/* true if c is a byte a token can contain */
bool
apitoken_scan_word_char(unsigned char c)
{
	if (!scan_ready)
		scan_init();
	return word_class[c] != 0;
}

size_t
apitoken_scan(const char *text, size_t len,
			  const char *prefix, size_t prefix_len,
			  ApitokenScanFound found, void *arg)
{
	const unsigned char *t = (const unsigned char *) text;
	size_t		min_len = APITOKEN_SCAN_MIN;
	size_t		max_len = APITOKEN_TEXT_MAX;
	size_t		p = 0;			/* 0, or t[p - 1] is not a word byte */
	size_t		n = 0;

	if (!scan_ready)
		scan_init();
	if (prefix != NULL)
	{
		if (!apitoken_prefix_valid(prefix, prefix_len))
			return 0;
		/* only runs of exactly this length can hold such a token */
		min_len = max_len = prefix_len + APITOKEN_SUFFIX_CHARS;
	}

	while (p <= len && len - p >= min_len)
	{
		size_t		probe = p + min_len - 1;
		size_t		s,
					e,
					plen;

		if (!word_class[t[probe]])
		{
			p = probe + 1;
			continue;
		}
		/* the start of the run holding probe; the run cannot start before p */
		s = probe;
		while (s > p && word_class[t[s - 1]])
			s--;
		if (s > p)
		{
			p = s;
			continue;
		}
		/* t[p..probe] are word bytes and p starts the run: find its end */
		e = probe + 1;
		while (e < len && word_class[t[e]])
			e++;
		if (e - p <= max_len &&
			(prefix == NULL || memcmp(t + p, prefix, prefix_len) == 0) &&
			apitoken_decode(text + p, e - p, &plen) == APITOKEN_OK)
		{
			n++;
			if (!found(text, p, e - p, plen, arg))
				break;
		}
		if (e >= len)
			break;
		p = e + 1;				/* t[e] is not a word byte */
	}
	return n;
}
