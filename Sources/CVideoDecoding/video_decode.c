// Video decoding through FFmpeg: the one place nccmatch calls libavformat, libavcodec and libswscale.
// See include/CVideoDecoding.h for the contract.
#include "CVideoDecoding.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

enum { IO_BUFFER_SIZE = 64 * 1024 };

struct ncc_video_decoder {
    // Input: a file or a memory buffer, read through our own AVIOContext (no FFmpeg protocol is ever used).
    FILE *file;
    const uint8_t *memory;
    int64_t memory_size, memory_position;
    AVIOContext *io;

    AVFormatContext *format;
    AVCodecContext *codec;
    AVStream *stream;
    int stream_index;
    AVPacket *packet;
    AVFrame *frame;

    ncc_video_options options;
    // The display matrix reduced to a quarter turn with an optional mirror: a source pixel (x, y) is shown at
    // (ox_x * x + ox_y * y, oy_x * x + oy_y * y), shifted into the frame; each factor is -1, 0 or 1.
    int rotation, mirrored;
    int ox_x, ox_y, oy_x, oy_y;
    double time_base, start_seconds, frame_duration;

    // Conversion of frames whose pixel format has no 8-bit luma plane, and the optional downscale.
    struct SwsContext *convert, *scale;
    AVFrame *converted;
    uint8_t *scaled, *output;
    size_t scaled_size, output_size;

    int64_t frames_out, last_sample, corrupt_packets;
    int draining, finished;

    // The decoder's frame buffers (reference frames included), drawn from pools of our own whose buffers are zeroed
    // when freed; made for one pixel format and size at a time.
    AVBufferPool *pools[4];
    int pool_linesize[4];
    int pool_format, pool_width, pool_height;
};

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

// FFmpeg's log would print stream details (file names, metadata) to stderr: nothing of a user's file is logged.
static void quiet_logging(void) { av_log_set_level(AV_LOG_QUIET); }

// MARK: - Input

static int read_packet(void *opaque, uint8_t *buffer, int size) {
    struct ncc_video_decoder *d = opaque;
    if (d->file) {
        size_t n = fread(buffer, 1, (size_t)size, d->file);
        if (n == 0) return ferror(d->file) ? AVERROR(EIO) : AVERROR_EOF;
        return (int)n;
    }
    int64_t left = d->memory_size - d->memory_position;
    if (left <= 0) return AVERROR_EOF;
    int n = left < size ? (int)left : size;
    memcpy(buffer, d->memory + d->memory_position, (size_t)n);
    d->memory_position += n;
    return n;
}

static int64_t seek(void *opaque, int64_t offset, int whence) {
    struct ncc_video_decoder *d = opaque;
    int64_t size = d->memory_size;
    if (d->file) {
        struct stat st;
        if (fstat(fileno(d->file), &st) != 0) return AVERROR(EIO);
        size = (int64_t)st.st_size;
    }
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE) return size;
    int64_t target;
    if (whence == SEEK_SET) target = offset;
    else if (whence == SEEK_CUR) target = (d->file ? (int64_t)ftello(d->file) : d->memory_position) + offset;
    else if (whence == SEEK_END) target = size + offset;
    else return AVERROR(EINVAL);
    if (target < 0) return AVERROR(EINVAL);
    if (d->file) {
        if (fseeko(d->file, (off_t)target, SEEK_SET) != 0) return AVERROR(EIO);
    } else {
        d->memory_position = target;
    }
    return target;
}

// MARK: - Opening

static int over_limits(const ncc_video_options *o, int width, int height) {
    if (width <= 0 || height <= 0) return 1;
    if (width > o->max_dimension || height > o->max_dimension) return 1;
    return (int64_t)width * (int64_t)height > o->max_pixels;
}

