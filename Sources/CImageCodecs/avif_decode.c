/*
 * AVIF decoding with libavif (AV1 through dav1d or libaom), as Pillow decodes AVIF.
 *
 * Output equals Pillow's `ImageOps.exif_transpose(Image.open(f)).convert("RGB")`: libavif's default YUV-to-RGB
 * conversion (bilinear chroma upsampling through libyuv; measured pixel-identical to Pillow 13's libavif 1.4 on the
 * corpus), 8-bit RGB, alpha dropped without compositing. Pillow turns the `irot`/`imir` transforms into an EXIF
 * orientation that exif_transpose then applies, and ignores an EXIF orientation tag of its own: the same is done
 * here, so the picture is upright as a person sees it and `apply_exif_orientation` does not apply (as for HEIC).
 * Of an animated AVIF (image sequence), the first frame is decoded.
 *
 * libavif reports errors as values (no longjmp, no abort). The size from the header is checked against
 * max_pixels before the AV1 data is decoded.
 * libavif's internal YUV planes are freed unwiped (they are libavif's); the RGB buffer is wiped here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <avif/avif.h>
#include "ncc_internal.h"

static int32_t status_for_avif(avifResult code) {
    switch (code) {
    case AVIF_RESULT_OK: return NCC_STATUS_OK;
    case AVIF_RESULT_TRUNCATED_DATA: return NCC_STATUS_TRUNCATED;
    case AVIF_RESULT_OUT_OF_MEMORY: return NCC_STATUS_OUT_OF_MEMORY;
    case AVIF_RESULT_NO_CODEC_AVAILABLE: case AVIF_RESULT_NOT_IMPLEMENTED: case AVIF_RESULT_UNSUPPORTED_DEPTH:
        return NCC_STATUS_UNSUPPORTED_ENCODING;
    default: return NCC_STATUS_CORRUPT_DATA;
    }
}

/* Pillow's mapping of irot (anticlockwise quarter turns) and imir (mode 1: left-right, 0: top-bottom) to EXIF. */
static int32_t orientation_of(const avifImage *image) {
    const int irot = (image->transformFlags & AVIF_TRANSFORM_IROT) != 0, imir = (image->transformFlags & AVIF_TRANSFORM_IMIR) != 0;
    const int left_right = image->imir.mode != 0;
    switch (irot ? image->irot.angle : 0) {
    case 1: return imir ? (left_right ? 7 : 5) : 8;
    case 2: return imir ? (left_right ? 4 : 2) : 3;
    case 3: return imir ? (left_right ? 5 : 7) : 6;
    default: return imir ? (left_right ? 2 : 4) : 1;
    }
}

/* 1 when a top-level box says it extends past the end of the data: libavif 0.11 then reports only that parsing
 * failed, but the file was cut short. */
static int box_runs_past_end(const uint8_t *data, size_t size) {
    size_t offset = 0;
    while (size - offset >= 8) {
        uint64_t box = (uint64_t)data[offset] << 24 | (uint64_t)data[offset + 1] << 16 | (uint64_t)data[offset + 2] << 8 | data[offset + 3];
        if (box == 1) {
            if (size - offset < 16) return 1;
            box = 0;
            for (int i = 8; i < 16; i++) box = box << 8 | data[offset + i];
        }
        if (box == 0) return 0; /* extends to the end by definition */
        if (box < 8) return 0;  /* malformed, not short */
        if (box > size - offset) return 1;
        offset += (size_t)box;
    }
    return offset != size;
}

int32_t ncc_decode_avif(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result) {
    memset(result, 0, sizeof *result);
    result->orientation = 1;
    result->scale_denom = 1;
    result->frame_count = 1;
    const int64_t max_pixels = options->max_pixels < 0 ? 0 : options->max_pixels;

    avifDecoder *decoder = avifDecoderCreate();
    if (decoder == NULL) return NCC_STATUS_OUT_OF_MEMORY;
    /* libavif's own limit (refused as a bare "parse failed") is kept at or above ours, so that our check right after
     * parsing, which names the problem, is the one that refuses a picture over max_pixels. */
    const int64_t library_limit = max_pixels > 16384LL * 16384LL ? max_pixels : 16384LL * 16384LL;
    decoder->imageSizeLimit = (uint32_t)(library_limit < 0xffffffffLL ? library_limit : 0xffffffffLL);
    decoder->ignoreExif = AVIF_TRUE; /* orientation comes from irot/imir only, as in Pillow */
    decoder->ignoreXMP = AVIF_TRUE;
    decoder->maxThreads = 1;         /* callers decode many files at once; one thread per picture */
    int32_t status = NCC_STATUS_OK;
    avifRGBImage rgb;
    memset(&rgb, 0, sizeof rgb);
    uint8_t *pixels = NULL;
    size_t byte_count = 0;

    avifResult code = avifDecoderSetIOMemory(decoder, data, size);
    if (code == AVIF_RESULT_OK) code = avifDecoderParse(decoder);
    if (code != AVIF_RESULT_OK) {
        status = (code == AVIF_RESULT_BMFF_PARSE_FAILED && box_runs_past_end(data, size)) ? NCC_STATUS_TRUNCATED : status_for_avif(code);
        ncc_set_underlying(result, avifResultToString(code));
        goto done;
    }
    const uint32_t width = decoder->image->width, height = decoder->image->height;
    if (width == 0 || height == 0) {
        snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "%ux%u pixels", width, height);
        status = NCC_STATUS_INVALID_DIMENSIONS;
        goto done;
    }
    if ((uint64_t)width * (uint64_t)height > (uint64_t)max_pixels) { /* before any AV1 data is decoded */
        snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "%ux%u pixels", width, height);
        status = NCC_STATUS_TOO_MANY_PIXELS;
        goto done;
    }
    result->frame_count = decoder->imageCount > 0 ? decoder->imageCount : 1;
    code = avifDecoderNextImage(decoder);
    if (code != AVIF_RESULT_OK) { status = status_for_avif(code); ncc_set_underlying(result, avifResultToString(code)); goto done; }
    if (decoder->image->width != width || decoder->image->height != height) {
        ncc_set_underlying(result, "decoded image does not match its header");
        status = NCC_STATUS_CORRUPT_DATA;
        goto done;
    }

    avifRGBImageSetDefaults(&rgb, decoder->image); /* default chroma upsampling: what Pillow gets */
    rgb.format = AVIF_RGB_FORMAT_RGB;
    rgb.depth = 8;
    byte_count = (size_t)width * (size_t)height * 3;
    pixels = malloc(byte_count);
    if (pixels == NULL) { status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
    rgb.pixels = pixels; /* our buffer, so that it is wiped; tightly packed rows */
    rgb.rowBytes = width * 3;
    code = avifImageYUVToRGB(decoder->image, &rgb);
    if (code != AVIF_RESULT_OK) { status = status_for_avif(code); ncc_set_underlying(result, avifResultToString(code)); goto done; }

    result->pixels = pixels;
    result->byte_count = byte_count;
    pixels = NULL;
    result->width = (int32_t)width;
    result->height = (int32_t)height;
    result->channels = 3;
    const int32_t orientation = orientation_of(decoder->image);
    result->full_width = (int32_t)(orientation >= 5 ? height : width);
    result->full_height = (int32_t)(orientation >= 5 ? width : height);
    status = ncc_apply_orientation(result, orientation); /* always: the file's own transforms, not EXIF */

done:
    ncc_wipe_free(pixels, byte_count);
    avifDecoderDestroy(decoder);
    return status;
}
