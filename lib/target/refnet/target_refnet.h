#ifndef TARGET_REFNET_H
#define TARGET_REFNET_H

#include "../target.h"

/* The bundled stack as a process of its own (`tcpconform agent --stack
 * ref`) on a veth in a namespace, in real time: the wire path of the ref
 * stack, driven like a far host through the agent protocol. */
extern const struct tc_target_ops target_refnet_ops;

#endif
