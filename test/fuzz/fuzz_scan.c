/*
 * fuzz_scan.c
 *	  libFuzzer target: arbitrary bytes into apitoken_scan().
 *
 * Input: a mode byte, then with mode & 1 a prefix (1 + byte % 40 bytes,
 * so invalid lengths and bytes too), then the text.  With mode & 2 the
 * check digits of every run of 50..81 word bytes are first rewritten to
 * the CRC of the rest, so that mutations produce many well-formed tokens
 * (random bytes almost never have a matching CRC).  The text is copied
 * into a buffer of exactly its size, so ASan catches any read outside it.
 *
 * Properties: no crash or undefined behaviour (ASan/UBSan); the matches
 * are exactly those of the slow reference scan (ref_scan.h), in text
 * order, with the run's prefix length; the returned count is the number
 * of callbacks; a callback returning false stops the scan at once.
 */
#include <stdlib.h>
#include <string.h>

#include "ref_scan.h"
#include "token_codec.h"
#include "token_scan.h"

#define MAX_FOUND 4096

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* what the callback saw */
typedef struct Seen
{
	const char *text;
	size_t		n;
	size_t		stop_after;		/* 0: never stop */
	RefMatch	m[MAX_FOUND];
} Seen;

/* scan callback: check and record the match */
static bool
record(const char *text, size_t offset, size_t len, size_t prefix_len, void *arg)
{
	Seen	   *s = (Seen *) arg;

	if (text != s->text || prefix_len + APITOKEN_SUFFIX_CHARS != len)
		abort();
	if (s->n > 0 && offset < s->m[s->n - 1].off + s->m[s->n - 1].len + 1)
		abort();				/* out of order, or overlapping */
	if (s->n < MAX_FOUND)
	{
		s->m[s->n].off = offset;
		s->m[s->n].len = len;
	}
	s->n++;
	return s->stop_after == 0 || s->n < s->stop_after;
}

/* rewrite the check digits of every run that could be a token */
static void
fix_checks(char *t, size_t len)
{
	static const char digits[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t		i = 0;

	while (i < len)
	{
		size_t		j;

		if (!ref_word((unsigned char) t[i]))
		{
			i++;
			continue;
		}
		for (j = i; j < len && ref_word((unsigned char) t[j]); j++)
			;
		if (j - i > APITOKEN_SUFFIX_CHARS && j - i <= APITOKEN_TEXT_MAX)
		{
			uint32_t	crc = apitoken_crc32((const uint8_t *) t + i,
											 j - i - APITOKEN_CHECK_CHARS);
			int			k;

			for (k = 1; k <= APITOKEN_CHECK_CHARS; k++)
			{
				t[j - k] = digits[crc % 62];
				crc /= 62;
			}
		}
		i = j;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Seen seen;
	static RefMatch want[MAX_FOUND];
	const char *prefix = NULL;
	size_t		prefix_len = 0,
				n,
				nw,
				k;
	uint8_t		mode;
	char	   *text;
	char	   *pfx = NULL;
	size_t		len;

	if (size < 1)
		return 0;
	mode = data[0];
	data++, size--;
	if (mode & 1)
	{
		if (size < 1)
			return 0;
		prefix_len = 1 + data[0] % 40;
		data++, size--;
		if (size < prefix_len)
			return 0;
		pfx = malloc(prefix_len);
		memcpy(pfx, data, prefix_len);
		prefix = pfx;
		data += prefix_len, size -= prefix_len;
	}
	len = size;
	text = malloc(len ? len : 1);
	memcpy(text, data, len);
	if (mode & 2)
		fix_checks(text, len);

	memset(&seen, 0, sizeof(seen));
	seen.text = text;
	n = apitoken_scan(text, len, prefix, prefix_len, record, &seen);
	nw = ref_scan(text, len, prefix, prefix_len, want, MAX_FOUND);
	if (n != seen.n || n != nw)
		abort();
	for (k = 0; k < n && k < MAX_FOUND; k++)
		if (seen.m[k].off != want[k].off || seen.m[k].len != want[k].len)
			abort();

	/* stopping after the first match */
	memset(&seen, 0, sizeof(seen));
	seen.text = text;
	seen.stop_after = 1;
	n = apitoken_scan(text, len, prefix, prefix_len, record, &seen);
	if (n != (nw > 0 ? 1 : 0) || seen.n != n)
		abort();

	free(text);
	free(pfx);
	return 0;
}
