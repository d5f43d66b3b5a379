/*
 * HEIC/HEIF decoding with libheif (HEVC through libde265; it could read AVIF too, but nccmatch decodes AVIF with
 * libavif, as Pillow does: avif_decode.c).
 *
 * The primary image is decoded, never the file's thumbnail. libheif applies the file's own transforms
 * (clean aperture crop, `irot` rotation, `imir` mirror) while decoding, so the pixels come out as a person
 * sees the picture. EXIF orientation is deliberately NOT applied on top: in HEIF the transforms above are the
 * orientation (an iPhone writes irot plus a matching EXIF tag), and pillow-heif and iOS both apply only the
 * transforms (pillow-heif resets the EXIF tag to 1 for that reason). `result->orientation` stays 1.
 *
 * Output equals pillow-heif's `Image.open(f).convert("RGB")`: 8-bit interleaved RGB (more than 8 bits per sample
 * is reduced by libheif, as pillow-heif does by default), alpha dropped without compositing.
 *
 * Colour conversion: the system's libheif 1.15 turns YCbCr into RGB in floating point, while the libheif 1.23 inside
 * pillow-heif uses an 8-bit fixed-point routine for full-range 8-bit 4:2:0 (every iPhone photo): the two differ by 1
 * on a few percent of pixels, enough to move PDQ bits on flat pictures. For such files (HEVC, every hvcC 8-bit 4:2:0,
 * a full-range nclx with a known matrix) we ask libheif for the YCbCr planes, transforms applied, and convert them
 * here with that fixed-point arithmetic (nearest chroma sample). Anything else goes through libheif's own RGB.
 *
 * Such files, and 8-bit 4:2:0 HEVC files without an nclx (their colour then comes from the HEVC stream), whose
 * primary image is one HEVC picture or a grid of them, with at most a top-left clap and an irot (every iPhone photo),
 * are first tried with FFmpeg's HEVC decoder (heif_hevc.c): libheif still reads the container (its checks, the size
 * and the colour), then heif_hevc.c decodes about twice as fast as libde265 1.0.11 and takes a grid tile by tile.
 * Its samples are exact HEVC decoding, which libde265 1.0.11 is not everywhere (it differs from pillow-heif's 1.1.3
 * on a few pixels in a thousand); anything it does not handle, or any failure, continues here with libheif.
 *
 * Fast mode (min_short_side > 0) on a picture over 24 megapixels: the RGB is averaged over 2x2, 4x4 or 8x8 blocks
 * while it is made, one row at a time (short side kept at min_short_side or more, as WebP's scaled decoding does), so
 * the full-size RGB never exists: only libheif's decoded planes do. When the caller prefers luma (fast mode), the
 * FFmpeg path gives 1 channel, the luma the hashers would take from its RGB, and makes no RGB at all (heif_hevc.c;
 * not for a nearly flat picture or a grid under 24 megapixels).
 *
 * libheif reports errors as values (no longjmp, no abort); they are mapped to NCC_STATUS_* here.
 * Buffers libheif allocates internally (the compressed data, intermediate planes of its own conversions) are freed
 * by libheif without being wiped; the planes of the image handed back here are wiped before libheif frees them.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libheif/heif.h>
#include "ncc_internal.h"

static void init_libheif(void) { heif_init(NULL); } /* loads the built-in decoders once; never deinitialised */

static int32_t status_for_heif_error(struct heif_error error) {
    if (error.subcode == heif_suberror_Security_limit_exceeded) {
        /* libheif files its limits under "memory allocation error": the image-size one is our pixel limit,
         * the others (box sizes, item counts) are refused absurd structures, i.e. damaged data. */
        return (error.message != NULL && strstr(error.message, "image size") != NULL) ? NCC_STATUS_TOO_MANY_PIXELS : NCC_STATUS_CORRUPT_DATA;
    }
    switch (error.code) {
    case heif_error_Ok: return NCC_STATUS_OK;
    case heif_error_Memory_allocation_error: return NCC_STATUS_OUT_OF_MEMORY;
    case heif_error_Unsupported_feature: case heif_error_Unsupported_filetype:
        return NCC_STATUS_UNSUPPORTED_ENCODING;
    default: break;
    }
    switch (error.subcode) {
    case heif_suberror_End_of_data: return NCC_STATUS_TRUNCATED;
    case heif_suberror_Invalid_image_size: return NCC_STATUS_INVALID_DIMENSIONS;
    case heif_suberror_Unsupported_codec: case heif_suberror_Unsupported_image_type:
    case heif_suberror_Unsupported_color_conversion:
        return NCC_STATUS_UNSUPPORTED_ENCODING;
    default: return NCC_STATUS_CORRUPT_DATA;
    }
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* 1 when the file's top-level meta box holds at least one hvcC and every hvcC says 8-bit 4:2:0 (chroma_format_idc 1,
 * bit depths 8); 0 otherwise (AVIF, 4:4:4, 10-bit, anything unexpected). Every offset is bounds-checked. */
