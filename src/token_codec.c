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

/*
 * The largest valid body: 2^256 - 1 in 43 base62 digits.  The digits'
 * ASCII order is their numeric order, so a body is in range exactly when
 * it does not compare above this string; that check replaces a
 * big-number conversion on the verify path.  The unit test checks that
 * it equals apitoken_encode() of 32 0xFF bytes.
 */
static const char max_body[APITOKEN_BODY_CHARS + 1] =
"yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1";

/*
 * Tables built once, on first use (codec_init):
 *
 * digit_value[c] is 1 + the base62 value of byte c, or 0 if c is not a
 * base62 digit, so that validating a token is one load per character.
 *
 * crc32_table[0] is the usual byte-at-a-time CRC-32 table (reflected
 * polynomial 0xEDB88320); crc32_table[k][b] is the CRC of byte b followed
 * by k zero bytes.  With them the CRC takes eight bytes per step
 * ("slicing-by-8"): the eight lookups of a step are independent, where the
 * byte-at-a-time loop is one long chain of dependent loads.
 */
static uint8_t digit_value[256];
static uint32_t crc32_table[8][256];
static bool codec_ready = false;

/* fill digit_value and crc32_table */
static void
codec_init(void)
{
	uint32_t	i;
	int			k;

	for (i = 0; i < sizeof(base62_digits) - 1; i++)
		digit_value[(unsigned char) base62_digits[i]] = (uint8_t) (i + 1);
	for (i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
		crc32_table[0][i] = c;
	}
	for (k = 1; k < 8; k++)
		for (i = 0; i < 256; i++)
			crc32_table[k][i] = (crc32_table[k - 1][i] >> 8) ^
				crc32_table[0][crc32_table[k - 1][i] & 0xFF];
	codec_ready = true;
}

/* build the tables if this is the first call; every entry point calls it */
static inline void
codec_ensure(void)
{
	if (!codec_ready)
		codec_init();
}

/* value of a base62 digit, or -1 (the tables must be built) */
static inline int
base62_value(unsigned char c)
{
	return (int) digit_value[c] - 1;
}

/* CRC-32 as computed by zlib's crc32() */
uint32_t
apitoken_crc32(const uint8_t *data, size_t len)
{
	uint32_t	crc = 0xFFFFFFFFu;

	codec_ensure();
	for (; len >= 8; data += 8, len -= 8)
	{
		uint32_t	lo = crc ^ ((uint32_t) data[0] | (uint32_t) data[1] << 8 |
								(uint32_t) data[2] << 16 | (uint32_t) data[3] << 24);

		crc = crc32_table[7][lo & 0xFF] ^ crc32_table[6][(lo >> 8) & 0xFF] ^
			crc32_table[5][(lo >> 16) & 0xFF] ^ crc32_table[4][lo >> 24] ^
			crc32_table[3][data[4]] ^ crc32_table[2][data[5]] ^
			crc32_table[1][data[6]] ^ crc32_table[0][data[7]];
	}
	for (; len > 0; data++, len--)
		crc = (crc >> 8) ^ crc32_table[0][(crc ^ *data) & 0xFF];
	return crc ^ 0xFFFFFFFFu;
}

/* true if prefix is 1..APITOKEN_PREFIX_MAX characters of [A-Za-z0-9_] */
bool
apitoken_prefix_valid(const char *prefix, size_t len)
{
	size_t		i;

	codec_ensure();
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
	uint32_t	limbs[APITOKEN_SECRET_BYTES / 4];
	char	   *body = out + prefix_len;
	int			d;
	int			i;

	if (!apitoken_prefix_valid(prefix, prefix_len))
		return 0;
	memcpy(out, prefix, prefix_len);

	/*
	 * Long division of the big-endian 256-bit number, held in 32-bit limbs,
	 * by 62^5 (the largest power of 62 below 2^32): five digits per pass.
	 */
	for (i = 0; i < APITOKEN_SECRET_BYTES / 4; i++)
		limbs[i] = ((uint32_t) secret[4 * i] << 24) | ((uint32_t) secret[4 * i + 1] << 16) |
			((uint32_t) secret[4 * i + 2] << 8) | secret[4 * i + 3];
	for (d = APITOKEN_BODY_CHARS; d > 0;)
	{
		int			chunk = d >= 5 ? 5 : d;
		uint32_t	divisor = 62;
		uint64_t	rem = 0;
		int			k;

		for (k = 1; k < chunk; k++)
			divisor *= 62;
		for (i = 0; i < APITOKEN_SECRET_BYTES / 4; i++)
		{
			uint64_t	cur = (rem << 32) | limbs[i];

			limbs[i] = (uint32_t) (cur / divisor);
			rem = cur % divisor;
		}
		for (k = 0; k < chunk; k++)
		{
			body[--d] = base62_digits[rem % 62];
			rem /= 62;
		}
	}
	/* limbs are all zero now: 62^43 > 2^256, so nothing secret is left */

	encode_check(out, prefix_len + APITOKEN_BODY_CHARS,
				 body + APITOKEN_BODY_CHARS);
	out[prefix_len + APITOKEN_SUFFIX_CHARS] = '\0';
	return prefix_len + APITOKEN_SUFFIX_CHARS;
}

ApitokenParseStatus
apitoken_decode(const char *text, size_t len, size_t *prefix_len)
{
	size_t		plen;
	const char *body;
	char		check[APITOKEN_CHECK_CHARS];
	int			i;

	codec_ensure();
	if (len <= APITOKEN_SUFFIX_CHARS || len > APITOKEN_TEXT_MAX)
		return APITOKEN_BAD_LENGTH;
	plen = len - APITOKEN_SUFFIX_CHARS;
	if (!apitoken_prefix_valid(text, plen))
		return APITOKEN_BAD_PREFIX;
	body = text + plen;
	for (i = 0; i < APITOKEN_SUFFIX_CHARS; i++)
		if (base62_value((unsigned char) body[i]) < 0)
			return APITOKEN_BAD_DIGIT;
	if (memcmp(body, max_body, APITOKEN_BODY_CHARS) > 0)
		return APITOKEN_BAD_RANGE;

	encode_check(text, plen + APITOKEN_BODY_CHARS, check);
	if (memcmp(check, body + APITOKEN_BODY_CHARS, APITOKEN_CHECK_CHARS) != 0)
		return APITOKEN_BAD_CHECKSUM;

	*prefix_len = plen;
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
