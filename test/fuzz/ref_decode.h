/*
 * ref_decode.h
 *	  A reference decoder for the tests: the 32-byte secret a well-formed
 *	  token's body stands for.
 *
 * The extension never needs the secret back (it hashes the text), so
 * src/token_codec.c has no decoder; the tests use this one to check that
 * encoding loses nothing.  It works differently from the encoder on
 * purpose (Horner's rule over eight 32-bit limbs, where the encoder
 * divides bytes), so that the two agreeing means something.  The body
 * must be 43 base62 digits of a number below 2^256 (apitoken_decode()
 * said APITOKEN_OK).
 */
#ifndef APITOKEN_REF_DECODE_H
#define APITOKEN_REF_DECODE_H

#include <stdint.h>

#include "token_codec.h"

/* the value of one base62 digit: 0-9, A-Z, a-z */
static int
ref_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return c - 'a' + 36;
}

/* body (APITOKEN_BODY_CHARS digits) as a big-endian 32-byte number */
static void
ref_decode_body(const char *body, uint8_t secret[APITOKEN_SECRET_BYTES])
{
	uint32_t	limb[8] = {0};	/* least significant first */
	int			i,
				k;

	for (i = 0; i < APITOKEN_BODY_CHARS; i++)
	{
		uint64_t	acc = (uint64_t) ref_digit(body[i]);

		for (k = 0; k < 8; k++)
		{
			acc += (uint64_t) limb[k] * 62u;
			limb[k] = (uint32_t) acc;
			acc >>= 32;
		}
	}
	for (k = 0; k < 8; k++)
		for (i = 0; i < 4; i++)
			secret[31 - 4 * k - i] = (uint8_t) (limb[k] >> (8 * i));
}

#endif							/* APITOKEN_REF_DECODE_H */
