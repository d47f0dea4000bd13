/* SPDX-License-Identifier: Apache-2.0 */
/* One pass over a JSON text, counting its nesting, objects and values (see
 * jsonscan.h). */
#include "jsonscan.h"

size_t
jsonscan_check(const char *s, size_t len, const struct jsonscan_limits *lim)
{
	size_t values = 1, objects = 0;
	int in_str = 0, depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[' || c == ',') {
			values++;
			objects += c == '{';
			depth += c != ',';
		} else if (c == '}' || c == ']') {
			depth--;
		}
		if (depth > lim->depth || objects > lim->objects || values > lim->values)
			return i;
	}
	return len;
}
