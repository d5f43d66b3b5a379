/*
 * HEIC/HEIF and AVIF decoding with libheif (HEVC through libde265, AV1 through dav1d or libaom).
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
 * libheif reports errors as values (no longjmp, no abort); they are mapped to NCC_STATUS_* here.
 * Buffers libheif allocates internally (the compressed data, the decoder's YCbCr planes) are freed by libheif
 * without being wiped; the RGB plane handed back here is wiped before libheif frees it.
 */
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
    if (image != NULL) {
        int wipe_stride = 0;
        uint8_t *plane_to_wipe = heif_image_get_plane(image, heif_channel_interleaved, &wipe_stride);
        const int rows = heif_image_get_height(image, heif_channel_interleaved);
        /* libheif frees its planes without wiping them: the RGB copy of the picture is zeroed here first. */
        if (plane_to_wipe != NULL && rows > 0 && wipe_stride > 0) explicit_bzero(plane_to_wipe, (size_t)wipe_stride * (size_t)rows);
        heif_image_release(image);
    }
    if (decoding != NULL) heif_decoding_options_free(decoding);
    if (handle != NULL) heif_image_handle_release(handle);
    heif_context_free(context);
    return status;
}
