/*
 * Animated GIF and WebP read frame by frame for video hashing (vPDQ): each frame is composited on one canvas the
 * way the format says, and handed out with its timestamp.
 *
 * GIF (giflib's record-level API, as gif_decode.c): frame 0 is composited exactly as ncc_decode_gif does (the
 * canvas filled with the transparent index, else index 0; every index of the frame written, as Pillow does); later
 * frames leave the canvas under their transparent pixels, and each frame's disposal method is applied before the
 * next one (2: its rectangle painted with its transparent index, else the screen's background index, as Pillow
 * does; 3: its rectangle restored). A delay under 2/100 s counts as 1/10 s, as browsers and FFmpeg's demuxer do.
 * Frames reaching beyond the canvas are clipped (the canvas is the logical screen, enlarged to frame 0 as Pillow
 * does). Rows are decoded one at a time into a row buffer: a frame costs no memory of its own size.
 *
 * WebP (libwebp's demuxer and decoder): the canvas is composited exactly as libwebp's WebPAnimDecoder composites
 * it in RGBA (key frames, disposal to transparent black, non-premultiplied alpha blending with its integer
 * arithmetic, no blending over the rectangle the previous frame disposed), but in buffers of ours that are wiped
 * before they are freed. Frame 0 therefore equals ncc_decode_webp's canvas at full size.
 *
 * Limits: the canvas is checked against max_canvas_pixels before it is allocated; every frame counts against
 * max_frames, and its own rectangle plus the canvas handed out count against max_total_pixels, both checked before
 * the frame is decoded. So an animation "bomb" (a large canvas with thousands of frames) stops at a typed error
 * after a bounded amount of work, and memory never exceeds one canvas, one frame, and (GIF disposal 3) one saved
 * rectangle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gif_lib.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include "ncc_internal.h"

struct ncc_animation {
    int32_t kind;
    ncc_animation_limits limits;
    int64_t next_index, total_pixels, timestamp_ms;
    int32_t width, height;            /* the canvas (GIF: the logical screen until frame 0 enlarges it) */
    uint8_t *canvas;
    size_t canvas_bytes;
    uint8_t *scratch;                 /* GIF: one row of indices; WebP: one frame's RGBA */
    size_t scratch_bytes;
    uint8_t *saved;                   /* GIF disposal 3: the rectangle as it was before the frame */
    size_t saved_bytes;
    /* The previous frame's disposal, applied before the next frame: its rectangle (clipped to the canvas). */
    int32_t prev_disposal;            /* GIF: 0-3; WebP: 1 for dispose to background, else 0 */
    int32_t px, py, pw, ph;
    uint8_t prev_fill[3];             /* GIF disposal 2: the colour painted */
    int32_t prev_key;                 /* WebP: the previous frame was a key frame */
    /* GIF */
    GifFileType *gif;
    const uint8_t *data;
    size_t size, offset;
    int ran_out;
    /* WebP */
    int32_t animated;                 /* more than one frame in the file (GIF: found by walking its blocks) */
    WebPDemuxer *demux;
    int32_t frame_count;
    int32_t complete;                 /* the demuxer parsed the whole file (not cut short) */
};

static void set_text(char *underlying, const char *text) {
    if (underlying == NULL) return;
    snprintf(underlying, NCC_MESSAGE_CAPACITY, "%s", text);
}

/* Counts a frame of `frame_pixels` against the limits before it is decoded. */
static int32_t charge_frame(ncc_animation *a, uint64_t frame_pixels, char *underlying) {
    if (a->next_index >= a->limits.max_frames) {
        snprintf(underlying, NCC_MESSAGE_CAPACITY, "more than %lld frames", (long long)a->limits.max_frames);
        return NCC_STATUS_TOO_MANY_FRAMES;
    }
    const uint64_t cost = frame_pixels + (uint64_t)a->width * (uint64_t)a->height;
    if ((uint64_t)a->total_pixels + cost > (uint64_t)a->limits.max_total_pixels) {
        snprintf(underlying, NCC_MESSAGE_CAPACITY, "more than %lld pixels in all frames", (long long)a->limits.max_total_pixels);
        return NCC_STATUS_TOO_MANY_FRAMES;
    }
    a->total_pixels += (int64_t)cost;
    return NCC_STATUS_OK;
}

/* ---------------------------------------------------------------- GIF */

