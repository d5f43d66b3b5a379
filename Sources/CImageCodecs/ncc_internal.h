/* Helpers shared by the JPEG and PNG decoders (not part of the public header). */
#ifndef NCC_INTERNAL_H
#define NCC_INTERNAL_H

#include "CImageCodecs.h"

/* Zeroes then frees a pixel buffer (NULL is fine): pixels of a private picture must not linger in freed memory. */
void ncc_wipe_free(void *pointer, size_t size);

/* Rewrites result->pixels upright for EXIF `orientation` (2...8), updating width/height.
 * Returns NCC_STATUS_OK or NCC_STATUS_OUT_OF_MEMORY (then result->pixels is wiped, freed and NULL). */
int32_t ncc_apply_orientation(ncc_decode_result *result, int32_t orientation);

/* Copies `text` into result->underlying, truncated, always NUL-terminated. */
void ncc_set_underlying(ncc_decode_result *result, const char *text);

#endif
