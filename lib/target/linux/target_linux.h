#ifndef TARGET_LINUX_H
#define TARGET_LINUX_H

#include "../target.h"

/* The local Linux kernel's TCP, in a network namespace made for each case
 * and played against from a second one over a veth; real time. */
extern const struct tc_target_ops target_linux_ops;

#endif
