/*-------------------------------------------------------------------------
 *
 * text_rules.c
 *	  Rules on user-supplied text, with no PostgreSQL dependency; see
 *	  text_rules.h for the definition of blank and why it is a superset.
 *
 *-------------------------------------------------------------------------
 */
#include "text_rules.h"

/* true if the code point is white space (see text_rules.h) */
bool
apitoken_codepoint_is_space(uint32_t c)
{
	if (c <= 0x7F)
		return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
	switch (c)
	{
		case 0x85:				/* next line */
		case 0xA0:				/* no-break space */
		case 0x1680:			/* ogham space mark */
		case 0x2028:			/* line separator */
		case 0x2029:			/* paragraph separator */
		case 0x202F:			/* narrow no-break space */
		case 0x205F:			/* medium mathematical space */
		case 0x3000:			/* ideographic space */
			return true;
		default:
			return c >= 0x2000 && c <= 0x200A;	/* en quad .. hair space */
	}
}

/*
 * Decode one UTF-8 sequence at s (at most len bytes) into *c; returns its
 * length, or 0 if it is not valid UTF-8 (overlong forms included).
 */
static size_t
utf8_next(const unsigned char *s, size_t len, uint32_t *c)
{
	size_t		n;
	size_t		i;
	uint32_t	v;

	if (s[0] < 0x80)
	{
		*c = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
	{
		n = 2;
		v = s[0] & 0x1F;
	}
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
	{
		n = 3;
		v = s[0] & 0x0F;
	}
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
	{
		n = 4;
		v = s[0] & 0x07;
	}
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
		(v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*c = v;
	return n;
}

/* true if s is empty or only white space (see text_rules.h) */
bool
apitoken_text_is_blank(const char *s, size_t len, bool utf8)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		uint32_t	c;
		size_t		n;

		if (utf8)
			n = utf8_next(p + i, len - i, &c);
		else
		{
			c = p[i] < 0x80 ? p[i] : 0x80;	/* non-ASCII: never space */
			n = 1;
		}
		if (n == 0 || !apitoken_codepoint_is_space(c))
			return false;
		i += n;
	}
	return true;
}
