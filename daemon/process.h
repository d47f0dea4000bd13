/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon as a process (process.c). */
#ifndef LOCKSET_PROCESS_H
#define LOCKSET_PROCESS_H

#include "config.h"
#include "util/problems.h"

#include <stdio.h>
#include <sys/types.h>

/* Problems, one line each, to out (with a prefix) or to the log. */
void process_print_problems(FILE *out, const char *prefix, const struct problems *p);
void process_log_problems(const char *what, const struct problem *v, size_t n, const char *kind);
/* Validate everything --check-config can check without side effects. */
int process_check_config(const struct config *cfg);
/* mkdir -p for the directory that will hold path, with mode for new parts. */
int process_ensure_parent_dir(const char *path, mode_t mode);
/* Fork into the background. The parent waits until the child reports that
 * start-up finished (exit 0) or failed (exit 1). Returns the pipe's write end. */
int process_daemonize(void);
/* Tell the waiting parent (fd from process_daemonize, -1: none) 0 or 1. */
void process_report_ready(int fd, char status);
/* The pid file's directory must be one only root can write to: in a shared
 * one, another user could plant a symbolic link for root to write through,
 * or swap the file. Checked before start-up goes any further. */
int process_pid_dir_check(const char *path);
/* A fresh file, never one that was there: whatever is at path (a stale pid
 * file) is removed, and O_EXCL|O_NOFOLLOW refuse anything that appears in
 * between. */
void process_write_pid_file(const char *path);

#endif
