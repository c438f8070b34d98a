/* Transitions of the kernel's TCP from the tracepoint
 * sock:inet_sock_set_state, read in a tracefs instance of our own so that
 * the global trace buffer and every global tracing setting stay untouched.
 *
 * The tracepoint is host-wide, not per network namespace: the instance's
 * filter keeps the events of one port, and the reader keeps those whose
 * addresses match too. Two namespaces using the same addresses and port
 * cannot be told apart; parallel workers need ports of their own.
 *
 * What the tracepoint does not report (docs/linux-states.md has the table):
 * request socks (the SYN-RECEIVED of a passive open before its final ACK;
 * the child socket reports LISTEN -> SYN_RECV -> ESTABLISHED when that ACK
 * arrives), and timewait entries: entering TIME-WAIT, or the FIN-WAIT-2 of
 * a socket the application closed, is reported as <state> -> CLOSE because
 * the full socket is freed. Read those states with linux_diag.
 *
 * Instances are named tcpconform-<pid>-<n> and must never outlive the
 * process: linux_trace_close removes its own, linux_trace_remove_all_signal_safe
 * is for a SIGINT/SIGTERM handler, and linux_trace_remove_stale clears the
 * ones of processes that died by SIGKILL. */
#ifndef TC_LINUX_TRACE_H
#define TC_LINUX_TRACE_H

#include <stdint.h>

#include "../../err/tc_err.h"
#include "../../seg/seg.h"
#include "../target.h"

#define LINUX_TRACEFS "/sys/kernel/tracing"
/* Instances one process may hold at once. */
#define LINUX_TRACE_MAX 64

struct linux_trace;
/* What one run made: its instances, the tracefs pin and whether it mounted
 * tracefs. Thread-safe; the signal path reads it without locking. */
struct linux_trace_reg;

struct linux_trace_reg *linux_trace_reg_new(struct tc_err *err);
/* Every reader of the registry must be closed first. NULL is allowed. */
void linux_trace_reg_free(struct linux_trace_reg *reg);

/* Creates the instance <tracefs>/instances/tcpconform-<pid>-<n>, enables
 * only sock:inet_sock_set_state there with the filter (sport == port ||
 * dport == port) && protocol == IPPROTO_TCP, and opens its trace_pipe
 * non-blocking, registered in reg. Thread-safe.
 *
 * When tracefs is not mounted at LINUX_TRACEFS, open mounts it with
 * "tcpconform" as the mount's source. Processes share that mount, so it
 * goes when the last of our processes using it closes its last instance
 * (even if the one that made it was killed); a mount made by anyone else is
 * never unmounted. */
struct linux_trace *linux_trace_open(struct linux_trace_reg *reg, uint16_t port, struct tc_err *err);

/* Reads every event available now, never blocking, and appends to *out the
 * transitions of the connection local:port <-> peer:peer_port (family 4 or
 * 6; an IPv4 connection of a dual-stack IPv6 socket counts as IPv4). Events
 * of other connections on the port are consumed and dropped, so one reader
 * serves one connection. Listener transitions (CLOSE -> LISTEN) have no
 * peer and are not reported. Fails when *out would overflow. */
int linux_trace_read(struct linux_trace *t, int family, const struct seg_addr *local, uint16_t port,
		     const struct seg_addr *peer, uint16_t peer_port, struct tc_transitions *out, struct tc_err *err);

/* Disables the event, removes the instance, and unmounts tracefs if this
 * process mounted it and holds no other instance. NULL is allowed. */
void linux_trace_close(struct linux_trace *t);

/* Removes the instances tcpconform-<pid>-* of processes that no longer
 * exist (a run killed by SIGKILL). Returns how many, or -1 with err set. A
 * PID reused since then keeps its instance until that process is gone too. */
int linux_trace_remove_stale(struct linux_trace_reg *reg, struct tc_err *err);

/* Async-signal-safe: closes the trace pipes and removes every instance this
 * process made (an instance with an open pipe cannot be removed), then
 * unmounts tracefs if this process mounted it. For a SIGINT/SIGTERM handler
 * that then ends the process: the linux_trace objects are dead afterwards
 * (reads fail, close only frees). */
void linux_trace_remove_all_signal_safe(struct linux_trace_reg *reg);

#endif