// The orientation a player applies, from the stream's display matrix: the matrix maps a source point (p, q) to
// (a p + c q, b p + d q) (libavutil/display.h), reduced here to the nearest of the eight quarter turns with or without
// a mirror, as EXIF orientation is for pictures. A phone's front camera may store a mirrored matrix (a determinant
// below zero): taking only its rotation angle would turn such a video upside down instead of mirroring it.
static void display_orientation(struct ncc_video_decoder *d) {
    d->ox_x = 1; d->ox_y = 0; d->oy_x = 0; d->oy_y = 1;
    d->rotation = 0;
    d->mirrored = 0;
    const int32_t *m = (const int32_t *)av_stream_get_side_data(d->stream, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m) return;
    double a = m[0] / 65536.0, b = m[1] / 65536.0, c = m[3] / 65536.0, dd = m[4] / 65536.0;
    int sa, sb, sc, sd;
    if (fabs(a) + fabs(dd) >= fabs(b) + fabs(c)) {
        sa = a > 0 ? 1 : a < 0 ? -1 : 0; sd = dd > 0 ? 1 : dd < 0 ? -1 : 0; sb = 0; sc = 0;
        if (!sa || !sd) return;  // degenerate: shown as stored
    } else {
        sb = b > 0 ? 1 : b < 0 ? -1 : 0; sc = c > 0 ? 1 : c < 0 ? -1 : 0; sa = 0; sd = 0;
        if (!sb || !sc) return;
    }
    d->ox_x = sa; d->ox_y = sc; d->oy_x = sb; d->oy_y = sd;
    d->mirrored = sa * sd - sb * sc < 0;
    // Reported as: mirrored left to right first (if at all), then turned clockwise by `rotation`.
    int ra = d->mirrored ? -sa : sa, rb = d->mirrored ? -sb : sb;
    if (ra == 1) d->rotation = 0;
    else if (rb == 1) d->rotation = 90;
    else if (ra == -1) d->rotation = 180;
    else d->rotation = 270;
}

// MARK: - Frame buffers

// Zeroes a frame buffer before it is freed (the decoder's reference frames hold whole decoded pictures).
static void free_zeroed(void *opaque, uint8_t *data) {
    explicit_bzero(data, (size_t)(uintptr_t)opaque);
    av_free(data);
}

static AVBufferRef *allocate_zeroing(void *opaque, size_t size) {
    (void)opaque;
    uint8_t *data = av_mallocz(size);
    if (!data) return NULL;
    AVBufferRef *buffer = av_buffer_create(data, size, free_zeroed, (void *)(uintptr_t)size, 0);
    if (!buffer) av_free(data);
    return buffer;
}

static void release_pools(struct ncc_video_decoder *d) {
    // A pool is freed once its last buffer comes back; each buffer is zeroed then (free_zeroed).
    for (int i = 0; i < 4; i++) av_buffer_pool_uninit(&d->pools[i]);
    d->pool_format = -1;
}

// The decoder's get_buffer2: FFmpeg's own layout (the alignment the codec asks for, one pool per plane, as
// avcodec_default_get_buffer2 does), but from pools whose buffers are zeroed when freed. Formats FFmpeg must lay
// out itself (palettes, hardware frames, codecs without direct rendering) use its default buffers.
static int get_frame_buffer(AVCodecContext *codec, AVFrame *frame, int flags) {
    struct ncc_video_decoder *d = codec->opaque;
    const AVPixFmtDescriptor *descriptor = av_pix_fmt_desc_get(frame->format);
    if (!d || !(codec->codec->capabilities & AV_CODEC_CAP_DR1) || !descriptor || codec->hw_frames_ctx ||
        (descriptor->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM)))
        return avcodec_default_get_buffer2(codec, frame, flags);
    if (frame->format != d->pool_format || frame->width != d->pool_width || frame->height != d->pool_height) {
        release_pools(d);
        int w = frame->width, h = frame->height;
        int align[AV_NUM_DATA_POINTERS];
        avcodec_align_dimensions2(codec, &w, &h, align);
        int linesize[4] = {0};
        int unaligned;
        do {
            if (av_image_fill_linesizes(linesize, frame->format, w) < 0) return AVERROR(EINVAL);
            w += w & ~(w - 1);  // a wider row for the next try when a plane's row is not aligned
            unaligned = 0;
            for (int i = 0; i < 4; i++) unaligned |= align[i] ? linesize[i] % align[i] : 0;
        } while (unaligned);
        ptrdiff_t linesizes[4];
        size_t sizes[4];
        for (int i = 0; i < 4; i++) linesizes[i] = linesize[i];
        if (av_image_fill_plane_sizes(sizes, frame->format, h, linesizes) < 0) return AVERROR(EINVAL);
        for (int i = 0; i < 4; i++) {
            d->pool_linesize[i] = linesize[i];
            if (!sizes[i]) continue;
            // 16 + 64 - 1 spare bytes, as FFmpeg's own pools keep for SIMD reads past the end.
            d->pools[i] = av_buffer_pool_init2(sizes[i] + 16 + 64 - 1, NULL, allocate_zeroing, NULL);
            if (!d->pools[i]) {
                release_pools(d);
                return AVERROR(ENOMEM);
            }
        }
        d->pool_format = frame->format;
        d->pool_width = frame->width;
        d->pool_height = frame->height;
    }
    memset(frame->data, 0, sizeof(frame->data));
    memset(frame->linesize, 0, sizeof(frame->linesize));
    for (int i = 0; i < 4 && d->pools[i]; i++) {
        frame->buf[i] = av_buffer_pool_get(d->pools[i]);
        if (!frame->buf[i]) {
            for (int k = 0; k < i; k++) av_buffer_unref(&frame->buf[k]);
            return AVERROR(ENOMEM);
        }
        frame->data[i] = frame->buf[i]->data;
        frame->linesize[i] = d->pool_linesize[i];
    }
    frame->extended_data = frame->data;
    return 0;
}

