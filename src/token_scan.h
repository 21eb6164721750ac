/*-------------------------------------------------------------------------
 *
 * token_scan.h
 *	  Find the well-formed apitoken values inside a text, with no
 *	  PostgreSQL dependency.
 *
 * A token is found only as a whole word: a maximal run of [A-Za-z0-9_]
 * bytes (bounded by the start or end of the text or by any other byte,
 * NUL included) that apitoken_decode() accepts as a whole.  Since a token
 * ends with 49 fixed-width characters, the run itself fixes the prefix
 * (all but its last 49 bytes), so a run is either one token or none, and
 * only runs of APITOKEN_SCAN_MIN..APITOKEN_TEXT_MAX bytes can be one.
 * Nothing inside a longer word is ever reported.
 *
 * Plain C99, like token_codec.c, so that it can be unit tested and fuzzed
 * on its own (test/fuzz).  The scanner keeps no copy of the text.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APITOKEN_TOKEN_SCAN_H
#define APITOKEN_TOKEN_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "token_codec.h"

/* shortest run that can be a token: a 1-character prefix and the suffix */
#define APITOKEN_SCAN_MIN		(1 + APITOKEN_SUFFIX_CHARS)

/*
 * Called for each token found, in text order: text + offset, len bytes,
 * whose first prefix_len bytes are the prefix.  Returns false to stop the
 * scan.
 */
typedef bool (*ApitokenScanFound) (const char *text, size_t offset,
								   size_t len, size_t prefix_len, void *arg);

/* true if byte c can be part of a token ([A-Za-z0-9_]) */
extern bool apitoken_scan_word_char(unsigned char c);

/*
 * Walk text (len bytes, any bytes, need not be NUL-terminated) once and
 * call found for every token in it; with prefix non-NULL, only for tokens
 * whose prefix is exactly those prefix_len bytes (the caller checks it
 * with apitoken_prefix_valid(); an invalid one matches nothing).  Never
 * reads outside text[0..len).  Returns the number of calls made.
 */
extern size_t apitoken_scan(const char *text, size_t len,
							const char *prefix, size_t prefix_len,
							ApitokenScanFound found, void *arg);

#endif							/* APITOKEN_TOKEN_SCAN_H */