static int gif_read(GifFileType *gif, GifByteType *out, int length) {
    ncc_animation *a = gif->UserData;
    if (length <= 0) return 0;
    const size_t available = a->size - a->offset;
    const size_t count = (size_t)length <= available ? (size_t)length : available;
    if (count < (size_t)length) a->ran_out = 1;
    memcpy(out, a->data + a->offset, count);
    a->offset += count;
    return (int)count;
}

static int32_t gif_fail(ncc_animation *a, int code, char *underlying) {
    const char *text = GifErrorString(code);
    set_text(underlying, text != NULL ? text : "giflib: decoding failed");
    if (a->ran_out) return NCC_STATUS_TRUNCATED;
    return code == D_GIF_ERR_NOT_ENOUGH_MEM ? NCC_STATUS_OUT_OF_MEMORY : NCC_STATUS_CORRUPT_DATA;
}

static void gif_fill_rect(ncc_animation *a, int32_t x, int32_t y, int32_t w, int32_t h, const uint8_t rgb[3]) {
    for (int32_t row = y; row < y + h; row++) {
        uint8_t *p = a->canvas + ((size_t)row * (size_t)a->width + (size_t)x) * 3;
        for (int32_t col = 0; col < w; col++, p += 3) memcpy(p, rgb, 3);
    }
}

static void gif_copy_rect(ncc_animation *a, int to_canvas) {
    const size_t line = (size_t)a->pw * 3;
    for (int32_t row = 0; row < a->ph; row++) {
        uint8_t *c = a->canvas + ((size_t)(a->py + row) * (size_t)a->width + (size_t)a->px) * 3;
        uint8_t *s = a->saved + (size_t)row * line;
        if (to_canvas) memcpy(c, s, line); else memcpy(s, c, line);
    }
}