static int hevc_is_8bit_420(const uint8_t *data, size_t size) {
    size_t offset = 0;
    while (size - offset >= 8) {
        uint64_t box = be32(data + offset);
        size_t header = 8;
        if (box == 1) { /* 64-bit size */
            if (size - offset < 16) return 0;
            box = (uint64_t)be32(data + offset + 8) << 32 | be32(data + offset + 12);
            header = 16;
        } else if (box == 0) {
            box = size - offset;
        }
        if (box < header || box > size - offset) return 0;
        if (memcmp(data + offset + 4, "meta", 4) == 0) {
            int found = 0;
            const uint8_t *meta = data + offset;
            for (size_t i = header + 4; i + 4 + 19 <= (size_t)box; i++) {
                if (memcmp(meta + i, "hvcC", 4) != 0) continue;
                const uint8_t *record = meta + i + 4; /* HEVCDecoderConfigurationRecord */
                if ((record[16] & 3) != 1 || (record[17] & 7) != 0 || (record[18] & 7) != 0) return 0;
                found = 1;
            }
            return found;
        }
        offset += (size_t)box;
    }
    return 0;
}

/* libheif's Kr/Kb for the matrices it converts with fixed point; 0 for others (then libheif converts). */
static int kr_kb(int matrix, float *kr, float *kb) {
    switch (matrix) {
    case 1: *kr = 0.2126f; *kb = 0.0722f; return 1;         /* BT.709 */
    case 5: case 6: *kr = 0.299f; *kb = 0.114f; return 1;   /* BT.601 */
    case 9: *kr = 0.2627f; *kb = 0.0593f; return 1;         /* BT.2020 non-constant luminance */
    default: return 0;
    }
}

static uint8_t clip_u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* 8-bit 4:2:0 YCbCr to interleaved RGB in libheif 1.23's fixed point (coefficients x256, +128, arithmetic >> 8). */
typedef struct ycbcr_source {
    const uint8_t *yp, *cbp, *crp;
    int y_stride, cb_stride, cr_stride;
    int r_cr, b_cb, g_cb, g_cr;
} ycbcr_source;

static ycbcr_source ycbcr_open(const struct heif_image *image, float kr, float kb) {
    ycbcr_source s;
    s.yp = heif_image_get_plane_readonly(image, heif_channel_Y, &s.y_stride);
    s.cbp = heif_image_get_plane_readonly(image, heif_channel_Cb, &s.cb_stride);
    s.crp = heif_image_get_plane_readonly(image, heif_channel_Cr, &s.cr_stride);
    const float kg = kb + kr - 1.0f;
    s.r_cr = (int)lroundf(256 * (2 * (-kr + 1)));
    s.b_cb = (int)lroundf(256 * (2 * (-kb + 1)));
    s.g_cb = (int)lroundf(256 * (2 * kb * (-kb + 1) / kg));
    s.g_cr = (int)lroundf(256 * (2 * kr * (-kr + 1) / kg));
    return s;
}

static void ycbcr420_row_to_rgb(const ycbcr_source *s, int y, int width, uint8_t *o) {
    const uint8_t *yr = s->yp + (size_t)y * (size_t)s->y_stride;
    const uint8_t *cbr = s->cbp + (size_t)(y / 2) * (size_t)s->cb_stride, *crr = s->crp + (size_t)(y / 2) * (size_t)s->cr_stride;
    for (int x = 0; x < width; x++) {
        const int cb = cbr[x / 2] - 128, cr = crr[x / 2] - 128, v = yr[x];
        o[3 * x] = clip_u8(v + ((s->r_cr * cr + 128) >> 8)); /* >> of a negative int: arithmetic on every compiler we build with */
        o[3 * x + 1] = clip_u8(v + ((s->g_cb * cb + s->g_cr * cr + 128) >> 8));
        o[3 * x + 2] = clip_u8(v + ((s->b_cb * cb + 128) >> 8));
    }
}

