/* SPDX-License-Identifier: Apache-2.0 */
/* SipHash-2-4-128 against the reference vectors (key 00..0f, message
 * 00..len-1), including the block boundaries. */
#include "check.h"
#include "util/siphash.h"

static void
hex(const unsigned char *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
test_reference_vectors(void)
{
	static const struct {
		size_t len;
		const char *tag;
	} v[] = {
	    {0, "a3817f04ba25a8e66df67214c7550293"}, {1, "da87c1d86b99af44347659119b22fc45"},
	    {2, "8177228da4a45dc7fca38bdef60affe4"}, {3, "9c70b60c5267a94e5f33b6b02985ed51"},
	    {4, "f88164c12d9c8faf7d0f6e7c7bcd5579"}, {5, "1368875980776f8854527a07690e9627"},
	    {6, "14eeca338b208613485ea0308fd7a15e"}, {7, "a1f1ebbed8dbc153c0b84aa61ff08239"},
	    {8, "3b62a9ba6258f5610f83e264f31497b4"}, {9, "264499060ad9baabc47f8b02bb6d71ed"},
	};
	unsigned char key[16], msg[16], out[16];
	char got[33];

	for (int i = 0; i < 16; i++)
		key[i] = msg[i] = (unsigned char)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		siphash24_128(key, msg, v[i].len, out);
		hex(out, 16, got);
		CHECK_STR_EQ(got, v[i].tag);
	}
}

static void
test_key_changes_everything(void)
{
	unsigned char k1[16] = {0}, k2[16] = {0}, a[16], b[16];
	unsigned long long n = 1;

	k2[15] = 1;
	siphash24_128(k1, &n, sizeof(n), a);
	siphash24_128(k2, &n, sizeof(n), b);
	CHECK(memcmp(a, b, 16) != 0);
	n = 2;
	siphash24_128(k1, &n, sizeof(n), b);
	CHECK(memcmp(a, b, 16) != 0);
}

int
main(void)
{
	RUN(test_reference_vectors);
	RUN(test_key_changes_everything);
	return CHECK_DONE();
}
