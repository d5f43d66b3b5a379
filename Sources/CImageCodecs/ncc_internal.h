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

/* EXIF orientation (accepts an "Exif\0\0" prefix): 1...8 when the tag is present (1 if its value is invalid),
 * 0 when the block or the tag is missing or malformed. */
int32_t ncc_exif_orientation_or_zero(const uint8_t *tiff, size_t size);

/* Orientation from XMP text (`tiff:Orientation="N"` or `<tiff:Orientation>N`): 1...8, or 1 when absent/invalid.
 * Used only when EXIF has no orientation tag, as Pillow does. */
int32_t ncc_xmp_orientation(const uint8_t *xmp, size_t size);

/* Orientation from a PNG "Raw profile type exif" text (hex-encoded EXIF): like ncc_exif_orientation_or_zero. */
int32_t ncc_raw_profile_exif_orientation(const uint8_t *text, size_t size);

/* A GIF colour table as 256 RGB entries (gif_decode.c; the still and the animation decoders share it): the gray ramp
 * when there is no table, black past the table's end. */
struct ColorMapObject;
void ncc_gif_fill_palette(const struct ColorMapObject *map, uint8_t palette[256][3]);

/* heif_hevc.c: decodes a HEIC whose primary image is one 8-bit 4:2:0 HEVC picture or a grid of them, at most one
 * irot and a clap keeping the top-left corner, with FFmpeg's HEVC decoder; converts with Kr/Kb (full range; both 0:
 * the full-range matrix the HEVC stream states, for files without nclx) into result (RGB, or 1 channel of its luma when
 * `luma` is nonzero; averaged over denom x denom
 * blocks when denom > 1). `width`/`height`: the size after the rotation, as libheif read it. Returns NCC_STATUS_OK,
 * or NCC_HEVC_NOT_HANDLED for any layout not handled there and any failure (then result is untouched). */
#define NCC_HEVC_NOT_HANDLED (-1)
int32_t ncc_heif_decode_hevc(const uint8_t *data, size_t size, int width, int height, float kr, float kb, int denom,
                             int luma, int64_t max_pixels, ncc_decode_result *result);

#endif
