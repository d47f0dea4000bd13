/* SPDX-License-Identifier: Apache-2.0 */
/* SipHash-2-4-128, written from the paper: four 64-bit lanes, two rounds per
 * 8-byte block, four rounds for each half of the output. */
#include "siphash.h"

#include <stdint.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void
rounds(struct sip *s, int n)
{
	while (n-- > 0) {
		s->v0 += s->v1;
		s->v1 = ROTL(s->v1, 13) ^ s->v0;
		s->v0 = ROTL(s->v0, 32);
		s->v2 += s->v3;
		s->v3 = ROTL(s->v3, 16) ^ s->v2;
		s->v0 += s->v3;
		s->v3 = ROTL(s->v3, 21) ^ s->v0;
		s->v2 += s->v1;
		s->v1 = ROTL(s->v1, 17) ^ s->v2;
		s->v2 = ROTL(s->v2, 32);
	}
}

static uint64_t
load_le(const unsigned char *p, size_t n)
{
	uint64_t x = 0;

	for (size_t i = n; i > 0; i--)
		x = x << 8 | p[i - 1];
	return x;
}

static void
store_le(uint64_t x, unsigned char *p)
{
	for (int i = 0; i < 8; i++, x >>= 8)
		p[i] = (unsigned char)x;
}

static void
absorb(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	rounds(s, 2);
	s->v0 ^= m;
}

void
siphash24_128(const unsigned char key[16], const void *in, size_t len, unsigned char out[16])
{
	const unsigned char *p = in;
	uint64_t k0 = load_le(key, 8), k1 = load_le(key + 8, 8);
	struct sip s = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL ^ 0xee,
	                k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		absorb(&s, load_le(p + i, 8));
	absorb(&s, (uint64_t)len << 56 | load_le(p + i, len - i));
	s.v2 ^= 0xee;
	rounds(&s, 4);
	store_le(s.v0 ^ s.v1 ^ s.v2 ^ s.v3, out);
	s.v1 ^= 0xdd;
	rounds(&s, 4);
	store_le(s.v0 ^ s.v1 ^ s.v2 ^ s.v3, out + 8);
}