static int32_t gif_next(ncc_animation *a, ncc_animation_frame *frame, char *underlying) {
    /* The previous frame's disposal. */
    if (a->prev_disposal == 2) gif_fill_rect(a, a->px, a->py, a->pw, a->ph, a->prev_fill);
    else if (a->prev_disposal == 3 && a->saved != NULL) gif_copy_rect(a, 1);
    a->prev_disposal = 0;

    int transparent = -1, disposal = 0, delay = 0;
    for (;;) {
        GifRecordType record;
        if (DGifGetRecordType(a->gif, &record) == GIF_ERROR) return gif_fail(a, a->gif->Error, underlying);
        if (record == TERMINATE_RECORD_TYPE) {
            if (a->next_index == 0) { set_text(underlying, "giflib: no image in the file"); return NCC_STATUS_CORRUPT_DATA; }
            return NCC_STATUS_END;
        }
        if (record == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *block = NULL;
            if (DGifGetExtension(a->gif, &code, &block) == GIF_ERROR) return gif_fail(a, a->gif->Error, underlying);
            if (code == GRAPHICS_EXT_FUNC_CODE && block != NULL && block[0] >= 4) {
                transparent = (block[1] & 1) ? block[4] : -1;
                disposal = (block[1] >> 2) & 7;
                delay = block[2] | (block[3] << 8);
            }
            while (block != NULL) {
                if (DGifGetExtensionNext(a->gif, &block) == GIF_ERROR) return gif_fail(a, a->gif->Error, underlying);
            }
            continue;
        }
        if (record == IMAGE_DESC_RECORD_TYPE) break;
    }
    if (DGifGetImageDesc(a->gif) == GIF_ERROR) return gif_fail(a, a->gif->Error, underlying);
    const GifImageDesc *desc = &a->gif->Image;
    if (desc->Width <= 0 || desc->Height <= 0 || desc->Left < 0 || desc->Top < 0) {
        snprintf(underlying, NCC_MESSAGE_CAPACITY, "frame %lld is %dx%d", (long long)a->next_index, desc->Width, desc->Height);
        return NCC_STATUS_INVALID_DIMENSIONS;
    }
    if (a->next_index == 0) {
        /* The canvas: the logical screen, enlarged to frame 0 (Pillow); checked before it exists. */
        const uint64_t right = (uint64_t)desc->Left + (uint64_t)desc->Width, bottom = (uint64_t)desc->Top + (uint64_t)desc->Height;
        const uint64_t width = right > (uint64_t)a->width ? right : (uint64_t)a->width;
        const uint64_t height = bottom > (uint64_t)a->height ? bottom : (uint64_t)a->height;
        if (width * height > (uint64_t)a->limits.max_canvas_pixels) {
            snprintf(underlying, NCC_MESSAGE_CAPACITY, "%llux%llu pixels", (unsigned long long)width, (unsigned long long)height);
            return NCC_STATUS_TOO_MANY_PIXELS;
        }
        a->width = (int32_t)width;
        a->height = (int32_t)height;
    }
    int32_t status = charge_frame(a, (uint64_t)desc->Width * (uint64_t)desc->Height, underlying);
    if (status != NCC_STATUS_OK) return status;
    if (a->canvas == NULL) {
        a->canvas_bytes = (size_t)a->width * (size_t)a->height * 3;
        a->canvas = malloc(a->canvas_bytes);
        if (a->canvas == NULL) { set_text(underlying, "out of memory for the canvas"); return NCC_STATUS_OUT_OF_MEMORY; }
    }
    if (a->scratch_bytes < (size_t)desc->Width) {
        ncc_wipe_free(a->scratch, a->scratch_bytes);
        a->scratch_bytes = (size_t)desc->Width;
        a->scratch = malloc(a->scratch_bytes);
        if (a->scratch == NULL) { a->scratch_bytes = 0; set_text(underlying, "out of memory for a row"); return NCC_STATUS_OUT_OF_MEMORY; }
    }
    uint8_t palette[256][3];
    ncc_gif_fill_palette(desc->ColorMap != NULL ? desc->ColorMap : a->gif->SColorMap, palette);
    const int first = a->next_index == 0;
    if (first) gif_fill_rect(a, 0, 0, a->width, a->height, palette[transparent >= 0 ? transparent : 0]);

    /* The frame's rectangle on the canvas, clipped. */
    a->px = desc->Left < a->width ? desc->Left : a->width;
    a->py = desc->Top < a->height ? desc->Top : a->height;
    a->pw = (int32_t)((int64_t)desc->Left + desc->Width <= a->width ? desc->Width : a->width - a->px);
    a->ph = (int32_t)((int64_t)desc->Top + desc->Height <= a->height ? desc->Height : a->height - a->py);
    if (disposal == 3 && a->pw > 0 && a->ph > 0) {
        const size_t need = (size_t)a->pw * (size_t)a->ph * 3;
        if (a->saved_bytes < need) {
            ncc_wipe_free(a->saved, a->saved_bytes);
            a->saved_bytes = need;
            a->saved = malloc(need);
            if (a->saved == NULL) { a->saved_bytes = 0; set_text(underlying, "out of memory for disposal"); return NCC_STATUS_OUT_OF_MEMORY; }
        }
        gif_copy_rect(a, 0);
    }

    static const int starts[4] = { 0, 4, 2, 1 }, steps[4] = { 8, 8, 4, 2 };
    const int passes = desc->Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; pass++) {
        const int start = desc->Interlace ? starts[pass] : 0, step = desc->Interlace ? steps[pass] : 1;
        for (int row = start; row < desc->Height; row += step) {
            if (DGifGetLine(a->gif, a->scratch, desc->Width) == GIF_ERROR) return gif_fail(a, a->gif->Error, underlying);
            if (row >= a->ph) continue;
            uint8_t *out = a->canvas + ((size_t)(a->py + row) * (size_t)a->width + (size_t)a->px) * 3;
            for (int32_t x = 0; x < a->pw; x++, out += 3) {
                const uint8_t index = a->scratch[x];
                if (!first && index == transparent) continue;
                memcpy(out, palette[index], 3);
            }
        }
    }
    if (disposal == 2 || disposal == 3) {
        a->prev_disposal = disposal;
        const int fill = transparent >= 0 ? transparent : a->gif->SBackGroundColor;
        memcpy(a->prev_fill, palette[fill & 0xff], 3);
    }
    if (delay < 2) delay = 10;
    frame->pixels = a->canvas;
    frame->width = a->width;
    frame->height = a->height;
    frame->channels = 3;
    frame->index = a->next_index++;
    frame->timestamp_ms = a->timestamp_ms;
    frame->duration_ms = delay * 10;
    a->timestamp_ms += delay * 10;
    return NCC_STATUS_OK;
}

