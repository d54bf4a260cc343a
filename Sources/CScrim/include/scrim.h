/*
 * scrim.h — the C API of Scrim, an audio cleanup toolkit for production sound (noise reduction, de-hum,
 * loudness), for pipeline orchestrators that call it in-process (C, C++, Python ctypes/cffi, Go cgo, …).
 *
 * Library: libscrim.so (built from the Swift package: `swift build -c release --product CScrim` writes
 * .build/release/libCScrim.so, whose soname is libscrim.so; install or link it under that name).
 *
 * Conventions
 * - Every function that can fail returns a scrim_status; SCRIM_OK (0) is success. On failure a readable message
 *   for the calling thread is available from scrim_last_error() until that thread's next Scrim call.
 * - Audio is planar 32-bit float: `channels` is an array of `channel_count` pointers, each to `frame_count`
 *   samples. A frame is one sample per channel. Full scale is ±1.0. Blocks are processed in place.
 * - Units: sample rate in Hz; loudness in LUFS, loudness range in LU, true peak in dBTP, sample peak in dBFS;
 *   durations in frames unless a name says seconds. JSON keys are camelCase, carry their unit (…Lufs, …Lu,
 *   …Dbtp, …Dbfs, …Db, …Hz, …Seconds) and are documented in Sources/scrim/README.md, with a JSON Schema per
 *   command in Sources/scrim/schemas; non-finite values (the loudness of silence is −∞) are JSON null. File
 *   functions return the same envelope as the CLI's --json: command, input, output, status, error, warnings (each
 *   {"code", "message", "track"}), then the report under its key.
 * - Ownership: strings returned through a `char **out_json` argument are allocated by Scrim and must be released
 *   with scrim_string_free(). Strings returned directly (scrim_version, scrim_last_error) are owned by Scrim:
 *   do not free them. Input strings and sample buffers are only read (or, for process/flush, modified in place)
 *   during the call; Scrim keeps no pointer to them afterwards.
 * - Threads: distinct scrim_chain / scrim_meter objects may be used concurrently from different threads; one
 *   object must not be used from two threads at the same time. scrim_process_file and
 *   scrim_measure_file_loudness may run concurrently with anything (each builds its own objects).
 *   scrim_chain_create and scrim_chain_destroy are thread-safe (FFT planning is serialised inside).
 * - Real-time safety: scrim_chain_process, scrim_chain_flush and scrim_meter_add do not allocate or lock once
 *   the object is created (error paths excepted); creation allocates.
 * - Bad arguments (NULL pointers, wrong channel count, frame_count < 0 or above the maximum block, unknown
 *   preset) return an error status; they never crash the process.
 */
#ifndef SCRIM_H
#define SCRIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI version of this header. Bumped on any incompatible change; compare with scrim_abi_version(). */
#define SCRIM_ABI_VERSION 1

/** Result of a Scrim call. New codes may be added; treat unknown non-zero codes as errors. */
typedef enum scrim_status {
    SCRIM_OK = 0,
    /** A NULL pointer, a count out of range, or a buffer that does not match the object. */
    SCRIM_ERROR_INVALID_ARGUMENT = 1,
    /** The preset name is not a built-in preset (see `scrim presets`). */
    SCRIM_ERROR_UNKNOWN_PRESET = 2,
    /** Preset JSON or settings that cannot work (the message says which key and why). */
    SCRIM_ERROR_CONFIGURATION = 3,
    /** A file could not be read or written (the message names the file and the cause). */
    SCRIM_ERROR_FILE = 4,
    /** The operation needs something this object cannot do (e.g. a two-pass stage in a streaming chain). */
    SCRIM_ERROR_UNSUPPORTED = 5,
    /** An unexpected internal failure (please report it with the message). */
    SCRIM_ERROR_INTERNAL = 6,
    /** A preset names the neural engine and its model is not installed where it is looked for
     *  ($SCRIM_MODEL_PATH, then ~/.local/share/scrim/models/DeepFilterNet3); the message names the folder and
     *  scripts/fetch-model.sh. (A model that is there but damaged is SCRIM_ERROR_CONFIGURATION, also naming it.) */
    SCRIM_ERROR_MODEL = 7
} scrim_status;

/** A streaming processor chain built from a preset (opaque). */
typedef struct scrim_chain scrim_chain;
/** A streaming BS.1770-4 / EBU R128 loudness meter (opaque). */
typedef struct scrim_meter scrim_meter;

/** Scrim's version, e.g. "0.1.0". Static; do not free. */
const char *scrim_version(void);

/** The ABI version of the loaded library; equals SCRIM_ABI_VERSION when header and library match. */
int scrim_abi_version(void);

/** The message of the calling thread's last failed call ("" if none). Owned by Scrim; valid until the
 *  thread's next Scrim call. */
const char *scrim_last_error(void);

/** Releases a string Scrim returned through an out parameter. NULL is ignored. */
void scrim_string_free(char *string);

/* ---- Streaming chain ---------------------------------------------------------------------------------- */

