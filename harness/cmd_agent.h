#ifndef TC_CMD_AGENT_H
#define TC_CMD_AGENT_H

#include <stdio.h>

/* `tcpconform agent`: argv[0] is "agent". Returns the exit status. */
int cmd_agent(int argc, char **argv);
void agent_usage(FILE *out);

#endif
