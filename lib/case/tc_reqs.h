/* The requirements of RFC 9293 (Appendix B, "TCP Requirement Summary"):
 * MUST-n, SHLD-n and MAY-n, which cases name in `requirements:` and which
 * `tcpconform coverage` maps to the cases that check them. */
#ifndef TC_REQS_H
#define TC_REQS_H

#include <stddef.h>

enum tc_level {
	TC_LEVEL_MUST,
	TC_LEVEL_MUST_NOT,
	TC_LEVEL_SHOULD,
	TC_LEVEL_SHOULD_NOT,
	TC_LEVEL_MAY,
};

struct tc_reqspec {
	const char *id; /* "MUST-36" */
	enum tc_level level; /* the column of Appendix B's table */
	const char *feature;
	/* Why no case can check it from the wire; NULL when one can. */
	const char *unobservable;
};

/* Every requirement, MUSTs first, each kind in number order. */
const struct tc_reqspec *tc_reqs_all(size_t *n);
const struct tc_reqspec *tc_reqs_find(const char *id);
const char *tc_level_name(enum tc_level l);

#endif
