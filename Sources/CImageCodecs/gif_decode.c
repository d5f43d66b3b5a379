/*
 * GIF decoding with giflib's record-level API: only the first frame is read, so a file of many frames
 * (an animation, or a "GIF bomb") costs no more pixel memory than its first one.
 *
 * Output equals Pillow's `Image.open(f).convert("RGB")` (frame 0), which:
 *   - makes the canvas the logical screen, enlarged if the first frame reaches beyond it;
 *   - fills the canvas with the frame's transparent index when its graphic control extension has one,
 *     else with index 0, then writes the frame's indices at their place (transparent ones too);
 *   - maps indices through the frame's local colour table, else the global one; with neither, an index is
 *     a gray level (as is a table that is exactly the gray ramp). Alpha is dropped (transparent pixels take
 *     the colour of the transparent index), as for PNG.
 * Interlaced frames are put back into row order. Indices beyond a short colour table give black. Rows of indices
 * are turned into RGB one at a time: memory is the RGB picture and one row.
 *
 * giflib reports errors as codes (no longjmp, no abort); the canvas and the frame are checked against
 * max_pixels before either is allocated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gif_lib.h>
#include "ncc_internal.h"

typedef struct ncc_gif_reader {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int ran_out; /* giflib asked for bytes past the end of the data */
} ncc_gif_reader;

static int read_from_memory(GifFileType *gif, GifByteType *out, int length) {
    ncc_gif_reader *reader = gif->UserData;
    if (length <= 0) return 0;
    size_t available = reader->size - reader->offset;
    size_t count = (size_t)length <= available ? (size_t)length : available;
    if (count < (size_t)length) reader->ran_out = 1;
    memcpy(out, reader->data + reader->offset, count);
    reader->offset += count;
    return (int)count;
}

static int32_t status_for_gif_error(int code, const ncc_gif_reader *reader) {
    if (reader->ran_out) return NCC_STATUS_TRUNCATED;
    switch (code) {
    /* giflib says "read failed" also for an impossible LZW code size, and "EOF too soon" when the compressed
     * data of a frame stops early inside the file: only our reader knows whether the data really ran out. */
    case D_GIF_ERR_NOT_ENOUGH_MEM: return NCC_STATUS_OUT_OF_MEMORY;
    default: return NCC_STATUS_CORRUPT_DATA;
    }
}

static int32_t fail(ncc_decode_result *result, int code, const ncc_gif_reader *reader) {
    const char *text = GifErrorString(code);
    ncc_set_underlying(result, text != NULL ? text : "giflib: decoding failed");
    return status_for_gif_error(code, reader);
}

/* Pillow treats a colour table that is exactly the gray ramp (i, i, i) as no table at all: same colours. */
void ncc_gif_fill_palette(const ColorMapObject *map, uint8_t palette[256][3]) {
    for (int i = 0; i < 256; i++) palette[i][0] = palette[i][1] = palette[i][2] = (uint8_t)i; /* no table: gray */
    if (map == NULL || map->Colors == NULL) return;
    for (int i = 0; i < 256; i++) {
        if (i < map->ColorCount) {
            palette[i][0] = map->Colors[i].Red;
            palette[i][1] = map->Colors[i].Green;
            palette[i][2] = map->Colors[i].Blue;
        } else {
            palette[i][0] = palette[i][1] = palette[i][2] = 0;
        }
    }
}