static ncc_video_status open_decoder(struct ncc_video_decoder *d, const char *container, ncc_video_info *info) {
    const AVInputFormat *input_format = av_find_input_format(container);
    if (!input_format) return NCC_VIDEO_ERR_ARGUMENT;

    unsigned char *io_buffer = av_malloc(IO_BUFFER_SIZE);
    if (!io_buffer) return NCC_VIDEO_ERR_MEMORY;
    d->io = avio_alloc_context(io_buffer, IO_BUFFER_SIZE, 0, d, read_packet, NULL, seek);
    if (!d->io) {
        av_free(io_buffer);
        return NCC_VIDEO_ERR_MEMORY;
    }
    d->format = avformat_alloc_context();
    if (!d->format) return NCC_VIDEO_ERR_MEMORY;
    d->format->pb = d->io;
    d->format->flags |= AVFMT_FLAG_CUSTOM_IO;
    if (avformat_open_input(&d->format, NULL, input_format, NULL) < 0) {
        d->format = NULL;  // freed by avformat_open_input on failure
        return NCC_VIDEO_ERR_CONTAINER;
    }

    // The first video stream that is not a cover picture (the stream Meta's vPDQ hashes).
    d->stream_index = -1;
    for (unsigned i = 0; i < d->format->nb_streams; i++) {
        AVStream *s = d->format->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            d->stream_index = (int)i;
            break;
        }
    }
    if (d->stream_index < 0 && d->format->nb_streams == 0) {
        // Some containers declare their streams only once packets are read: fall through to the stream probe.
    } else if (d->stream_index < 0) {
        return NCC_VIDEO_ERR_NO_VIDEO_STREAM;
    }
    // Refuse absurd sizes the header declares before any decoder (or frame buffer) exists.
    if (d->stream_index >= 0) {
        AVCodecParameters *p = d->format->streams[d->stream_index]->codecpar;
        if ((p->width != 0 || p->height != 0) && over_limits(&d->options, p->width, p->height))
            return NCC_VIDEO_ERR_DIMENSIONS;
    }

    // The stream probe may decode a frame or two: its decoders get the same pixel limit and one thread each.
    unsigned stream_count = d->format->nb_streams;
    AVDictionary **probe_options = stream_count ? av_calloc(stream_count, sizeof(*probe_options)) : NULL;
    if (stream_count && !probe_options) return NCC_VIDEO_ERR_MEMORY;
    for (unsigned i = 0; i < stream_count; i++) {
        av_dict_set_int(&probe_options[i], "max_pixels", d->options.max_pixels, 0);
        av_dict_set_int(&probe_options[i], "threads", 1, 0);
    }
    int probe = avformat_find_stream_info(d->format, probe_options);
    for (unsigned i = 0; i < stream_count; i++) av_dict_free(&probe_options[i]);
    av_free(probe_options);
    if (probe < 0) return NCC_VIDEO_ERR_CONTAINER;

    if (d->stream_index < 0) {
        for (unsigned i = 0; i < d->format->nb_streams; i++) {
            AVStream *s = d->format->streams[i];
            if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
                d->stream_index = (int)i;
                break;
            }
        }
        if (d->stream_index < 0) return NCC_VIDEO_ERR_NO_VIDEO_STREAM;
    }
    d->stream = d->format->streams[d->stream_index];
    AVCodecParameters *parameters = d->stream->codecpar;
    if (over_limits(&d->options, parameters->width, parameters->height)) return NCC_VIDEO_ERR_DIMENSIONS;
    for (unsigned i = 0; i < d->format->nb_streams; i++) {
        if ((int)i != d->stream_index) d->format->streams[i]->discard = AVDISCARD_ALL;
    }

    // Duration as declared: a file longer than the limit is refused before decoding.
    double duration = -1;
    if (d->format->duration != AV_NOPTS_VALUE && d->format->duration > 0)
        duration = (double)d->format->duration / AV_TIME_BASE;
    else if (d->stream->duration != AV_NOPTS_VALUE && d->stream->duration > 0)
        duration = (double)d->stream->duration * av_q2d(d->stream->time_base);
    if (duration > d->options.max_duration_seconds) return NCC_VIDEO_ERR_TOO_LONG;

    const AVCodec *codec = avcodec_find_decoder(parameters->codec_id);
    if (!codec) return NCC_VIDEO_ERR_UNSUPPORTED_CODEC;
    d->codec = avcodec_alloc_context3(codec);
    if (!d->codec) return NCC_VIDEO_ERR_MEMORY;
    if (avcodec_parameters_to_context(d->codec, parameters) < 0) return NCC_VIDEO_ERR_CONTAINER;
    d->codec->pkt_timebase = d->stream->time_base;
    d->codec->thread_count = 1;
    d->codec->max_pixels = d->options.max_pixels;
    d->codec->opaque = d;
    d->codec->get_buffer2 = get_frame_buffer;
    d->pool_format = -1;
    if (avcodec_open2(d->codec, codec, NULL) < 0) return NCC_VIDEO_ERR_UNSUPPORTED_CODEC;

    d->packet = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->packet || !d->frame) return NCC_VIDEO_ERR_MEMORY;

    d->time_base = av_q2d(d->stream->time_base);
    d->start_seconds = d->stream->start_time != AV_NOPTS_VALUE ? d->stream->start_time * d->time_base : 0;
    AVRational rate = d->stream->avg_frame_rate;
    if (rate.num <= 0 || rate.den <= 0) rate = d->stream->r_frame_rate;
    double frame_rate = (rate.num > 0 && rate.den > 0) ? av_q2d(rate) : 0;
    d->frame_duration = frame_rate > 0 ? 1 / frame_rate : 0;
    display_orientation(d);
    d->last_sample = -1;

    int swap = d->ox_x == 0;
    info->coded_width = parameters->width;
    info->coded_height = parameters->height;
    info->width = swap ? parameters->height : parameters->width;
    info->height = swap ? parameters->width : parameters->height;
    info->rotation = d->rotation;
    info->mirrored = d->mirrored;
    info->duration_seconds = duration;
    info->frame_rate = frame_rate;
    info->codec_name = codec->name;
    return NCC_VIDEO_OK;
}

