/*
 * fuzz_decode.c
 *	  libFuzzer target: arbitrary bytes into apitoken_decode().
 *
 * Properties: no crash or undefined behaviour (ASan/UBSan); a status is
 * one of the enum values; and on success, encoding the secret the body
 * stands for (ref_decode.h) with the parsed prefix reproduces the input
 * byte for byte (round trip: a valid token has one spelling).
 */
#include <stdlib.h>
#include <string.h>

#include "ref_decode.h"
#include "token_codec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		secret[APITOKEN_SECRET_BYTES];
	char		again[APITOKEN_TEXT_MAX + 1];
	size_t		plen = 0;
	ApitokenParseStatus st;

	st = apitoken_decode((const char *) data, size, &plen);
	if (st < APITOKEN_OK || st > APITOKEN_BAD_CHECKSUM)
		abort();
	if (st == APITOKEN_OK)
	{
		size_t		len;

		ref_decode_body((const char *) data + plen, secret);
		len = apitoken_encode((const char *) data, plen, secret, again);

		if (len != size || memcmp(again, data, size) != 0)
			abort();
	}
	return 0;
}