/* Whether a GIF holds at least two images, found by walking its blocks without decoding any (bounded by the size). */
static int gif_has_two_images(const uint8_t *data, size_t size) {
    if (size < 13) return 0;
    size_t at = 13;
    if (data[10] & 0x80) at += 3u << ((data[10] & 7) + 1);
    int images = 0;
    while (at < size) {
        const uint8_t kind = data[at++];
        if (kind == 0x21) {
            if (at >= size) return 0;
            at++; /* the label */
        } else if (kind == 0x2C) {
            if (++images >= 2) return 1;
            if (at + 9 > size) return 0;
            const uint8_t packed = data[at + 8];
            at += 9;
            if (packed & 0x80) at += 3u << ((packed & 7) + 1);
            at++; /* LZW minimum code size */
        } else {
            return 0; /* the trailer, or damage */
        }
        while (at < size && data[at] != 0) at += (size_t)data[at] + 1; /* sub-blocks */
        at++;
    }
    return 0;
}

/* ---------------------------------------------------------------- WebP */

static int32_t webp_status(VP8StatusCode code, char *underlying) {
    switch (code) {
    case VP8_STATUS_OUT_OF_MEMORY: set_text(underlying, "libwebp: out of memory"); return NCC_STATUS_OUT_OF_MEMORY;
    case VP8_STATUS_UNSUPPORTED_FEATURE: set_text(underlying, "libwebp: unsupported feature"); return NCC_STATUS_UNSUPPORTED_ENCODING;
    case VP8_STATUS_NOT_ENOUGH_DATA: case VP8_STATUS_SUSPENDED: set_text(underlying, "libwebp: not enough data"); return NCC_STATUS_TRUNCATED;
    default: set_text(underlying, "libwebp: bitstream error"); return NCC_STATUS_CORRUPT_DATA;
    }
}

/* libwebp's BlendPixelNonPremult (anim_decode.c), on RGBA bytes: `src` over `dst`, the result in `src`. */
static void webp_blend(uint8_t *src, const uint8_t *dst) {
    const uint32_t src_a = src[3];
    if (src_a == 0) { memcpy(src, dst, 4); return; }
    const uint32_t dst_factor_a = ((uint32_t)dst[3] * (256 - src_a)) >> 8;
    const uint32_t blend_a = (src_a + dst_factor_a) & 0xff;
    const uint32_t scale = (1u << 24) / blend_a;
    for (int c = 0; c < 3; c++) {
        const uint32_t unscaled = (uint32_t)src[c] * src_a + (uint32_t)dst[c] * dst_factor_a;
        src[c] = (uint8_t)((unscaled * scale) >> 24);
    }
    src[3] = (uint8_t)blend_a;
}

static int webp_full(const ncc_animation *a, int w, int h) { return w == a->width && h == a->height; }

