/*-------------------------------------------------------------------------
 *
 * token_codec.c
 *	  Encode and validate the text form of apitoken values.
 *
 * Pure C99 with no PostgreSQL or libsodium dependency: randomness,
 * hashing and memory wiping are the caller's business.  The functions
 * here never print or keep the text they are given, and they report what
 * is wrong with a text only as an ApitokenParseStatus, so that error
 * messages built from them cannot echo a secret.
 *
 * See token_codec.h for the format.
 *
 *-------------------------------------------------------------------------
 */
#include "token_codec.h"

#include <string.h>

static const char base62_digits[] =
"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* CRC-32 lookup table for one nibble (reflected polynomial 0xEDB88320). */
static const uint32_t crc32_nibble[16] = {
	0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC,
	0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
	0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
	0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C
};

/*
 * Zero a buffer that held secret digits in a way the compiler cannot drop
 * as a dead store (the PostgreSQL side uses sodium_memzero; this file
 * stays free of dependencies).
 */
static void
wipe(void *buf, size_t len)
{
	volatile uint8_t *p = (volatile uint8_t *) buf;

	while (len-- > 0)
		*p++ = 0;
}

/* value of a base62 digit, or -1 */
static int
base62_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

/* CRC-32 as computed by zlib's crc32() */
uint32_t
apitoken_crc32(const uint8_t *data, size_t len)
{
	uint32_t	crc = 0xFFFFFFFFu;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		crc ^= data[i];
		crc = (crc >> 4) ^ crc32_nibble[crc & 0x0F];
		crc = (crc >> 4) ^ crc32_nibble[crc & 0x0F];
	}
	return crc ^ 0xFFFFFFFFu;
}

/* true if prefix is 1..APITOKEN_PREFIX_MAX characters of [A-Za-z0-9_] */
bool
apitoken_prefix_valid(const char *prefix, size_t len)
{
	size_t		i;

	if (len < 1 || len > APITOKEN_PREFIX_MAX)
		return false;
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) prefix[i];

		if (c != '_' && base62_value(c) < 0)
			return false;
	}
	return true;
}

/* write the 6-digit base62 checksum of text[0..len) to out */
static void
encode_check(const char *text, size_t len, char *out)
{
	uint32_t	crc = apitoken_crc32((const uint8_t *) text, len);
	int			i;

	for (i = APITOKEN_CHECK_CHARS - 1; i >= 0; i--)
	{
		out[i] = base62_digits[crc % 62];
		crc /= 62;
	}
}

size_t
apitoken_encode(const char *prefix, size_t prefix_len,
				const uint8_t secret[APITOKEN_SECRET_BYTES], char *out)
{
	uint8_t		num[APITOKEN_SECRET_BYTES];
	char	   *body = out + prefix_len;
	int			d;

	if (!apitoken_prefix_valid(prefix, prefix_len))
		return 0;
	memcpy(out, prefix, prefix_len);

	/* long division of the big-endian 256-bit number by 62, 43 times */
	memcpy(num, secret, sizeof(num));
	for (d = APITOKEN_BODY_CHARS - 1; d >= 0; d--)
	{
		unsigned int rem = 0;
		int			i;

		for (i = 0; i < APITOKEN_SECRET_BYTES; i++)
		{
			unsigned int cur = (rem << 8) | num[i];

			num[i] = (uint8_t) (cur / 62);
			rem = cur % 62;
		}
		body[d] = base62_digits[rem];
	}
	/* num is all zero now: 62^43 > 2^256, so nothing secret is left in it */

	encode_check(out, prefix_len + APITOKEN_BODY_CHARS,
				 body + APITOKEN_BODY_CHARS);
	out[prefix_len + APITOKEN_SUFFIX_CHARS] = '\0';
	return prefix_len + APITOKEN_SUFFIX_CHARS;
}

ApitokenParseStatus
apitoken_decode(const char *text, size_t len, size_t *prefix_len,
				uint8_t secret[APITOKEN_SECRET_BYTES])
{
	size_t		plen;
	const char *body;
	char		check[APITOKEN_CHECK_CHARS];
	uint8_t		num[APITOKEN_SECRET_BYTES];
	bool		overflow = false;
	int			i;

	if (len <= APITOKEN_SUFFIX_CHARS || len > APITOKEN_TEXT_MAX)
		return APITOKEN_BAD_LENGTH;
	plen = len - APITOKEN_SUFFIX_CHARS;
	if (!apitoken_prefix_valid(text, plen))
		return APITOKEN_BAD_PREFIX;
	body = text + plen;
	for (i = 0; i < APITOKEN_SUFFIX_CHARS; i++)
		if (base62_value((unsigned char) body[i]) < 0)
			return APITOKEN_BAD_DIGIT;

	/* multiply-accumulate the body digits into a big-endian number */
	memset(num, 0, sizeof(num));
	for (i = 0; i < APITOKEN_BODY_CHARS; i++)
	{
		unsigned int carry = (unsigned int) base62_value((unsigned char) body[i]);
		int			j;

		for (j = APITOKEN_SECRET_BYTES - 1; j >= 0; j--)
		{
			unsigned int cur = num[j] * 62u + carry;

			num[j] = (uint8_t) (cur & 0xFF);
			carry = cur >> 8;
		}
		if (carry != 0)
			overflow = true;
	}

	encode_check(text, plen + APITOKEN_BODY_CHARS, check);
	if (overflow)
	{
		wipe(num, sizeof(num));
		return APITOKEN_BAD_RANGE;
	}
	if (memcmp(check, body + APITOKEN_BODY_CHARS, APITOKEN_CHECK_CHARS) != 0)
	{
		wipe(num, sizeof(num));
		return APITOKEN_BAD_CHECKSUM;
	}

	*prefix_len = plen;
	if (secret != NULL)
		memcpy(secret, num, sizeof(num));
	wipe(num, sizeof(num));
	return APITOKEN_OK;
}

const char *
apitoken_status_detail(ApitokenParseStatus status)
{
	switch (status)
	{
		case APITOKEN_OK:
			return "The token is well-formed.";
		case APITOKEN_BAD_LENGTH:
			return "The value has the wrong length for an API token.";
		case APITOKEN_BAD_PREFIX:
			return "A token prefix contains only letters, digits and underscores.";
		case APITOKEN_BAD_DIGIT:
			return "A token body contains only letters and digits.";
		case APITOKEN_BAD_RANGE:
			return "The token body is out of range.";
		case APITOKEN_BAD_CHECKSUM:
			return "The token checksum does not match.";
	}
	return "The value is not an API token.";
}

size_t
apitoken_hint(const char *text, size_t len, size_t prefix_len, char *out)
{
	size_t		n = prefix_len + APITOKEN_HINT_BODY_CHARS;

	if (n > len || n > APITOKEN_HINT_MAX)
		return 0;
	memcpy(out, text, n);
	out[n] = '\0';
	return n;
}
