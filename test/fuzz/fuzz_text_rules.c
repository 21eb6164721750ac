/*
 * fuzz_text_rules.c
 *	  libFuzzer target: arbitrary bytes into apitoken_text_is_blank().
 *
 * Properties: no crash or undefined behaviour (ASan/UBSan); in UTF-8 mode
 * a text is blank exactly when a slow, separate reading of it (every
 * sequence decoded by its lead byte and checked for overlong forms,
 * surrogates and range) finds only white space code points; in the
 * byte mode, exactly when every byte is ASCII white space.
 */
#include <stdlib.h>

#include "text_rules.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the reference reading of a UTF-8 text: all white space? */
static int
slow_blank(const uint8_t *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		uint32_t	c;
		size_t		len;
		size_t		k;

		if (s[i] < 0x80)
			len = 1;
		else if ((s[i] & 0xE0) == 0xC0)
			len = 2;
		else if ((s[i] & 0xF0) == 0xE0)
			len = 3;
		else if ((s[i] & 0xF8) == 0xF0)
			len = 4;
		else
			return 0;
		if (i + len > n)
			return 0;
		c = len == 1 ? s[i] : s[i] & (0x7F >> len);
		for (k = 1; k < len; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			c = c * 64 + (s[i + k] & 0x3F);
		}
		if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
			(len == 4 && c < 0x10000) || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		if (!apitoken_codepoint_is_space(c))
			return 0;
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		i;
	int			ascii = 1;

	if (apitoken_text_is_blank((const char *) data, size, true) != slow_blank(data, size))
		abort();
	for (i = 0; i < size; i++)
		ascii &= (data[i] == ' ' || (data[i] >= 0x09 && data[i] <= 0x0D) ||
				  (data[i] >= 0x1C && data[i] <= 0x1F));
	if (apitoken_text_is_blank((const char *) data, size, false) != ascii)
		abort();
	return 0;
}
