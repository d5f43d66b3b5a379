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
static void ycbcr420_to_rgb(const struct heif_image *image, float kr, float kb, uint8_t *out, int width, int height) {
    int y_stride = 0, cb_stride = 0, cr_stride = 0;
    const uint8_t *yp = heif_image_get_plane_readonly(image, heif_channel_Y, &y_stride);
    const uint8_t *cbp = heif_image_get_plane_readonly(image, heif_channel_Cb, &cb_stride);
    const uint8_t *crp = heif_image_get_plane_readonly(image, heif_channel_Cr, &cr_stride);
    const float kg = kb + kr - 1.0f;
    const int r_cr = (int)lroundf(256 * (2 * (-kr + 1))), b_cb = (int)lroundf(256 * (2 * (-kb + 1)));
    const int g_cb = (int)lroundf(256 * (2 * kb * (-kb + 1) / kg)), g_cr = (int)lroundf(256 * (2 * kr * (-kr + 1) / kg));
    for (int y = 0; y < height; y++) {
        const uint8_t *yr = yp + (size_t)y * (size_t)y_stride;
        const uint8_t *cbr = cbp + (size_t)(y / 2) * (size_t)cb_stride, *crr = crp + (size_t)(y / 2) * (size_t)cr_stride;
        uint8_t *o = out + (size_t)y * (size_t)width * 3;
        for (int x = 0; x < width; x++) {
            const int cb = cbr[x / 2] - 128, cr = crr[x / 2] - 128, v = yr[x];
            o[3 * x] = clip_u8(v + ((r_cr * cr + 128) >> 8)); /* >> of a negative int: arithmetic on every compiler we build with */
            o[3 * x + 1] = clip_u8(v + ((g_cb * cb + g_cr * cr + 128) >> 8));
            o[3 * x + 2] = clip_u8(v + ((b_cb * cb + 128) >> 8));
        }
    }
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
        }
        heif_nclx_color_profile_free(nclx);
    }
    if (own_conversion) {
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
        const size_t byte_count = (size_t)width * (size_t)height * 3;
        uint8_t *pixels = malloc(byte_count);
        if (pixels == NULL) { status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
        ycbcr420_to_rgb(image, kr, kb, pixels, width, height);
        result->pixels = pixels;
        result->byte_count = byte_count;
        result->width = result->full_width = width;
        result->height = result->full_height = height;
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
    const size_t byte_count = row_bytes * (size_t)height;
    uint8_t *pixels = malloc(byte_count);
    if (pixels == NULL) { status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
    for (int y = 0; y < height; y++) memcpy(pixels + (size_t)y * row_bytes, plane + (size_t)y * (size_t)stride, row_bytes);
    result->pixels = pixels;
    result->byte_count = byte_count;
    result->width = result->full_width = width;
    result->height = result->full_height = height;
    result->channels = 3;

done:
    wipe_and_release(image); /* the decoded planes are the picture too */
    if (decoding != NULL) heif_decoding_options_free(decoding);
    if (handle != NULL) heif_image_handle_release(handle);
    heif_context_free(context);
    return status;
}
