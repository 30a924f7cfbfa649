/* Element-level helpers for kiln-run: seeded random fill, printing, top-K. */
#ifndef KILN_RUN_TENSOR_VALUES_H
#define KILN_RUN_TENSOR_VALUES_H

#include "kiln/model_format.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Fills `count` elements with values from a splitmix64 stream in *state:
 * floats uniform in [-1, 1), bools 0 or 1, other integers in [0, 10). */
void kiln_fill_random(kiln_dtype dtype, void *data, size_t count,
                      uint64_t *state);

/* Writes element i of data as text ("%g" for floats). */
void kiln_format_value(char *buf, size_t size, kiln_dtype dtype,
                       const void *data, size_t i);

/* Writes the indices of the k largest elements (NaN counting as smallest,
 * ties to the lower index) into top, largest first; k <= count. */
void kiln_top_k(kiln_dtype dtype, const void *data, size_t count, size_t k,
                size_t *top);

#endif /* KILN_RUN_TENSOR_VALUES_H */