/**
 * Creates a streaming chain from a preset.
 * @param preset           a built-in preset name (e.g. "denoise-only") or a preset as JSON text (starting with '{').
 *                         Streaming chains run the de-hum (with a fixed frequency) and denoise stages; a loudness
 *                         stage, which needs two passes over a file, is applied as a fixed gain of 0 dB and reported
 *                         (measure with scrim_meter_* and apply your own gain, or use scrim_process_file).
 * @param sample_rate      Hz, 8000 to 192000.
 * @param channel_count    1 to 64.
 * @param max_block_frames the largest frame_count that will be passed to process, 1 to 1048576.
 * @param out_chain        receives the chain; release it with scrim_chain_destroy.
 */
scrim_status scrim_chain_create(const char *preset, double sample_rate, int channel_count, int max_block_frames,
                                scrim_chain **out_chain);

/** Destroys a chain. NULL is ignored. */
void scrim_chain_destroy(scrim_chain *chain);

/**
 * Processes one block in place. The output is the input delayed by scrim_chain_latency() frames; to keep a
 * stream aligned, drop that many frames from the start of the output and call scrim_chain_flush at the end.
 * @param channels      channel_count pointers to frame_count floats each (modified in place).
 * @param channel_count must equal the chain's channel count.
 * @param frame_count   0 to max_block_frames.
 */
scrim_status scrim_chain_process(scrim_chain *chain, float *const *channels, int channel_count, int frame_count);

/** Writes the next frame_count frames of the delayed tail (the last latency frames of output) into
 *  `channels`; call with blocks adding up to the latency after the last process call. */
scrim_status scrim_chain_flush(scrim_chain *chain, float *const *channels, int channel_count, int frame_count);

/** The chain's latency in frames. */
scrim_status scrim_chain_latency(const scrim_chain *chain, int64_t *out_frames);

/** Clears the chain's stream state for an unrelated stream (it then behaves as freshly created). */
scrim_status scrim_chain_reset(scrim_chain *chain);

/** A JSON report of what the chain has done so far (stages, noise floor, babble guard, clipped runs rebuilt, frames,
 *  non-finite samples zeroed).
 *  Free *out_json with scrim_string_free. */
scrim_status scrim_chain_report_json(scrim_chain *chain, char **out_json);

/* ---- Files -------------------------------------------------------------------------------------------- */

/**
 * Processes a whole file with a preset (all stages, two-pass loudness where the preset asks), writing the output
 * atomically, sample-aligned, with bext/iXML passed through — exactly as `scrim process`.
 * @param input        path of the file to read (never written).
 * @param output       destination path (must not be the input).
 * @param preset       built-in name or JSON text.
 * @param overwrite    non-zero to replace an existing output.
 * @param out_report   if not NULL, receives the JSON report (the same envelope `scrim process --json` prints,
 *                     plus temporariesRemoved: {files, bytes}, the temporaries of a killed run removed beside
 *                     the output); free with scrim_string_free. Also set on failure when a partial report exists,
 *                     else NULL.
 * The output's container follows its extension (.wav/.bwf, .rf64, .w64, .aif/.aiff, .flac, .caf); any other is
 * SCRIM_ERROR_FILE before any work. Only regular files are replaced, and only with overwrite.
 */
scrim_status scrim_process_file(const char *input, const char *output, const char *preset, int overwrite,
                                char **out_report);

/**
 * Measures a file's loudness (the envelope `scrim loudness --json` prints for a file; the measurement under
 * "loudness": integratedLoudnessLufs, loudnessRangeLu, truePeakDbtp, samplePeakDbfs, …).
 * @param dialogue non-zero to also gate on speech (dialogueLoudnessLufs).
 */
scrim_status scrim_measure_file_loudness(const char *path, int dialogue, char **out_json);

/* ---- Loudness meter on blocks ------------------------------------------------------------------------- */

/** Creates a meter. Channel weights follow BS.1770-4 for 1, 2, 5 (L R C Ls Rs) and 6 (5.1, LFE excluded) and 8
 *  channels (7.1); other counts weigh every channel 1.0. @param true_peak non-zero to measure true peak. */
scrim_status scrim_meter_create(double sample_rate, int channel_count, int max_block_frames, int true_peak,
                                scrim_meter **out_meter);

/** Creates a meter with the channel weights named by `layout`: "auto" (or NULL: as scrim_meter_create), "equal"
 *  (every channel 1.0: the weights the CLI gives a production poly file, whose tracks are microphones), "mono",
 *  "stereo", "5.0", "5.1" or "7.1" (the layout must have channel_count channels). */
scrim_status scrim_meter_create_with_layout(double sample_rate, int channel_count, int max_block_frames, int true_peak,
                                            const char *layout, scrim_meter **out_meter);

/** Adds a block (not modified). */
scrim_status scrim_meter_add(scrim_meter *meter, const float *const *channels, int channel_count,
                             int frame_count);

/** The measurement so far as JSON (the object under "loudness" in scrim_measure_file_loudness). Free with
 *  scrim_string_free. */
scrim_status scrim_meter_result_json(scrim_meter *meter, char **out_json);

/** Destroys a meter. NULL is ignored. */
void scrim_meter_destroy(scrim_meter *meter);

#ifdef __cplusplus
}
#endif

#endif /* SCRIM_H */
