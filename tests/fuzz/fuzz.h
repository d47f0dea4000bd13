/* SPDX-License-Identifier: Apache-2.0 */
/* What every libFuzzer target here shares: the entry points libFuzzer (or the
 * regression runner, regress.c) calls, and small helpers for finding the
 * source tree and reading its files at start-up. */
#ifndef LOCKSET_FUZZ_H
#define LOCKSET_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The source tree: $LOCKSET_SRCDIR, else the directory configure ran from
 * (FUZZ_SRCDIR, set by the build). */
const char *fuzz_srcdir(void);

/* Read a whole file below the source tree (rel is relative to it) into a
 * malloc'd NUL-terminated buffer; aborts when it cannot (a broken build, not
 * an input the target should survive). */
char *fuzz_read_src(const char *rel, size_t *len);

/* Split data at the first '\n': *line gets a malloc'd NUL-terminated copy of
 * what precedes it, data/size advance past it. Returns 0, or -1 when there is
 * no newline (the whole input is then left in place). */
int fuzz_take_line(const uint8_t **data, size_t *size, char **line);

/* A fresh private directory under $TMPDIR (or /tmp), removed with everything
 * in it when the process exits normally. Static storage. */
const char *fuzz_tmpdir(void);

struct decide_request;

/* Judge req against every effective-settings file of the decision cases
 * (tests/cases/decisions/settings/, compiled on first use) and check what
 * decide.h promises whatever the request: a deny names at least one
 * violation, enforce mode allows only without violations, audit mode always
 * allows, every violation has its strings, and the deny message and the
 * violations' JSON can be built. Aborts on a broken promise. */
void fuzz_judge(const struct decide_request *req);

#endif