int32_t ncc_decode_gif(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result) {
    memset(result, 0, sizeof *result);
    result->orientation = 1;
    result->scale_denom = 1;
    result->frame_count = 1;
    const int64_t max_pixels = options->max_pixels < 0 ? 0 : options->max_pixels;

    ncc_gif_reader reader = { .data = data, .size = size };
    int error = 0;
    GifFileType *gif = DGifOpen(&reader, read_from_memory, &error);
    if (gif == NULL) return fail(result, error, &reader);

    int32_t status = NCC_STATUS_OK;
    uint8_t *indices = NULL, *pixels = NULL;
    size_t index_bytes = 0, pixel_bytes = 0;
    int transparent = -1;
    for (;;) {
        GifRecordType record;
        if (DGifGetRecordType(gif, &record) == GIF_ERROR) { status = fail(result, gif->Error, &reader); goto done; }
        if (record == TERMINATE_RECORD_TYPE) {
            ncc_set_underlying(result, "giflib: no image in the file");
            status = NCC_STATUS_CORRUPT_DATA;
            goto done;
        }
        if (record == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *block = NULL;
            if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) { status = fail(result, gif->Error, &reader); goto done; }
            /* Graphic control extension: the last one before the image counts, as in Pillow. */
            if (code == GRAPHICS_EXT_FUNC_CODE && block != NULL && block[0] >= 4) transparent = (block[1] & 1) ? block[4] : -1;
            while (block != NULL) {
                if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) { status = fail(result, gif->Error, &reader); goto done; }
            }
            continue;
        }
        if (record != IMAGE_DESC_RECORD_TYPE) continue;

        if (DGifGetImageDesc(gif) == GIF_ERROR) { status = fail(result, gif->Error, &reader); goto done; }
        const GifImageDesc *frame = &gif->Image;
        const uint64_t frame_width = (uint64_t)(frame->Width > 0 ? frame->Width : 0);
        const uint64_t frame_height = (uint64_t)(frame->Height > 0 ? frame->Height : 0);
        const uint64_t right = (uint64_t)frame->Left + frame_width, bottom = (uint64_t)frame->Top + frame_height;
        const uint64_t width = right > (uint64_t)gif->SWidth ? right : (uint64_t)gif->SWidth;   /* Pillow enlarges */
        const uint64_t height = bottom > (uint64_t)gif->SHeight ? bottom : (uint64_t)gif->SHeight;
        if (width == 0 || height == 0 || frame_width == 0 || frame_height == 0) {
            snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "screen %dx%d, first frame %dx%d",
                     gif->SWidth, gif->SHeight, frame->Width, frame->Height);
            status = NCC_STATUS_INVALID_DIMENSIONS;
            goto done;
        }
        if (width * height > (uint64_t)max_pixels) { /* 16-bit sides: the product cannot overflow */
            snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "%llux%llu pixels", (unsigned long long)width, (unsigned long long)height);
            status = NCC_STATUS_TOO_MANY_PIXELS;
            goto done;
        }
        uint8_t palette[256][3];
        ncc_gif_fill_palette(frame->ColorMap != NULL ? frame->ColorMap : gif->SColorMap, palette);
        const uint8_t fill = (uint8_t)(transparent >= 0 ? transparent : 0);

        /* Straight to RGB, one row of indices at a time: no index plane of the whole picture (a third less memory). */
        pixel_bytes = (size_t)width * (size_t)height * 3;
        pixels = malloc(pixel_bytes);
        if (pixels == NULL) { status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
        for (size_t i = 0; i < (size_t)width * (size_t)height; i++) memcpy(pixels + i * 3, palette[fill], 3);
        index_bytes = (size_t)frame_width;
        indices = malloc(index_bytes);
        if (indices == NULL) { status = NCC_STATUS_OUT_OF_MEMORY; goto done; }
        /* Interlaced rows come in four passes: every 8th from 0, every 8th from 4, every 4th from 2, every 2nd from 1. */
        static const int starts[4] = { 0, 4, 2, 1 }, steps[4] = { 8, 8, 4, 2 };
        const int passes = frame->Interlace ? 4 : 1;
        for (int pass = 0; pass < passes; pass++) {
            const int start = frame->Interlace ? starts[pass] : 0, step = frame->Interlace ? steps[pass] : 1;
            for (int row = start; row < frame->Height; row += step) {
                if (DGifGetLine(gif, indices, frame->Width) == GIF_ERROR) { status = fail(result, gif->Error, &reader); goto done; }
                uint8_t *out = pixels + (((size_t)frame->Top + (size_t)row) * (size_t)width + (size_t)frame->Left) * 3;
                for (int x = 0; x < frame->Width; x++, out += 3) memcpy(out, palette[indices[x]], 3);
            }
        }
        result->pixels = pixels;
        result->byte_count = pixel_bytes;
        pixels = NULL;
        result->width = result->full_width = (int32_t)width;
        result->height = result->full_height = (int32_t)height;
        result->channels = 3;
        break; /* the first frame is the picture; the rest of the file is never decoded */
    }

done:
    ncc_wipe_free(indices, index_bytes); /* a row of the picture too */
    ncc_wipe_free(pixels, pixel_bytes);
    DGifCloseFile(gif, &error);
    return status;
}
