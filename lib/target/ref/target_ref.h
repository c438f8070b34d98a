#ifndef TARGET_REF_H
#define TARGET_REF_H

#include "../target.h"

/* The bundled reference stack, in process, in virtual time. */
extern const struct tc_target_ops target_ref_ops;

#endif
