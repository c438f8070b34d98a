/* Shared by the report writers; not part of the interface. */
#ifndef REPORT_INT_H
#define REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct report_entry;

/* When s starts with a control character (C0, DEL, or a C1 control in
 * UTF-8), its printable form ("\x1b", "\u009b") goes into buf and the
 * bytes it spans are returned; 0 when s starts with ordinary text.
 * keep_newlines lets '\n' and '\t' through. */
size_t report_ctl(const char *s, bool keep_newlines, char buf[8]);

/* The lines the console prints under a FAIL or ERROR line (location,
 * message, pcap, RFC references), escaped for a terminal; the JUnit
 * failure text is the same lines. */
void report_failure_detail(FILE *out, const struct report_entry *e);

#endif
