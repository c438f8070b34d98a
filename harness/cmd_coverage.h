#ifndef CMD_COVERAGE_H
#define CMD_COVERAGE_H

#include <stdio.h>

/* `tcpconform coverage [--all] [PATH...]`: every requirement of RFC 9293
 * Appendix B, the cases that name it, and why a requirement no case can
 * check from the wire is left out. */
int cmd_coverage(int argc, char **argv);
void coverage_usage(FILE *out);

#endif
