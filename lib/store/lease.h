/*
 * lease.h -- a lease beside every lock, so that a lock has one holder
 * across hosts even where flock() excludes only the processes of one host
 * (Lustre mounted with localflock, some NFS setups).
 *
 * flock() stays the lock: on one host it excludes, and it frees itself
 * when its holder dies.  The lease is the guard between hosts.  Whoever
 * gets the flock of LOCK (EXP/lock, trials/tNNNNNN/lock) also takes
 * LOCK.lease: key=value lines naming the holder (host, pid, boot id, a
 * random token) and when the lease expires, written to a temporary file
 * and linked or renamed into place.  A heartbeat thread renews every lease
 * this process holds once a third of it has gone (it looks every sixth of
 * the lease, at least once a second), and releasing the lock removes it.  A taker that got the flock
 *
 *   - refuses a lease of ANOTHER host (another name or boot id) until
 *     now > expires + grace: HPO_ELOCKED, naming its holder;
 *   - takes over one of its own host at once: the flock says that holder
 *     is gone (or handed the lock to this process, as a worker hands a
 *     trial's lock to its runner);
 *   - takes over an expired one (its holder vanished without releasing:
 *     killed, its node lost), says so in a notice, and keeps it only if,
 *     a moment later, the file still names it (two takers at once: the
 *     last rename wins, the other backs off).
 *
 * Assumptions (README.md, "Several hosts"): the hosts' clocks agree to
 * within the grace, half the lease (NTP keeps them within milliseconds); no
 * holder stalls (SIGSTOP, swap) for over half the lease; the filesystem
 * shows a renamed file to other hosts within the lease (on NFS keep the
 * lease above the attribute cache time, acregmax).
 *
 * $HPO_LEASE_S sets the lease (seconds, default 60; 0 turns leases off);
 * $HPO_HOSTNAME the host name recorded (core/util.h, host_name()).
 *
 * A lease that cannot be written (a full disk) does not fail the lock: the
 * heartbeat writes it when it can, and the flock still excludes this
 * host's processes meanwhile.
 */
#ifndef HPO_LEASE_H
#define HPO_LEASE_H

#include <stddef.h>

/* The lease of LOCK, for the holder of its flock (descriptor fd, which
 * names this hold until lease_release/lease_handoff).  HPO_ELOCKED when
 * another host's lease is live, with `who` (if not NULL) describing its
 * holder ("host H pid P, its lease expiring in N s unless renewed"). */
int lease_acquire(const char *lock_path, int fd, char *who, size_t n);
/* Before closing fd: stop renewing and remove the lease if it is still
 * this process's. */
void lease_release(int fd);
/* Before closing fd that a child process on this host inherited and holds
 * on: stop renewing, and leave the lease for that process to take over. */
void lease_handoff(int fd);
/* Whether another host holds a live lease of LOCK (a lock whose flock is
 * free here may be held there); `who` as for lease_acquire. */
int lease_held_elsewhere(const char *lock_path, char *who, size_t n);

#endif
