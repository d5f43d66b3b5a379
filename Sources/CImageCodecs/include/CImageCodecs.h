/*
 * CImageCodecs: JPEG (libjpeg-turbo), PNG (libpng), HEIC/HEIF (libheif), AVIF (libavif), WebP (libwebp)
 * and GIF (giflib) decoding for nccmatch.
 *
 * Every library error is caught inside these C functions (setjmp/longjmp never
 * leaves this target); callers get a status code and a short message. Pixel memory is
 * malloc'ed here and handed to the caller, who must wipe it before freeing it.
 */
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

/* Status codes returned by the decoders; the Swift layer maps them to ImageDecodingError codes. */
enum {
    NCC_STATUS_OK = 0,
    NCC_STATUS_TRUNCATED = 1,          /* the data ends before the picture is complete */
    NCC_STATUS_CORRUPT_DATA = 2,       /* damaged compressed data or structure */
    NCC_STATUS_TOO_MANY_PIXELS = 3,    /* width*height above options.max_pixels */
    NCC_STATUS_INVALID_DIMENSIONS = 4, /* zero or impossible width/height */
    NCC_STATUS_PNG_CRC_MISMATCH = 5,   /* a critical PNG chunk fails its checksum */
    NCC_STATUS_UNSUPPORTED_JPEG = 6,   /* valid JPEG using a feature libjpeg cannot decode (e.g. 12-bit) */
    NCC_STATUS_OUT_OF_MEMORY = 7,      /* an allocation failed */
    NCC_STATUS_UNSUPPORTED_ENCODING = 8, /* valid HEIF/WebP/GIF container using a codec or feature we cannot decode */
    NCC_STATUS_END = 9,                /* ncc_animation_next: no more frames (not an error) */
    NCC_STATUS_TOO_MANY_FRAMES = 10,   /* an animation holds more frames, or more pixels in total, than its limits */
};

/* Decoding options (see DecodeOptions in Swift). */
typedef struct ncc_decode_options {
    int32_t min_short_side;         /* 0: full resolution; else JPEG DCT scaling keeps the short side >= this */
    int32_t prefer_luma;            /* nonzero: YCbCr/grayscale JPEG and gray PNG give 1 channel */
    int32_t apply_exif_orientation; /* nonzero: rotate/mirror the pixels upright per EXIF 0x0112 */
    int32_t fast_dct;               /* nonzero: JDCT_IFAST, no fancy upsampling */
    int64_t max_pixels;             /* refuse width*height above this, before allocating pixels */
} ncc_decode_options;

#define NCC_MESSAGE_CAPACITY 200

/* What a decoder hands back. On success `pixels` is malloc'ed (the caller owns it); on failure it is NULL. */
typedef struct ncc_decode_result {
    uint8_t *pixels;      /* width*height*channels bytes, row-major, no padding */
    size_t byte_count;
    int32_t width;        /* of `pixels`: after scaling and orientation */
    int32_t height;
    int32_t channels;     /* 1 (gray) or 3 (RGB) */
    int32_t full_width;   /* full-resolution size, upright (after orientation) */
    int32_t full_height;
    int32_t orientation;  /* EXIF orientation found (1...8; 1 when absent or invalid) */
    int32_t scale_denom;  /* JPEG DCT scaling, WebP scaled decoding or HEIC block averaging used: 1, 2, 4 or 8 (always 1 for PNG, AVIF, GIF) */
    int32_t frame_count;  /* frames in an animated WebP or GIF as far as read (1 for stills; GIF: 1 = first frame only) */
    char underlying[NCC_MESSAGE_CAPACITY]; /* the library's own message on failure ("" when none) */
} ncc_decode_result;

/* Decodes a JPEG held in memory. Returns an NCC_STATUS_* value. */
int32_t ncc_decode_jpeg(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result);

/* Decodes a PNG held in memory. Returns an NCC_STATUS_* value. */
int32_t ncc_decode_png(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result);

/* Decodes the primary image of a HEIC/HEIF file held in memory, its irot/imir/clap transforms applied
 * (EXIF orientation is not applied on top: see heif_decode.c). Returns an NCC_STATUS_* value. */
