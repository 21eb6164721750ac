/*-------------------------------------------------------------------------
 *
 * token_codec.h
 *	  Text format of apitoken values, with no PostgreSQL dependency.
 *
 * A token as a client presents it is
 *
 *		<prefix><body><check>
 *
 * prefix: 1..32 characters of [A-Za-z0-9_] (GUC apitoken.prefix, "pgat_"),
 * body:   the 32-byte secret as a 43-digit base62 number (256 bits),
 * check:  CRC32 of prefix+body as a 6-digit base62 number.
 *
 * The body and check have a fixed width, so the prefix is whatever stands
 * before the last 49 characters.  The checksum lets anyone (a secret
 * scanner, a client library, the type's input function) reject typos and
 * truncated values without a table lookup.
 *
 * This file and token_codec.c are plain C99 so that they can be unit
 * tested and fuzzed on their own (see test/fuzz).
 *
 *-------------------------------------------------------------------------
 */
#ifndef APITOKEN_TOKEN_CODEC_H
#define APITOKEN_TOKEN_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APITOKEN_SECRET_BYTES	32	/* random bytes in a token */
#define APITOKEN_BODY_CHARS		43	/* base62 digits for 256 bits */
#define APITOKEN_CHECK_CHARS	6	/* base62 digits for a CRC32 */
#define APITOKEN_SUFFIX_CHARS	(APITOKEN_BODY_CHARS + APITOKEN_CHECK_CHARS)
#define APITOKEN_PREFIX_MAX		32
#define APITOKEN_TEXT_MAX		(APITOKEN_PREFIX_MAX + APITOKEN_SUFFIX_CHARS)
#define APITOKEN_HINT_BODY_CHARS 4	/* body digits shown by hint() */
#define APITOKEN_HINT_MAX		(APITOKEN_PREFIX_MAX + APITOKEN_HINT_BODY_CHARS)

/* Why a text is not a well-formed token (never says what the text was). */
typedef enum ApitokenParseStatus
{
	APITOKEN_OK = 0,
	APITOKEN_BAD_LENGTH,		/* too short or too long */
	APITOKEN_BAD_PREFIX,		/* prefix has a character outside [A-Za-z0-9_] */
	APITOKEN_BAD_DIGIT,			/* body or check has a non-base62 character */
	APITOKEN_BAD_RANGE,			/* body is not a 256-bit number */
	APITOKEN_BAD_CHECKSUM		/* checksum does not match */
} ApitokenParseStatus;

/* true if prefix (not NUL-terminated) is a valid token prefix */
extern bool apitoken_prefix_valid(const char *prefix, size_t len);

/*
 * Write prefix + body + check for the given secret into out, which must
 * have room for APITOKEN_TEXT_MAX + 1 bytes; returns the length written
 * (a NUL follows), or 0 if the prefix is invalid.
 */
extern size_t apitoken_encode(const char *prefix, size_t prefix_len,
							  const uint8_t secret[APITOKEN_SECRET_BYTES],
							  char *out);

/*
 * Validate text (len bytes, need not be NUL-terminated).  On success
 * stores the prefix length in *prefix_len; on failure nothing useful is
 * stored.  The secret is not decoded: the extension hashes the text.
 */
extern ApitokenParseStatus apitoken_decode(const char *text, size_t len,
										   size_t *prefix_len);

/* An errdetail-style sentence for a parse status; never quotes the input. */
extern const char *apitoken_status_detail(ApitokenParseStatus status);

/*
 * Copy the non-secret hint of a valid token (prefix + first body digits)
 * into out (room for APITOKEN_HINT_MAX + 1); returns its length.
 */
extern size_t apitoken_hint(const char *text, size_t len, size_t prefix_len,
							char *out);

/* CRC-32 (IEEE 802.3, as zlib) of a byte string. */
extern uint32_t apitoken_crc32(const uint8_t *data, size_t len);

#endif							/* APITOKEN_TOKEN_CODEC_H */