static int valid_options(const ncc_video_options *o) {
    return o && o->seconds_per_sample >= 0 && isfinite(o->seconds_per_sample) && o->max_dimension > 0 &&
           o->max_pixels > 0 && o->max_duration_seconds > 0 && o->max_frames > 0 && o->max_output_side >= 0;
}

static ncc_video_status finish_open(struct ncc_video_decoder *d, const char *container, ncc_video_decoder **out,
                                    ncc_video_info *info) {
    ncc_video_status status = open_decoder(d, container, info);
    if (status != NCC_VIDEO_OK) {
        ncc_video_close(d);
        return status;
    }
    *out = d;
    return NCC_VIDEO_OK;
}

ncc_video_status ncc_video_open_file(const char *path, const char *container, const ncc_video_options *options,
                                     ncc_video_decoder **out, ncc_video_info *info) {
    if (!path || !container || !out || !info || !valid_options(options)) return NCC_VIDEO_ERR_ARGUMENT;
    *out = NULL;
    pthread_once(&quiet_once, quiet_logging);
    struct ncc_video_decoder *d = calloc(1, sizeof(*d));
    if (!d) return NCC_VIDEO_ERR_MEMORY;
    d->options = *options;
    d->file = fopen(path, "rb");
    if (!d->file) {
        free(d);
        return errno == ENOMEM ? NCC_VIDEO_ERR_MEMORY : NCC_VIDEO_ERR_READ;
    }
    return finish_open(d, container, out, info);
}