/* Pictures of at most this many pixels get full-size RGB in fast mode too (then downscaled as PNG is): block
 * averaging moved two nearly flat corpus pictures (PDQ quality 23 and 1) 44 and 38 bits from exact, and below this
 * size the full-size RGB costs little memory (72 MB at 24 MP). */
#define NCC_HEIF_AVERAGE_ABOVE_PIXELS 24000000LL

/* The largest of 8, 4, 2 that keeps the short side (rounded up) at least `min_short_side`; 1 when none does, or
 * when the picture is small enough for its full-size RGB. */
static int fast_denominator(int width, int height, int min_short_side) {
    if (min_short_side <= 0 || (long long)width * height <= NCC_HEIF_AVERAGE_ABOVE_PIXELS) return 1;
    for (int denom = 8; denom >= 2; denom /= 2) {
        const int w = (width + denom - 1) / denom, h = (height + denom - 1) / denom;
        if ((w < h ? w : h) >= min_short_side) return denom;
    }
    return 1;
}

/* Fast mode: the RGB picture averaged over denom x denom blocks (the last row and column of blocks over what they
 * cover), made one full-size row at a time, so the full-size RGB never exists. `row_at(y, row)` fills one RGB row.
 * Returns the malloc'ed ceil(width/denom) x ceil(height/denom) RGB, or NULL when memory runs out. */
static uint8_t *box_downscale(int width, int height, int denom, void (*row_at)(const void *, int, uint8_t *), const void *context,
                              size_t *byte_count) {
    const int out_width = (width + denom - 1) / denom, out_height = (height + denom - 1) / denom;
    *byte_count = (size_t)out_width * (size_t)out_height * 3;
    uint8_t *out = malloc(*byte_count);
    uint8_t *row = malloc((size_t)width * 3);
    uint32_t *sums = calloc((size_t)out_width * 3, sizeof *sums);
    if (out == NULL || row == NULL || sums == NULL) {
        free(out);
        free(row);
        free(sums);
        return NULL;
    }
    for (int oy = 0; oy < out_height; oy++) {
        const int y0 = oy * denom, y1 = y0 + denom < height ? y0 + denom : height;
        memset(sums, 0, (size_t)out_width * 3 * sizeof *sums);
        for (int y = y0; y < y1; y++) {
            row_at(context, y, row);
            for (int x = 0; x < width; x++) {
                uint32_t *sum = sums + (size_t)(x / denom) * 3;
                sum[0] += row[3 * x];
                sum[1] += row[3 * x + 1];
                sum[2] += row[3 * x + 2];
            }
        }
        uint8_t *o = out + (size_t)oy * (size_t)out_width * 3;
        for (int ox = 0; ox < out_width; ox++) {
            const int x0 = ox * denom, x1 = x0 + denom < width ? x0 + denom : width;
            const uint32_t count = (uint32_t)((x1 - x0) * (y1 - y0));
            for (int c = 0; c < 3; c++) o[3 * ox + c] = (uint8_t)((sums[3 * ox + c] + count / 2) / count);
        }
    }
    explicit_bzero(row, (size_t)width * 3);
    explicit_bzero(sums, (size_t)out_width * 3 * sizeof *sums);
    free(row);
    free(sums);
    return out;
}

typedef struct ycbcr_rows { ycbcr_source source; int width; } ycbcr_rows;
static void ycbcr_row_at(const void *context, int y, uint8_t *row) {
    const ycbcr_rows *r = context;
    ycbcr420_row_to_rgb(&r->source, y, r->width, row);
}

typedef struct rgb_rows { const uint8_t *plane; int stride, width; } rgb_rows;
static void rgb_row_at(const void *context, int y, uint8_t *row) {
    const rgb_rows *r = context;
    memcpy(row, r->plane + (size_t)y * (size_t)r->stride, (size_t)r->width * 3);
}

/* Zeroes every plane of a libheif image before it is released (libheif frees them unwiped). */
static void wipe_and_release(struct heif_image *image) {
    if (image == NULL) return;
    static const enum heif_channel channels[] = { heif_channel_Y, heif_channel_Cb, heif_channel_Cr, heif_channel_R,
        heif_channel_G, heif_channel_B, heif_channel_Alpha, heif_channel_interleaved };
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
        if (!heif_image_has_channel(image, channels[i])) continue;
        int stride = 0;
        uint8_t *plane = heif_image_get_plane(image, channels[i], &stride);
        const int rows = heif_image_get_height(image, channels[i]);
        if (plane != NULL && rows > 0 && stride > 0) explicit_bzero(plane, (size_t)stride * (size_t)rows);
    }
    heif_image_release(image);
}

