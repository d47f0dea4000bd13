/* SPDX-License-Identifier: Apache-2.0 */
/* SipHash-2-4 with a 128-bit output (Aumasson and Bernstein): a fast keyed
 * pseudorandom function for short inputs. Used to turn a counter into ids
 * nobody can predict without the key. */
#ifndef LOCKSET_SIPHASH_H
#define LOCKSET_SIPHASH_H

#include <stddef.h>

/* out = SipHash-2-4-128(key, in[0..len)), the two 64-bit halves written
 * little-endian, as the reference implementation does. */
void siphash24_128(const unsigned char key[16], const void *in, size_t len, unsigned char out[16]);

#endif
