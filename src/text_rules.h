/*-------------------------------------------------------------------------
 *
 * text_rules.h
 *	  Rules on user-supplied text, with no PostgreSQL dependency.
 *
 * One definition of a "blank" token name for every path that stores one
 * (create(), the guard trigger on UPDATE): a name is blank when every code
 * point in it is white space by any definition PostgreSQL's regular
 * expressions may apply to [[:space:]] in some locale: Unicode's
 * White_Space property, plus the ASCII information separators U+001C to
 * U+001F that ICU's u_isspace() counts as space.  Being a superset, no
 * locale-dependent rule can call a name blank that this rule accepts.
 *
 * Plain C99, unit tested in test/fuzz/codec_unit.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APITOKEN_TEXT_RULES_H
#define APITOKEN_TEXT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* true if the code point is white space (see above) */
extern bool apitoken_codepoint_is_space(uint32_t c);

/*
 * true if s (len bytes of UTF-8, need not be NUL-terminated) is empty or
 * only white space; with utf8 false, s is read byte by byte and only the
 * ASCII white space characters count (other server encodings).  Invalid
 * UTF-8 is not blank.
 */
extern bool apitoken_text_is_blank(const char *s, size_t len, bool utf8);

#endif							/* APITOKEN_TEXT_RULES_H */
