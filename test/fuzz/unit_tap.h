/*
 * unit_tap.h
 *	  What the unit tests (codec_unit.c, scan_unit.c) share: TAP output
 *	  and a small deterministic PRNG.  Each test program includes it once.
 */
#ifndef APITOKEN_UNIT_TAP_H
#define APITOKEN_UNIT_TAP_H

#include <stdio.h>

static int	n_tests = 0;
static int	n_failed = 0;

/* record one TAP result */
static void
ok(int cond, const char *what)
{
	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n_tests, what);
}

/* print the plan; the exit status: non-zero on any failure */
static int
done_testing(void)
{
	printf("1..%d\n", n_tests);
	return n_failed == 0 ? 0 : 1;
}

/* a small deterministic PRNG (xorshift64) */
static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static unsigned int
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned int) (rng_state >> 32);
}

#endif							/* APITOKEN_UNIT_TAP_H */
