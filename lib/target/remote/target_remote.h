#ifndef TARGET_REMOTE_H
#define TARGET_REMOTE_H

#include "../target.h"

/* A remote host's TCP, reached over a real interface of the prober:
 * `--target remote:ADDR[:PORT]`. docs/targets.md, "remote". */
extern const struct tc_target_ops target_remote_ops;

#endif