ncc_video_status ncc_video_open_memory(const uint8_t *bytes, size_t count, const char *container,
                                       const ncc_video_options *options, ncc_video_decoder **out,
                                       ncc_video_info *info) {
    if (!bytes || !container || !out || !info || !valid_options(options)) return NCC_VIDEO_ERR_ARGUMENT;
    *out = NULL;
    if (count == 0) return NCC_VIDEO_ERR_READ;
    pthread_once(&quiet_once, quiet_logging);
    struct ncc_video_decoder *d = calloc(1, sizeof(*d));
    if (!d) return NCC_VIDEO_ERR_MEMORY;
    d->options = *options;
    d->memory = bytes;
    d->memory_size = (int64_t)count;
    return finish_open(d, container, out, info);
}

// MARK: - Sampling

// Which sample slot a presentation time falls in: slot k holds the first frame at or after k * seconds_per_sample.
static int64_t slot(const struct ncc_video_decoder *d, double seconds) {
    return (int64_t)floor(seconds / d->options.seconds_per_sample + 1e-6);
}

// Whether a packet's frame may be sampled: it is the first frame at or after some slot start. Packets that cannot be
// are decoded only if other frames refer to them (FFmpeg's skip_frame = AVDISCARD_NONREF drops the rest unseen).
static int packet_may_be_sampled(const struct ncc_video_decoder *d, const AVPacket *p) {
    if (d->options.seconds_per_sample == 0) return 1;
    int64_t pts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
    if (pts == AV_NOPTS_VALUE) return 1;
    double duration = p->duration > 0 ? p->duration * d->time_base : d->frame_duration;
    if (duration <= 0) return 1;
    double t = pts * d->time_base - d->start_seconds;
    if (t < 0) return 1;
    int64_t k = slot(d, t);
    if (k <= d->last_sample) return 0;  // its slot is already taken by a frame output earlier
    // The slot's start lies within one frame duration before this frame: no earlier frame is at or after it.
    return k * d->options.seconds_per_sample > t - duration * 1.01 + 1e-9 || k == 0;
}

// MARK: - Frames

static uint8_t *grow(uint8_t **buffer, size_t *size, size_t needed) {
    if (*size >= needed) return *buffer;
    if (*buffer) {
        memset(*buffer, 0, *size);
        av_free(*buffer);
    }
    *buffer = av_malloc(needed);
    *size = *buffer ? needed : 0;
    return *buffer;
}

static int has_luma_plane(enum AVPixelFormat format) {
    switch (format) {
    case AV_PIX_FMT_YUV420P: case AV_PIX_FMT_YUV422P: case AV_PIX_FMT_YUV444P: case AV_PIX_FMT_YUV440P:
    case AV_PIX_FMT_YUV411P: case AV_PIX_FMT_YUV410P: case AV_PIX_FMT_YUVJ420P: case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P: case AV_PIX_FMT_YUVJ440P: case AV_PIX_FMT_YUVJ411P: case AV_PIX_FMT_NV12:
    case AV_PIX_FMT_NV21: case AV_PIX_FMT_NV16: case AV_PIX_FMT_YUVA420P: case AV_PIX_FMT_GRAY8:
        return 1;
    default:
        return 0;
    }
}