static int32_t fail(ncc_decode_result *result, struct heif_error error, int32_t status) {
    ncc_set_underlying(result, error.message);
    return status != NCC_STATUS_OK ? status : status_for_heif_error(error);
}

int32_t ncc_decode_heif(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_libheif);
    memset(result, 0, sizeof *result);
    result->orientation = 1;
    result->scale_denom = 1;
    const int64_t max_pixels = options->max_pixels < 0 ? 0 : options->max_pixels;

    struct heif_context *context = heif_context_alloc();
    if (context == NULL) return NCC_STATUS_OUT_OF_MEMORY;
    /* Side limit = pixel limit (like PNG): with the product check below, libheif allocates nothing absurd,
     * also for the tiles of a grid image, which it checks against this limit one by one. */
    heif_context_set_maximum_image_size_limit(context, (int)(max_pixels < 0x7fffffff ? (max_pixels > 0 ? max_pixels : 1) : 0x7fffffff));
    struct heif_image_handle *handle = NULL;
    struct heif_image *image = NULL;
    struct heif_decoding_options *decoding = NULL;
    int32_t status = NCC_STATUS_OK;

    struct heif_error error = heif_context_read_from_memory_without_copy(context, data, size, NULL);
    if (error.code != heif_error_Ok) { status = fail(result, error, NCC_STATUS_OK); goto done; }
    error = heif_context_get_primary_image_handle(context, &handle);
    if (error.code != heif_error_Ok) { status = fail(result, error, NCC_STATUS_OK); goto done; }

    /* The size after the transforms, from the header: checked before any pixel is decoded. */
    const int width = heif_image_handle_get_width(handle), height = heif_image_handle_get_height(handle);
    if (width <= 0 || height <= 0) {
        snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "the primary image is %dx%d pixels", width, height);
        status = NCC_STATUS_INVALID_DIMENSIONS;
        goto done;
    }
    /* The coded size before a clean-aperture crop (ispe) is what gets decoded: a tiny crop of a huge declared
     * image must not pass. */
    const int coded_width = heif_image_handle_get_ispe_width(handle), coded_height = heif_image_handle_get_ispe_height(handle);
    if ((uint64_t)width * (uint64_t)height > (uint64_t)max_pixels
        || (coded_width > 0 && coded_height > 0 && (uint64_t)coded_width * (uint64_t)coded_height > (uint64_t)max_pixels)) {
        snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "%dx%d pixels", coded_width > width ? coded_width : width,
                 coded_height > height ? coded_height : height);
        status = NCC_STATUS_TOO_MANY_PIXELS;
        goto done;
    }

    decoding = heif_decoding_options_alloc();
    if (decoding == NULL) { status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
    decoding->ignore_transformations = 0; /* crop, irot and imir applied: the picture as a person sees it */
    decoding->convert_hdr_to_8bit = 1;    /* 10/12-bit files give 8-bit RGB, as pillow-heif's default does */
    float kr = 0, kb = 0;
    int own_conversion = 0;
    if (hevc_is_8bit_420(data, size)) {
        struct heif_color_profile_nclx *nclx = NULL;
        if (heif_image_handle_get_nclx_color_profile(handle, &nclx).code == heif_error_Ok && nclx != NULL) {
            own_conversion = nclx->full_range_flag && kr_kb((int)nclx->matrix_coefficients, &kr, &kb);
        } else {
            /* No nclx (an ICC profile instead, or nothing): heif_hevc.c takes the colour the HEVC stream states, as
             * libheif 1.23 does, when it is full range with a known matrix; otherwise libheif 1.15 converts. */
            const int denom = fast_denominator(width, height, options->min_short_side);
            if (ncc_heif_decode_hevc(data, size, width, height, 0, 0, denom, options->prefer_luma != 0, max_pixels, result) == NCC_STATUS_OK) {
                heif_nclx_color_profile_free(nclx);
                goto done;
            }
        }
        heif_nclx_color_profile_free(nclx);
    }
    if (own_conversion) {
        /* FFmpeg's HEVC decoder when the layout is one it handles (heif_hevc.c): the same pixels, faster, and a grid
         * image tile by tile; anything else, or any failure there, continues here with libheif. */
        const int hevc_denom = fast_denominator(width, height, options->min_short_side);
        if (ncc_heif_decode_hevc(data, size, width, height, kr, kb, hevc_denom, options->prefer_luma != 0, max_pixels, result) == NCC_STATUS_OK) goto done;
        error = heif_decode_image(handle, &image, heif_colorspace_YCbCr, heif_chroma_420, decoding);
        if (error.code != heif_error_Ok) { status = fail(result, error, NCC_STATUS_OK); goto done; }
        const int cw = heif_image_get_width(image, heif_channel_Cb), ch = heif_image_get_height(image, heif_channel_Cb);
        if (heif_image_get_chroma_format(image) != heif_chroma_420
            || heif_image_get_width(image, heif_channel_Y) != width || heif_image_get_height(image, heif_channel_Y) != height
            || cw != (width + 1) / 2 || ch != (height + 1) / 2
            || heif_image_get_width(image, heif_channel_Cr) != cw || heif_image_get_height(image, heif_channel_Cr) != ch
            || heif_image_get_bits_per_pixel_range(image, heif_channel_Y) != 8
            || heif_image_get_bits_per_pixel_range(image, heif_channel_Cb) != 8
            || heif_image_get_bits_per_pixel_range(image, heif_channel_Cr) != 8) {
            ncc_set_underlying(result, "decoded image does not match its header");
            status = NCC_STATUS_CORRUPT_DATA;
            goto done;
        }
        const ycbcr_rows rows = { ycbcr_open(image, kr, kb), width };
        const int denom = fast_denominator(width, height, options->min_short_side);
        size_t byte_count = (size_t)width * (size_t)height * 3;
        uint8_t *pixels = NULL;
        if (denom > 1) {
            pixels = box_downscale(width, height, denom, ycbcr_row_at, &rows, &byte_count);
        } else if ((pixels = malloc(byte_count)) != NULL) {
            for (int y = 0; y < height; y++) ycbcr420_row_to_rgb(&rows.source, y, width, pixels + (size_t)y * (size_t)width * 3);
        }
        if (pixels == NULL) { status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
        result->pixels = pixels;
        result->byte_count = byte_count;
        result->width = (width + denom - 1) / denom;
        result->height = (height + denom - 1) / denom;
        result->full_width = width;
        result->full_height = height;
        result->scale_denom = denom;
        result->channels = 3;
        goto done;
    }
    error = heif_decode_image(handle, &image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, decoding);
    if (error.code != heif_error_Ok) { status = fail(result, error, NCC_STATUS_OK); goto done; }

    int stride = 0;
    uint8_t *plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
    const int out_width = heif_image_get_width(image, heif_channel_interleaved);
    const int out_height = heif_image_get_height(image, heif_channel_interleaved);
    if (plane == NULL || out_width != width || out_height != height || stride < width * 3
        || heif_image_get_bits_per_pixel_range(image, heif_channel_interleaved) != 8) {
        ncc_set_underlying(result, "decoded image does not match its header");
        status = NCC_STATUS_CORRUPT_DATA;
        goto done;
    }
    const size_t row_bytes = (size_t)width * 3;
    const int denom = fast_denominator(width, height, options->min_short_side);
    size_t byte_count = row_bytes * (size_t)height;
    uint8_t *pixels = NULL;
    if (denom > 1) {
        const rgb_rows rows = { plane, stride, width };
        pixels = box_downscale(width, height, denom, rgb_row_at, &rows, &byte_count);
    } else if ((pixels = malloc(byte_count)) != NULL) {
        for (int y = 0; y < height; y++) memcpy(pixels + (size_t)y * row_bytes, plane + (size_t)y * (size_t)stride, row_bytes);
    }
    if (pixels == NULL) { status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
    result->pixels = pixels;
    result->byte_count = byte_count;
    result->width = (width + denom - 1) / denom;
    result->height = (height + denom - 1) / denom;
    result->full_width = width;
    result->full_height = height;
    result->scale_denom = denom;
    result->channels = 3;

done:
    wipe_and_release(image); /* the decoded planes are the picture too */
    if (decoding != NULL) heif_decoding_options_free(decoding);
    if (handle != NULL) heif_image_handle_release(handle);
    heif_context_free(context);
    return status;
}