int32_t ncc_decode_heif(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result);

/* Decodes an AVIF held in memory with libavif (as Pillow does), its irot/imir transforms applied (EXIF orientation
 * is not applied: see avif_decode.c); of an image sequence, the first frame. Returns an NCC_STATUS_* value. */
int32_t ncc_decode_avif(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result);

/* Decodes a WebP held in memory (lossy, lossless, with alpha; of an animation, the first frame on its canvas).
 * Returns an NCC_STATUS_* value. */
int32_t ncc_decode_webp(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result);

/* Decodes the first frame of a GIF held in memory, placed on the logical screen as Pillow does.
 * Returns an NCC_STATUS_* value. */
int32_t ncc_decode_gif(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result);

/* Animations (animated GIF and WebP) read frame by frame, each frame composited on its canvas as the format
 * says (GIF disposal 0-3, transparency; WebP blending and disposal exactly as libwebp's WebPAnimDecoder), for
 * video hashing. Frame 0 equals ncc_decode_gif / ncc_decode_webp at full size. */
enum { NCC_ANIMATION_GIF = 1, NCC_ANIMATION_WEBP = 2 };

/* Limits an animation is read under; each is checked before the memory or work it bounds. */
typedef struct ncc_animation_limits {
    int64_t max_canvas_pixels; /* canvas width*height, checked when opening, before the canvas is allocated */
    int64_t max_frames;        /* frames read, in total */
    int64_t max_total_pixels;  /* sum over frames read of the frame's own rectangle and of the canvas handed out */
} ncc_animation_limits;

/* One composited frame. `pixels` belongs to the animation: valid until the next call or ncc_animation_close. */
typedef struct ncc_animation_frame {
    const uint8_t *pixels; /* width*height*channels bytes, row-major, no padding */
    int32_t width;
    int32_t height;
    int32_t channels;      /* 3: RGB (GIF); 4: RGBA (WebP; the alpha is to be ignored, as convert("RGB") does) */
    int64_t index;         /* from 0 */
    int64_t timestamp_ms;  /* when the frame is shown: the sum of the delays of the frames before it */
    int32_t duration_ms;   /* its own delay (GIF: a delay under 20 ms counts as 100 ms, as browsers and FFmpeg do) */
} ncc_animation_frame;

typedef struct ncc_animation ncc_animation;

/* Opens an animation held in memory (`data` must stay valid until ncc_animation_close). Checks the canvas against
 * the limits before any pixel memory exists. On success *out is set; on failure `underlying` (NCC_MESSAGE_CAPACITY
 * bytes) says why. Returns an NCC_STATUS_* value. */
int32_t ncc_animation_open(const uint8_t *data, size_t size, int32_t kind, const ncc_animation_limits *limits,
                           ncc_animation **out, int32_t *width, int32_t *height, char *underlying);

/* Composites the next frame. Returns NCC_STATUS_OK (frame filled), NCC_STATUS_END after the last frame, or an error
 * (then `underlying` says why; the animation should be closed). */
int32_t ncc_animation_next(ncc_animation *animation, ncc_animation_frame *frame, char *underlying);

/* 1 when the file holds more than one frame (found without decoding any), else 0. */
int32_t ncc_animation_is_animated(const ncc_animation *animation);

/* 1 when a GIF or WebP held in memory has more than one frame, found from its structure alone (no pixel memory, no
 * limits needed: the work is bounded by the size), else 0 (a still, damage, or another format). */
int32_t ncc_animation_has_frames(const uint8_t *data, size_t size, int32_t kind);

/* Wipes every pixel buffer and frees the animation (NULL is fine). */
void ncc_animation_close(ncc_animation *animation);

/* Reads the orientation (IFD0 tag 0x0112) from a TIFF-structured EXIF block ("II"/"MM" header first).
 * Returns 1...8, or 1 when absent, out of range or malformed. Every offset is bounds-checked. */
int32_t ncc_exif_orientation(const uint8_t *tiff, size_t size);

#endif