// Turns the decoded frame into the handed-out luma plane: converted if needed, scaled down if asked, rotated.
static ncc_video_status emit(struct ncc_video_decoder *d, ncc_video_frame *out, double timestamp) {
    AVFrame *f = d->frame;
    int width = f->width, height = f->height;
    if (over_limits(&d->options, width, height)) return NCC_VIDEO_ERR_DIMENSIONS;
    const uint8_t *luma = f->data[0];
    int stride = f->linesize[0];
    enum AVPixelFormat format = f->format;
    int limited = !(format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P ||
                    format == AV_PIX_FMT_YUVJ440P || format == AV_PIX_FMT_YUVJ411P ||
                    f->color_range == AVCOL_RANGE_JPEG || (format == AV_PIX_FMT_GRAY8 && f->color_range != AVCOL_RANGE_MPEG));

    if (!has_luma_plane(format)) {
        // Other formats (10-bit, RGB, palette): to 8-bit YUV 4:2:0 in the limited range, of which the luma is kept.
        d->convert = sws_getCachedContext(d->convert, width, height, format, width, height, AV_PIX_FMT_YUV420P,
                                          SWS_AREA, NULL, NULL, NULL);
        if (!d->convert) return NCC_VIDEO_ERR_UNSUPPORTED_CODEC;
        if (!d->converted || d->converted->width != width || d->converted->height != height) {
            av_frame_free(&d->converted);
            d->converted = av_frame_alloc();
            if (!d->converted) return NCC_VIDEO_ERR_MEMORY;
            d->converted->format = AV_PIX_FMT_YUV420P;
            d->converted->width = width;
            d->converted->height = height;
            if (av_frame_get_buffer(d->converted, 0) < 0) return NCC_VIDEO_ERR_MEMORY;
        }
        sws_scale(d->convert, (const uint8_t *const *)f->data, f->linesize, 0, height, d->converted->data,
                  d->converted->linesize);
        luma = d->converted->data[0];
        stride = d->converted->linesize[0];
        limited = 1;
    }

    int side = d->options.max_output_side;
    if (side > 0 && (width > side || height > side)) {
        int scaled_width = width >= height ? side : (int)lround((double)width * side / height);
        int scaled_height = width >= height ? (int)lround((double)height * side / width) : side;
        if (scaled_width < 1) scaled_width = 1;
        if (scaled_height < 1) scaled_height = 1;
        d->scale = sws_getCachedContext(d->scale, width, height, AV_PIX_FMT_GRAY8, scaled_width, scaled_height,
                                        AV_PIX_FMT_GRAY8, SWS_AREA, NULL, NULL, NULL);
        if (!d->scale) return NCC_VIDEO_ERR_MEMORY;
        if (!grow(&d->scaled, &d->scaled_size, (size_t)scaled_width * scaled_height)) return NCC_VIDEO_ERR_MEMORY;
        uint8_t *destination[4] = {d->scaled, NULL, NULL, NULL};
        int destination_stride[4] = {scaled_width, 0, 0, 0};
        const uint8_t *source[4] = {luma, NULL, NULL, NULL};
        int source_stride[4] = {stride, 0, 0, 0};
        sws_scale(d->scale, source, source_stride, 0, height, destination, destination_stride);
        luma = d->scaled;
        stride = scaled_width;
        width = scaled_width;
        height = scaled_height;
    }

    // Copy (turning and mirroring on the way) into the decoder's own buffer, which is zeroed when freed.
    int swap = d->ox_x == 0;
    int rotated_width = swap ? height : width;
    int rotated_height = swap ? width : height;
    if (!grow(&d->output, &d->output_size, (size_t)width * height)) return NCC_VIDEO_ERR_MEMORY;
    uint8_t *o = d->output;
    if (d->ox_x == 1 && d->oy_y == 1) {
        for (int y = 0; y < height; y++) memcpy(o + (size_t)y * width, luma + (size_t)y * stride, (size_t)width);
    } else {
        // Source (x, y) goes to (X, Y) = (ox_x x + ox_y y, oy_x x + oy_y y), shifted so both start at 0.
        ptrdiff_t origin_x = d->ox_x + d->ox_y < 0 ? rotated_width - 1 : 0;
        ptrdiff_t origin_y = d->oy_x + d->oy_y < 0 ? rotated_height - 1 : 0;
        ptrdiff_t step_x = d->ox_x + (ptrdiff_t)d->oy_x * rotated_width;  // output offset per source column
        for (int y = 0; y < height; y++) {
            ptrdiff_t position = (origin_y + (ptrdiff_t)d->oy_y * y) * rotated_width + origin_x + (ptrdiff_t)d->ox_y * y;
            const uint8_t *row = luma + (size_t)y * stride;
            for (int x = 0; x < width; x++, position += step_x) o[position] = row[x];
        }
    }
    out->luma = o;
    out->width = rotated_width;
    out->height = rotated_height;
    out->stride = rotated_width;
    out->limited_range = limited;
    out->timestamp = timestamp;
    out->frame_index = d->frames_out - 1;
    return NCC_VIDEO_OK;
}

