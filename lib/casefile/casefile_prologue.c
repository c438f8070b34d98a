/* Prologues a case names with `- use: NAME` instead of repeating them: the
 * handshakes most cases start from, written once, with the per-target
 * expectations they need. A prologue's steps count as the case's own (step
 * numbers, deviations' `step:`), and each is located at the `use:` line. */
#include "casefile_int.h"

#include <string.h>

static const struct {
	const char *name;
	const char *steps; /* a YAML sequence of steps */
} prologues[] = {
	/* RFC 9293 3.5 figure 6, from the side that connects */
	{"active-open",
	 "- app: connect\n"
	 "- expect: {flags: S, seq: 0, options: [mss]}\n"
	 "  on:\n"
	 "    lwip: {options: [mss, wscale], reason: \"lwIP 2.1.3 (LWIP_WND_SCALE in Debian's build) offers window "
	 "scaling on its SYN, as RFC 7323 2.2 lets it; the peer's SYN,ACK carries none, so neither side scales\"}\n"
	 "- state: SYN-SENT\n"
	 "- send:   {flags: SA, seq: 0, ack: 1, win: 65535, options: [mss 1460]}\n"
	 "- expect: {flags: A, seq: 1, ack: 1, options: []}\n"
	 "- state: ESTABLISHED\n"},
	/* the same from the listening side */
	{"passive-open",
	 "- app: listen\n"
	 "- state: LISTEN\n"
	 "- send:   {flags: S, seq: 0, win: 65535, options: [mss 1460]}\n"
	 "- expect: {flags: SA, seq: 0, ack: 1, options: [mss]}\n"
	 "- state: SYN-RECEIVED\n"
	 "- send:   {flags: A, seq: 1, ack: 1}\n"
	 "- state: ESTABLISHED\n"},
};

#define NPROLOGUES (sizeof(prologues) / sizeof(prologues[0]))

const char *cf_prologue_steps(const char *name)
{
	for (size_t i = 0; i < NPROLOGUES; i++)
		if (strcmp(prologues[i].name, name) == 0)
			return prologues[i].steps;
	return NULL;
}

void cf_prologue_names(char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NPROLOGUES && n < cap; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", prologues[i].name);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}
