/* SPDX-License-Identifier: Apache-2.0 */
/* Watch the settings file for changes made underneath the daemon (MDM,
 * editors, config management) with inotify. The directory is watched, not
 * the file, so an atomic rename over the file is seen too; bursts of events
 * are debounced into one call. */
#ifndef LOCKSET_WATCH_H
#define LOCKSET_WATCH_H

#define WATCH_DEBOUNCE_MS 150

struct watch;

/* Start a thread that calls on_change(arg) (from that thread) once the file
 * at path has been written, created or renamed into place and no further
 * event arrived for WATCH_DEBOUNCE_MS. Returns the watch, or NULL (logged;
 * the daemon still reloads on SIGHUP). */
struct watch *watch_start(const char *path, void (*on_change)(void *arg), void *arg);
/* Stop the thread and free the watch. NULL is fine. */
void watch_stop(struct watch *wa);

#endif