static int32_t webp_next(ncc_animation *a, ncc_animation_frame *frame, char *underlying) {
    if (a->next_index >= a->frame_count) {
        if (a->complete) return NCC_STATUS_END;
        set_text(underlying, "libwebp: the file ends before its last frame");
        return NCC_STATUS_TRUNCATED;
    }
    WebPIterator iter;
    memset(&iter, 0, sizeof iter);
    if (!WebPDemuxGetFrame(a->demux, (int)a->next_index + 1, &iter)) {
        set_text(underlying, "libwebp: frame missing");
        return NCC_STATUS_TRUNCATED;
    }
    int32_t status = NCC_STATUS_OK;
    if (!iter.complete) { set_text(underlying, "libwebp: frame incomplete"); status = NCC_STATUS_TRUNCATED; goto done; }
    if (iter.x_offset < 0 || iter.y_offset < 0 || iter.width <= 0 || iter.height <= 0
        || (int64_t)iter.x_offset + iter.width > a->width || (int64_t)iter.y_offset + iter.height > a->height) {
        set_text(underlying, "libwebp: frame outside the canvas");
        status = NCC_STATUS_CORRUPT_DATA;
        goto done;
    }
    status = charge_frame(a, (uint64_t)iter.width * (uint64_t)iter.height, underlying);
    if (status != NCC_STATUS_OK) goto done;
    if (a->canvas == NULL) {
        a->canvas_bytes = (size_t)a->width * (size_t)a->height * 4;
        a->canvas = calloc(a->canvas_bytes, 1);
        if (a->canvas == NULL) { set_text(underlying, "out of memory for the canvas"); status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
    }
    const size_t need = (size_t)iter.width * (size_t)iter.height * 4;
    if (a->scratch_bytes < need) {
        ncc_wipe_free(a->scratch, a->scratch_bytes);
        a->scratch_bytes = need;
        a->scratch = malloc(need);
        if (a->scratch == NULL) { a->scratch_bytes = 0; set_text(underlying, "out of memory for a frame"); status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
    }
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) { set_text(underlying, "libwebp: version mismatch"); status = NCC_STATUS_CORRUPT_DATA; goto done; }
    VP8StatusCode code = WebPGetFeatures(iter.fragment.bytes, iter.fragment.size, &config.input);
    if (code != VP8_STATUS_OK) { status = webp_status(code, underlying); goto done; }
    if (config.input.width != iter.width || config.input.height != iter.height) {
        set_text(underlying, "libwebp: frame size differs from its header");
        status = NCC_STATUS_CORRUPT_DATA;
        goto done;
    }
    config.output.colorspace = MODE_RGBA;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = a->scratch;
    config.output.u.RGBA.stride = iter.width * 4;
    config.output.u.RGBA.size = need;
    code = WebPDecode(iter.fragment.bytes, iter.fragment.size, &config);
    WebPFreeDecBuffer(&config.output);
    if (code != VP8_STATUS_OK) { status = webp_status(code, underlying); goto done; }

    /* WebPAnimDecoder's IsKeyFrame. */
    const int key = a->next_index == 0
        || ((!iter.has_alpha || iter.blend_method == WEBP_MUX_NO_BLEND) && webp_full(a, iter.width, iter.height))
        || (a->prev_disposal == 1 && (webp_full(a, a->pw, a->ph) || a->prev_key));
    const size_t stride = (size_t)a->width * 4;
    if (key) {
        memset(a->canvas, 0, a->canvas_bytes);
    } else if (a->prev_disposal == 1) {
        for (int32_t y = a->py; y < a->py + a->ph; y++) memset(a->canvas + (size_t)y * stride + (size_t)a->px * 4, 0, (size_t)a->pw * 4);
    }
    const int blend = !key && iter.blend_method == WEBP_MUX_BLEND;
    for (int y = 0; y < iter.height; y++) {
        const int cy = iter.y_offset + y;
        const int in_prev_row = a->prev_disposal == 1 && cy >= a->py && cy < a->py + a->ph;
        uint8_t *src = a->scratch + (size_t)y * (size_t)iter.width * 4;
        uint8_t *dst = a->canvas + (size_t)cy * stride + (size_t)iter.x_offset * 4;
        for (int x = 0; x < iter.width; x++, src += 4, dst += 4) {
            const int cx = iter.x_offset + x;
            if (blend && src[3] != 0xff && !(in_prev_row && cx >= a->px && cx < a->px + a->pw)) webp_blend(src, dst);
            memcpy(dst, src, 4);
        }
    }
    a->prev_disposal = iter.dispose_method == WEBP_MUX_DISPOSE_BACKGROUND ? 1 : 0;
    a->px = iter.x_offset;
    a->py = iter.y_offset;
    a->pw = iter.width;
    a->ph = iter.height;
    a->prev_key = key;

    frame->pixels = a->canvas;
    frame->width = a->width;
    frame->height = a->height;
    frame->channels = 4;
    frame->index = a->next_index++;
    frame->timestamp_ms = a->timestamp_ms;
    frame->duration_ms = iter.duration > 0 ? iter.duration : 0;
    a->timestamp_ms += frame->duration_ms;
done:
    WebPDemuxReleaseIterator(&iter);
    return status;
}

/* ---------------------------------------------------------------- common */

int32_t ncc_animation_open(const uint8_t *data, size_t size, int32_t kind, const ncc_animation_limits *limits,
                           ncc_animation **out, int32_t *width, int32_t *height, char *underlying) {
    *out = NULL;
    set_text(underlying, "");
    ncc_animation *a = calloc(1, sizeof *a);
    if (a == NULL) { set_text(underlying, "out of memory"); return NCC_STATUS_OUT_OF_MEMORY; }
    a->kind = kind;
    a->limits = *limits;
    if (a->limits.max_canvas_pixels < 0) a->limits.max_canvas_pixels = 0;
    if (a->limits.max_frames < 0) a->limits.max_frames = 0;
    if (a->limits.max_total_pixels < 0) a->limits.max_total_pixels = 0;
    a->data = data;
    a->size = size;
    int32_t status = NCC_STATUS_OK;
    if (kind == NCC_ANIMATION_GIF) {
        int error = 0;
        a->gif = DGifOpen(a, gif_read, &error);
        if (a->gif == NULL) { status = gif_fail(a, error, underlying); goto fail; }
        a->animated = gif_has_two_images(data, size);
        a->width = a->gif->SWidth > 0 ? a->gif->SWidth : 0;
        a->height = a->gif->SHeight > 0 ? a->gif->SHeight : 0;
        if ((uint64_t)a->width * (uint64_t)a->height > (uint64_t)a->limits.max_canvas_pixels) {
            snprintf(underlying, NCC_MESSAGE_CAPACITY, "%dx%d pixels", a->width, a->height);
            status = NCC_STATUS_TOO_MANY_PIXELS;
            goto fail;
        }
    } else if (kind == NCC_ANIMATION_WEBP) {
        WebPData input = { data, size };
        WebPDemuxState state = WEBP_DEMUX_PARSE_ERROR;
        a->demux = WebPDemuxPartial(&input, &state);
        if (a->demux == NULL || state == WEBP_DEMUX_PARSE_ERROR || state == WEBP_DEMUX_PARSING_HEADER) {
            const int header = state == WEBP_DEMUX_PARSING_HEADER;
            set_text(underlying, header ? "libwebp: header incomplete" : "libwebp: invalid container");
            status = header ? NCC_STATUS_TRUNCATED : NCC_STATUS_CORRUPT_DATA;
            goto fail;
        }
        a->width = (int32_t)WebPDemuxGetI(a->demux, WEBP_FF_CANVAS_WIDTH);
        a->height = (int32_t)WebPDemuxGetI(a->demux, WEBP_FF_CANVAS_HEIGHT);
        a->frame_count = (int32_t)WebPDemuxGetI(a->demux, WEBP_FF_FRAME_COUNT);
        a->complete = state == WEBP_DEMUX_DONE;
        a->animated = a->frame_count > 1;
        if (a->width <= 0 || a->height <= 0) {
            snprintf(underlying, NCC_MESSAGE_CAPACITY, "canvas of %dx%d pixels", a->width, a->height);
            status = NCC_STATUS_INVALID_DIMENSIONS;
            goto fail;
        }
        if ((uint64_t)a->width * (uint64_t)a->height > (uint64_t)a->limits.max_canvas_pixels) {
            snprintf(underlying, NCC_MESSAGE_CAPACITY, "%dx%d pixels", a->width, a->height);
            status = NCC_STATUS_TOO_MANY_PIXELS;
            goto fail;
        }
        if (a->frame_count <= 0) { set_text(underlying, "libwebp: no frame"); status = state == WEBP_DEMUX_DONE ? NCC_STATUS_CORRUPT_DATA : NCC_STATUS_TRUNCATED; goto fail; }
    } else {
        set_text(underlying, "not an animation format");
        status = NCC_STATUS_CORRUPT_DATA;
        goto fail;
    }
    *width = a->width;
    *height = a->height;
    *out = a;
    return NCC_STATUS_OK;
fail:
    ncc_animation_close(a);
    return status;
}

int32_t ncc_animation_next(ncc_animation *a, ncc_animation_frame *frame, char *underlying) {
    memset(frame, 0, sizeof *frame);
    set_text(underlying, "");
    if (a == NULL) return NCC_STATUS_CORRUPT_DATA;
    return a->kind == NCC_ANIMATION_GIF ? gif_next(a, frame, underlying) : webp_next(a, frame, underlying);
}

int32_t ncc_animation_is_animated(const ncc_animation *a) { return a != NULL && a->animated; }

int32_t ncc_animation_has_frames(const uint8_t *data, size_t size, int32_t kind) {
    if (kind == NCC_ANIMATION_GIF) return gif_has_two_images(data, size);
    if (kind != NCC_ANIMATION_WEBP) return 0;
    WebPData input = { data, size };
    WebPDemuxState state = WEBP_DEMUX_PARSE_ERROR;
    WebPDemuxer *demux = WebPDemuxPartial(&input, &state); /* parses the chunk headers only; allocates no pixels */
    if (demux == NULL) return 0;
    const int animated = state != WEBP_DEMUX_PARSE_ERROR && WebPDemuxGetI(demux, WEBP_FF_FRAME_COUNT) > 1;
    WebPDemuxDelete(demux);
    return animated;
}

void ncc_animation_close(ncc_animation *a) {
    if (a == NULL) return;
    ncc_wipe_free(a->canvas, a->canvas_bytes);
    ncc_wipe_free(a->scratch, a->scratch_bytes);
    ncc_wipe_free(a->saved, a->saved_bytes);
    if (a->gif != NULL) {
        int error = 0;
        DGifCloseFile(a->gif, &error);
    }
    if (a->demux != NULL) WebPDemuxDelete(a->demux);
    free(a);
}
