#ifndef CMD_RUN_H
#define CMD_RUN_H

#define TC_VERSION "0.1.0"

int cmd_run(int argc, char **argv);
int cmd_list_targets(void);

#endif
