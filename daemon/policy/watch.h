/* SPDX-License-Identifier: Apache-2.0 */
/* Watch the settings file for changes made underneath the daemon (MDM,
 * editors, config management) with inotify. The directory is watched, not
 * the file, so an atomic rename over the file is seen too; bursts of events
 * are debounced into one call. */
#ifndef LOCKSET_WATCH_H
#define LOCKSET_WATCH_H

#define WATCH_DEBOUNCE_MS 150

/* Start a thread that calls on_change (from that thread) once the file at
 * path has been written, created or renamed into place and no further event
 * arrived for WATCH_DEBOUNCE_MS. Returns 0, or -1 (logged; the daemon still
 * reloads on SIGHUP). */
int watch_start(const char *path, void (*on_change)(void *arg), void *arg);
/* Stop the thread. Safe to call when not started. */
void watch_stop(void);

#endif
