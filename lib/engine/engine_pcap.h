/* A case run's exchange as a capture file: named from the case's path,
 * every packet commented with the step that sent or read it, the failing
 * step's packet with why it failed. Used by engine.c only. */
#ifndef ENGINE_PCAP_H
#define ENGINE_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* Whether a run with this verdict leaves a capture. */
bool engine_pcap_due(enum engine_pcap_when when, enum tc_verdict v);

/* The file name for a case path, without folder, family or extension:
 * "cases/close/x.yaml" -> "close-x". Leading "/", "./" and "../" and a
 * leading "cases/" are dropped, '/' becomes '-', spaces and control
 * characters become '_', and so does a leading '-' or '.'. -1 when it does
 * not fit in cap (never cut short). */
int engine_pcap_name(const char *case_path, char *out, size_t cap);

/* Writes r's exchange under o->pcap_dir, from the target's wire when it
 * has one (t is still open) and else from r->events; start_us is the
 * case's start on the target's clock. r->pcap_path says where, or
 * "(not written: why)". */
void engine_pcap_save(const struct tc_case *c, const struct engine_opts *o, struct tc_target *t, uint64_t start_us,
		      struct engine_result *r);

#endif
