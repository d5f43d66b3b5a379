/*
 * WebP decoding with libwebp (lossy VP8, lossless VP8L, alpha, animation through the demuxer).
 *
 * Output equals Pillow's `Image.open(f).convert("RGB")`. Pillow decodes every WebP through WebPAnimDecoder:
 * its first frame is a key frame, decoded straight (no blending) into a canvas cleared to transparent black,
 * and convert("RGB") drops alpha. We do the same without WebPAnimDecoder, whose canvases are freed unwiped:
 * the first frame is decoded into our own zeroed RGB canvas at its offset; the colour stored under transparent
 * pixels is kept, alpha is dropped without compositing (as for PNG).
 *
 * Fast mode (min_short_side > 0) on a still lossy picture uses libwebp's scaled decoding (an area-averaging rescaler
 * inside the decoder), by 1/2, 1/4 or 1/8 as for JPEG, so a large file never needs its full-size RGB. A lossless
 * picture is decoded at full size (see below).
 *
 * libwebp reports errors as values (no longjmp, no abort); the canvas size is checked against max_pixels from
 * the container header before the canvas is allocated. Only the first frame of an animation is decoded, so the
 * number of frames costs parsing time only (bounded by the file's size), never pixel memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include "ncc_internal.h"

static int32_t status_for_vp8(VP8StatusCode code) {
    switch (code) {
    case VP8_STATUS_OK: return NCC_STATUS_OK;
    case VP8_STATUS_OUT_OF_MEMORY: return NCC_STATUS_OUT_OF_MEMORY;
    case VP8_STATUS_UNSUPPORTED_FEATURE: return NCC_STATUS_UNSUPPORTED_ENCODING;
    case VP8_STATUS_NOT_ENOUGH_DATA: case VP8_STATUS_SUSPENDED: return NCC_STATUS_TRUNCATED;
    default: return NCC_STATUS_CORRUPT_DATA;
    }
}

static const char *vp8_message(VP8StatusCode code) {
    switch (code) {
    case VP8_STATUS_OUT_OF_MEMORY: return "libwebp: out of memory";
    case VP8_STATUS_INVALID_PARAM: return "libwebp: invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "libwebp: bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "libwebp: unsupported feature";
    case VP8_STATUS_NOT_ENOUGH_DATA: case VP8_STATUS_SUSPENDED: return "libwebp: not enough data";
    default: return "libwebp: decoding failed";
    }
}

int32_t ncc_decode_webp(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result) {
    memset(result, 0, sizeof *result);
    result->orientation = 1;
    result->scale_denom = 1;
    result->frame_count = 1;
    const int64_t max_pixels = options->max_pixels < 0 ? 0 : options->max_pixels;

    WebPData input = { data, size };
    WebPDemuxState state = WEBP_DEMUX_PARSE_ERROR;
    /* Partial demuxing tells a file cut short (header parsed, frames missing) from one that is not WebP. */
    WebPDemuxer *demux = WebPDemuxPartial(&input, &state);
    if (demux == NULL || state == WEBP_DEMUX_PARSE_ERROR) {
        if (demux != NULL) WebPDemuxDelete(demux);
        ncc_set_underlying(result, state == WEBP_DEMUX_PARSING_HEADER ? "libwebp: header incomplete" : "libwebp: invalid container");
        return state == WEBP_DEMUX_PARSING_HEADER ? NCC_STATUS_TRUNCATED : NCC_STATUS_CORRUPT_DATA;
    }
    if (state == WEBP_DEMUX_PARSING_HEADER) {
        WebPDemuxDelete(demux);
        ncc_set_underlying(result, "libwebp: header incomplete");
        return NCC_STATUS_TRUNCATED;
    }
    const uint32_t width = WebPDemuxGetI(demux, WEBP_FF_CANVAS_WIDTH), height = WebPDemuxGetI(demux, WEBP_FF_CANVAS_HEIGHT);
    if (width == 0 || height == 0) {
        WebPDemuxDelete(demux);
        snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "canvas of %ux%u pixels", width, height);
        return NCC_STATUS_INVALID_DIMENSIONS;
    }
    if ((uint64_t)width * (uint64_t)height > (uint64_t)max_pixels) { /* before any pixel memory exists */
        WebPDemuxDelete(demux);
        snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "%ux%u pixels", width, height);
        return NCC_STATUS_TOO_MANY_PIXELS;
    }
    result->frame_count = (int32_t)WebPDemuxGetI(demux, WEBP_FF_FRAME_COUNT);

    WebPIterator frame;
    memset(&frame, 0, sizeof frame);
    if (!WebPDemuxGetFrame(demux, 1, &frame)) {
        WebPDemuxDelete(demux);
        ncc_set_underlying(result, "libwebp: no frame");
        return state == WEBP_DEMUX_DONE ? NCC_STATUS_CORRUPT_DATA : NCC_STATUS_TRUNCATED;
    }
    int32_t status = NCC_STATUS_OK;
    uint8_t *canvas = NULL;
    size_t canvas_bytes = 0;
    WebPDecoderConfig config;
    if (!frame.complete) { status = NCC_STATUS_TRUNCATED; ncc_set_underlying(result, "libwebp: first frame incomplete"); goto done; }
    if (frame.x_offset < 0 || frame.y_offset < 0 || frame.width <= 0 || frame.height <= 0
        || (uint64_t)frame.x_offset + (uint64_t)frame.width > width || (uint64_t)frame.y_offset + (uint64_t)frame.height > height) {
        status = NCC_STATUS_CORRUPT_DATA; /* the demuxer checks this too; never write outside the canvas */
        ncc_set_underlying(result, "libwebp: frame outside the canvas");
        goto done;
    }
    if (!WebPInitDecoderConfig(&config)) { status = NCC_STATUS_CORRUPT_DATA; ncc_set_underlying(result, "libwebp: version mismatch"); goto done; }
    VP8StatusCode code = WebPGetFeatures(frame.fragment.bytes, frame.fragment.size, &config.input);
    if (code != VP8_STATUS_OK) { status = status_for_vp8(code); ncc_set_underlying(result, vp8_message(code)); goto done; }
    if (config.input.width != frame.width || config.input.height != frame.height) {
        status = NCC_STATUS_CORRUPT_DATA;
        ncc_set_underlying(result, "libwebp: frame size differs from its header");
        goto done;
    }

    /* Scaled decoding only for a still that fills its canvas (an animation's frame sits at an offset). */
    uint32_t out_width = width, out_height = height;
    const int still = frame.x_offset == 0 && frame.y_offset == 0 && (uint32_t)frame.width == width && (uint32_t)frame.height == height;
    /* Not for lossless: its scaled output moved nearly flat pictures up to 56 bits of PDQ from exact (3 of 122 of the
     * corpus over 8); decoded at full size, a lossless WebP takes the PNG path's downscaling, as its pixels are a PNG's. */
    if (options->min_short_side > 0 && still && config.input.format != 2) {
        for (uint32_t denom = 8; denom >= 2; denom /= 2) {
            const uint32_t w = (width + denom - 1) / denom, h = (height + denom - 1) / denom;
            if ((w < h ? w : h) >= (uint32_t)options->min_short_side) {
                out_width = w;
                out_height = h;
                result->scale_denom = (int32_t)denom;
                config.options.use_scaling = 1;
                config.options.scaled_width = (int)w;
                config.options.scaled_height = (int)h;
                break;
            }
        }
    }
    canvas_bytes = (size_t)out_width * (size_t)out_height * 3;
    canvas = calloc(canvas_bytes, 1); /* zeroed: transparent black around a first frame smaller than the canvas */
    if (canvas == NULL) { status = NCC_STATUS_OUT_OF_MEMORY; goto done; }

    const size_t stride = (size_t)out_width * 3;
    config.output.colorspace = MODE_RGB; /* alpha dropped, colour under it kept: Pillow's RGBA -> RGB */
    config.output.is_external_memory = 1; /* libwebp writes into our canvas, which we wipe */
    config.output.u.RGBA.rgba = canvas + (size_t)frame.y_offset * stride + (size_t)frame.x_offset * 3;
    config.output.u.RGBA.stride = (int)stride;
    config.output.u.RGBA.size = canvas_bytes - ((size_t)frame.y_offset * stride + (size_t)frame.x_offset * 3);
    code = WebPDecode(frame.fragment.bytes, frame.fragment.size, &config);
    WebPFreeDecBuffer(&config.output); /* frees nothing of ours (external memory); releases libwebp's bookkeeping */
    if (code != VP8_STATUS_OK) { status = status_for_vp8(code); ncc_set_underlying(result, vp8_message(code)); goto done; }

    result->pixels = canvas;
    result->byte_count = canvas_bytes;
    canvas = NULL;
    result->width = (int32_t)out_width;
    result->height = (int32_t)out_height;
    result->full_width = (int32_t)width;
    result->full_height = (int32_t)height;
    result->channels = 3;

done:
    ncc_wipe_free(canvas, canvas_bytes);
    WebPDemuxReleaseIterator(&frame);
    WebPDemuxDelete(demux);
    return status;
}
