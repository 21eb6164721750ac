/*
 * fuzz_encode.c
 *	  libFuzzer target: the first 32 bytes are a secret, the rest a prefix.
 *
 * Properties: encode() refuses exactly the invalid prefixes; whatever it
 * produces is well-formed with the same prefix length, and its body is the
 * secret (ref_decode.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ref_decode.h"
#include "token_codec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		back[APITOKEN_SECRET_BYTES];
	char		tok[APITOKEN_TEXT_MAX + 1];
	const char *prefix;
	size_t		plen,
				len,
				parsed = 0;

	if (size < APITOKEN_SECRET_BYTES)
		return 0;
	prefix = (const char *) data + APITOKEN_SECRET_BYTES;
	plen = size - APITOKEN_SECRET_BYTES;
	len = apitoken_encode(prefix, plen, data, tok);
	if (!apitoken_prefix_valid(prefix, plen))
	{
		if (len != 0)
			abort();
		return 0;
	}
	if (len != plen + APITOKEN_SUFFIX_CHARS ||
		apitoken_decode(tok, len, &parsed) != APITOKEN_OK || parsed != plen)
		abort();
	ref_decode_body(tok + plen, back);
	if (memcmp(back, data, APITOKEN_SECRET_BYTES) != 0)
		abort();
	return 0;
}