ncc_video_status ncc_video_next_frame(ncc_video_decoder *d, ncc_video_frame *out) {
    if (!d || !out) return NCC_VIDEO_ERR_ARGUMENT;
    for (;;) {
        if (d->finished) return d->frames_out > 0 ? NCC_VIDEO_END : NCC_VIDEO_ERR_CORRUPT;
        int received = avcodec_receive_frame(d->codec, d->frame);
        if (received == 0) {
            d->frames_out += 1;
            if (d->frames_out > d->options.max_frames) {
                av_frame_unref(d->frame);
                return NCC_VIDEO_ERR_TOO_LONG;
            }
            int64_t pts = d->frame->best_effort_timestamp;
            double t = pts != AV_NOPTS_VALUE ? pts * d->time_base - d->start_seconds
                                             : (d->frames_out - 1) * d->frame_duration;
            if (t < 0) t = 0;
            if (t > d->options.max_duration_seconds) {
                av_frame_unref(d->frame);
                return NCC_VIDEO_ERR_TOO_LONG;
            }
            int take = 1;
            if (d->options.seconds_per_sample > 0) {
                int64_t k = slot(d, t);
                take = k > d->last_sample;
                if (take) d->last_sample = k;
            }
            ncc_video_status status = take ? emit(d, out, t) : NCC_VIDEO_OK;
            av_frame_unref(d->frame);
            if (status != NCC_VIDEO_OK) return status;
            if (take) return NCC_VIDEO_OK;
            continue;
        }
        if (received == AVERROR_EOF) {
            d->finished = 1;
            continue;
        }
        if (received == AVERROR(ENOMEM)) return NCC_VIDEO_ERR_MEMORY;
        if (received != AVERROR(EAGAIN)) {
            // A frame the decoder could not finish: counted, and decoding goes on.
            d->corrupt_packets += 1;
            if (d->draining) d->finished = 1;
            continue;
        }
        if (d->draining) {
            d->finished = 1;
            continue;
        }
        int read = av_read_frame(d->format, d->packet);
        if (read < 0) {
            // End of the file, or a read past a truncated end: what was read is decoded, then the stream ends.
            if (read != AVERROR_EOF) d->corrupt_packets += 1;
            d->draining = 1;
            if (avcodec_send_packet(d->codec, NULL) < 0) d->finished = 1;
            continue;
        }
        if (d->packet->stream_index != d->stream_index) {
            av_packet_unref(d->packet);
            continue;
        }
        d->codec->skip_frame = packet_may_be_sampled(d, d->packet) ? AVDISCARD_DEFAULT : AVDISCARD_NONREF;
        int sent = avcodec_send_packet(d->codec, d->packet);
        av_packet_unref(d->packet);
        if (sent == AVERROR(ENOMEM)) return NCC_VIDEO_ERR_MEMORY;
        if (sent < 0 && sent != AVERROR(EAGAIN)) d->corrupt_packets += 1;
    }
}

int64_t ncc_video_corrupt_packets(const ncc_video_decoder *d) { return d ? d->corrupt_packets : 0; }

void ncc_video_close(ncc_video_decoder *d) {
    if (!d) return;
    if (d->output) memset(d->output, 0, d->output_size);
    av_free(d->output);
    if (d->scaled) memset(d->scaled, 0, d->scaled_size);
    av_free(d->scaled);
    if (d->converted && d->converted->data[0]) {
        for (int plane = 0; plane < 4 && d->converted->buf[plane]; plane++)
            memset(d->converted->buf[plane]->data, 0, d->converted->buf[plane]->size);
    }
    av_frame_free(&d->converted);
    sws_freeContext(d->convert);
    sws_freeContext(d->scale);
    av_frame_free(&d->frame);
    av_packet_free(&d->packet);
    avcodec_free_context(&d->codec);
    release_pools(d);  // after the decoder has given back its reference frames
    if (d->format) avformat_close_input(&d->format);
    if (d->io) {
        // The read buffer holds bytes of the file.
        if (d->io->buffer) explicit_bzero(d->io->buffer, (size_t)d->io->buffer_size);
        av_freep(&d->io->buffer);
        avio_context_free(&d->io);
    }
    if (d->file) fclose(d->file);
    free(d);
}
