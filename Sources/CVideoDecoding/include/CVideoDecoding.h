// Video decoding through FFmpeg's libraries (libavformat, libavcodec, libavutil, libswscale).
// Every FFmpeg call of nccmatch lives in this target; Swift sees only this small API.
//
// A decoder opens one file or one memory buffer with a named container demuxer (never FFmpeg's own
// probing, never a protocol other than the bytes it is handed), checks the stream's dimensions and
// duration against the caller's limits before any frame buffer is allocated, and then hands out the
// sampled frames one by one as 8-bit luma planes with the display matrix (rotation and mirror) applied.
// Every buffer that holds pixels and belongs to the decoder (its frame pools included) is zeroed before it is freed.
// Single-threaded: one decoder uses one thread; use one decoder per file to spread files across cores.
#ifndef NCC_VIDEO_DECODING_H
#define NCC_VIDEO_DECODING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What a call ended with.
typedef enum {
    NCC_VIDEO_OK = 0,
    /// No more frames (ncc_video_next_frame only).
    NCC_VIDEO_END = 1,
    /// The file could not be read (I/O error) or the buffer is empty.
    NCC_VIDEO_ERR_READ = 2,
    /// The container could not be parsed: corrupt or truncated header, or not the named container.
    NCC_VIDEO_ERR_CONTAINER = 3,
    /// The container holds no video stream (audio only, or subtitles).
    NCC_VIDEO_ERR_NO_VIDEO_STREAM = 4,
    /// The video codec has no decoder here.
    NCC_VIDEO_ERR_UNSUPPORTED_CODEC = 5,
    /// The frame size is over the limits (or zero / negative).
    NCC_VIDEO_ERR_DIMENSIONS = 6,
    /// The video is longer than the duration limit, or has more frames than the frame limit.
    NCC_VIDEO_ERR_TOO_LONG = 7,
    /// The video data could not be decoded into any frame (corrupt or truncated stream).
    NCC_VIDEO_ERR_CORRUPT = 8,
    /// Memory could not be allocated.
    NCC_VIDEO_ERR_MEMORY = 9,
    /// A bad argument (null pointer, unknown container name, negative rate).
    NCC_VIDEO_ERR_ARGUMENT = 10,
} ncc_video_status;

/// Limits and sampling, fixed when a decoder opens.
typedef struct {
    /// Seconds between sampled frames, by presentation time; 0 samples every frame.
    double seconds_per_sample;
    /// Largest allowed width or height in pixels (coded size, before rotation).
    int32_t max_dimension;
    /// Largest allowed width x height.
    int64_t max_pixels;
    /// Longest allowed duration in seconds (declared by the container, or reached while decoding).
    double max_duration_seconds;
    /// Most frames the decoder may output in total (sampled or not); guards files whose duration lies.
    int64_t max_frames;
    /// When > 0, the luma plane handed out is scaled down (area averaging) so that neither side exceeds this;
    /// 0 hands out the decoded size.
    int32_t max_output_side;
} ncc_video_options;

/// What the opened stream says about itself.
typedef struct {
    /// Displayed size, after the rotation.
    int32_t width, height;
    /// Coded size (before rotation).
    int32_t coded_width, coded_height;
    /// Clockwise display rotation applied to every frame: 0, 90, 180 or 270 (after the mirror, when mirrored).
    int32_t rotation;
    /// 1 when the display matrix also mirrors the picture (applied as a left-right mirror before the rotation).
    int32_t mirrored;
    /// Declared duration in seconds, or a negative value when the container does not say.
    double duration_seconds;
    /// Average frame rate in frames per second, or 0 when unknown.
    double frame_rate;
    /// The codec's short name (static storage), e.g. "h264".
    const char *codec_name;
} ncc_video_info;

/// One sampled frame. The plane is owned by the decoder and valid until the next call on it.
typedef struct {
    const uint8_t *luma;
    int32_t width, height, stride;
    /// 1 when the luma uses the limited (video) range 16..235, 0 when it uses 0..255.
    int32_t limited_range;
    /// Presentation time in seconds from the stream's start.
    double timestamp;
    /// Index of this frame among all frames the decoder output (0-based).
    int64_t frame_index;
} ncc_video_frame;

typedef struct ncc_video_decoder ncc_video_decoder;

/// Opens the file at `path` with the demuxer named `container` ("mov", "matroska" or "avi").
/// On success `*out` holds a decoder to close with ncc_video_close and `*info` is filled.
ncc_video_status ncc_video_open_file(const char *path, const char *container, const ncc_video_options *options,
                                     ncc_video_decoder **out, ncc_video_info *info);

/// Opens `count` bytes at `bytes` (not copied: they must outlive the decoder) like ncc_video_open_file.
ncc_video_status ncc_video_open_memory(const uint8_t *bytes, size_t count, const char *container,
                                       const ncc_video_options *options, ncc_video_decoder **out,
                                       ncc_video_info *info);

/// Decodes up to the next sampled frame. NCC_VIDEO_OK fills `*frame`; NCC_VIDEO_END says there are no more.
ncc_video_status ncc_video_next_frame(ncc_video_decoder *decoder, ncc_video_frame *frame);

/// How many packets the decoder refused as corrupt so far (decoding goes on past them, as FFmpeg's tools do).
int64_t ncc_video_corrupt_packets(const ncc_video_decoder *decoder);

/// Frees the decoder, zeroing every buffer it owned that held pixels or file bytes (frame pools, luma planes, the
/// read buffer). Null is allowed.
void ncc_video_close(ncc_video_decoder *decoder);

#ifdef __cplusplus
}
#endif

#endif
