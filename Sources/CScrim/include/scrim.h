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
 *   object must not be used from two threads at the same time. scrim_process_file,
 *   scrim_measure_file_loudness and the whole-buffer functions (scrim_*_buffer, scrim_match_buffers) may run
 *   concurrently with anything (each builds its own objects) on distinct buffers.
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
#define SCRIM_ABI_VERSION 2
/* ABI 2 (issue 21): the whole-buffer functions (scrim_denoise_buffer, scrim_dehum_buffer, scrim_normalize_buffer,
 * scrim_analyze_buffer, scrim_match_buffers, scrim_process_buffer); scrim_chain_create refuses a preset with
 * stages that cannot stream (SCRIM_ERROR_UNSUPPORTED) instead of dropping them.
 * Later in ABI 2, additions only (nothing existing changed, so the number stays 2): audio views
 * (scrim_audio_view; scrim_*_view, scrim_match_views, scrim_chain_process_view, scrim_chain_flush_view,
 * scrim_meter_add_view). SCRIM_HAS_AUDIO_VIEWS is defined by this header; a program that must also run against an
 * older ABI 2 library looks the functions up (dlsym) before use. */
#define SCRIM_HAS_AUDIO_VIEWS 1

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
 *                         Streaming chains run the de-click, de-hum (with a fixed frequency, always with the
 *                         classic remover: the tracker works on 28 s chunks; the report's dehum stage says "engine":
 *                         "classic"), rumble/wind ("wind": its latency, 16382 frames at 48 kHz with the default
 *                         linear-phase high-pass plus 2046 for the wind reducer, is in scrim_chain_latency) and
 *                         denoise stages. A preset with a stage that cannot stream (a loudness stage,
 *                         which needs the programme's measured loudness; de-hum with automatic detection, which
 *                         needs a pass over the material first) is refused with SCRIM_ERROR_UNSUPPORTED and a
 *                         message naming those stages (ABI 2; ABI 1 dropped them, listing them only in the report's
 *                         omittedStages, now always empty): run it with scrim_process_buffer (whole buffer,
 *                         two-pass) or scrim_process_file, or give a preset without them. scrim_presets_json says
 *                         which built-in presets stream.
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

/* ---- Whole buffers in memory (ABI 2) ------------------------------------------------------------------ */
/*
 * Each function below runs one CLI command's job on a whole buffer the caller owns, and gives the same audio and
 * the same JSON report as that command's --json for the same samples written as a 32-bit float WAV file.
 *
 * Common rules
 * - Audio: planar 32-bit float, `channels[c][0 ..< frame_count]`, full scale ±1.0, processed IN PLACE (the output
 *   replaces the input, sample-aligned, same length; no latency to compensate). Functions taking `const` pointers
 *   only read.
 * - channel_count 1 to 64; frame_count ≥ 1 (0 is SCRIM_ERROR_INVALID_ARGUMENT "0 frames"); sample_rate a whole
 *   number of Hz from 8000 to 768000 (what a WAV file carries and the CLI's jobs accept; 0, negative, NaN, ±Inf,
 *   fractional: SCRIM_ERROR_INVALID_ARGUMENT). A stage that cannot work at the rate returns an error saying why,
 *   as the CLI does for such a file.
 * - Samples must be finite: a NaN or ±Inf is SCRIM_ERROR_INVALID_ARGUMENT naming the channel and frame (both
 *   from 0) of the first one, and nothing is changed.
 * - options_json: NULL or "" (= the defaults) or a JSON object whose keys mirror the command's CLI flags in
 *   camelCase with units (listed per function). An unknown key, a wrong type or a value out of range is
 *   SCRIM_ERROR_CONFIGURATION naming the key. Malformed JSON is SCRIM_ERROR_CONFIGURATION.
 * - out_json: NULL (no report) or receives a malloc'd UTF-8 JSON object (free with scrim_string_free; set to NULL
 *   first, and on failure stays NULL): the envelope of the CLI's --json for the command — command, input (null),
 *   output (null), status ("done"), error (null), warnings [{code, message, track}] — then the report under the
 *   command's key(s), exactly as Sources/scrim/README.md documents and Sources/scrim/schemas validate
 *   (scrim_match_buffers: an array of such lines, as the CLI prints several); denoise, dehum, analyze and process
 *   end with "plot": null, as the CLI prints them without --plot. The report's "file" object describes the float
 *   WAV the job read and wrote (container "WAV", sampleFormat "float32", codingHistoryLine null); its
 *   elapsedSeconds and realTimeFactor are the job's.
 * - Finite samples beyond ±1e6 are set to 0 and counted, as the CLI does (invalidSamplesZeroed and a warning).
 * - On failure the buffers are unchanged.
 * - Threads: each call builds its own objects; calls may run concurrently from different threads (on different
 *   buffers). Nothing is kept after the call returns.
 * - Memory and disk: the current implementation runs the CLI's own file pipeline on a temporary 32-bit float WAV
 *   in a private folder created for the call and removed before it returns, also on failure: in $TMPDIR when it
 *   is set; else in /dev/shm (memory, not disk) when that is writable and has room for five times the buffer's
 *   samples; else in /tmp. It needs about twice the buffer's size in free space there (four times for
 *   scrim_process_buffer with a loudness stage). A temporary that cannot be written is SCRIM_ERROR_FILE naming it.
 */

/**
 * Reduces broadband noise in place, as `scrim denoise`.
 * @param options_json keys: "engine": "spectral" (default) | "neural" (DeepFilterNet3; needs the model, else
 *                     SCRIM_ERROR_MODEL); "reductionDb": number, the largest cut in dB (spectral 0-40, default 24;
 *                     neural 0-100, default none); "learn": "auto" (a fixed profile from the quietest 0.5 s) or
 *                     [startSeconds, endSeconds] (a profile from that range; spectral only); absent = adaptive
 *                     noise tracking; "modelPath": string, the neural model folder (default $SCRIM_MODEL_PATH,
 *                     then ~/.local/share/scrim/models/DeepFilterNet3).
 * @param out_json     the `scrim denoise --json` envelope: "denoise" (mode, noise floor before/after in dBFS,
 *                     reduction in dB, babble guard, …) and "file".
 */
scrim_status scrim_denoise_buffer(float *const *channels, int channel_count, int64_t frame_count,
                                  double sample_rate, const char *options_json, char **out_json);

/**
 * Removes mains hum in place, as `scrim dehum`: detection, then removal of the fundamental and its harmonics.
 * @param options_json keys: "frequencyHz": 50 | 60 | a number from 10 to 1000 | null or absent (= auto: the
 *                     detector searches 45-65 Hz; when it finds no hum nothing is changed and the report says so:
 *                     removedHarmonics empty); a fixed frequency where the detector hears no hum passes the audio
 *                     through unchanged with the warning humNotFound (as the CLI without --force);
 *                     "engine": "tracker" (default) | "classic".
 * @param out_json     the `scrim dehum --json` envelope: "dehum" (detection, removedFundamentalHz,
 *                     removedHarmonics, engine, track) and "file".
 */
scrim_status scrim_dehum_buffer(float *const *channels, int channel_count, int64_t frame_count,
                                double sample_rate, const char *options_json, char **out_json);

/**
 * Normalises loudness in place with one static gain, as `scrim normalize` (two passes: measure, then gain; the
 * look-ahead true-peak limiter catches only the peaks the gain pushes over the ceiling).
 * @param options_json keys: "targetLufs": -70 to 0 (default -23, integrated loudness, LUFS); "truePeakDbtp":
 *                     -30 to 0 (default -1, dBTP); "limiter": bool (default true; false lowers the gain to fit the
 *                     ceiling and reports the shortfall in LU, as --no-limiter); "layout": "auto" (default; as the
 *                     CLI's default for a WAV of that channel count), "equal", "mono", "stereo", "5.0", "5.1",
 *                     "7.1" (the loudness channel weights, as --layout); "dialogue": bool (default false; gate on
 *                     speech, as --dialogue). Silence gets no gain (reported).
 * @param out_json     the `scrim normalize --json` envelope: "normalize" (target, before, gain, after measured on
 *                     the output, limiter) and "file".
 */
scrim_status scrim_normalize_buffer(float *const *channels, int channel_count, int64_t frame_count,
                                    double sample_rate, const char *options_json, char **out_json);

/**
 * Analyses a buffer (only read), as `scrim analyze`: mains hum (fundamental, harmonics, drift), noise floor (RMS
 * of the quietest 0.5 s, dBFS), loudness (BS.1770-4 integrated LUFS, range LU, true peak dBTP, sample peak dBFS,
 * dialogue loudness) and per-track quality control (peaks, clipping runs, DC, dead/silent tracks, polarity).
 * @param options_json no keys yet: NULL, "" or {} (any key is SCRIM_ERROR_CONFIGURATION).
 * @param out_json     the `scrim analyze --json` envelope: "analysis" (sampleRate, channelCount, durationSeconds,
 *                     hum, noiseFloorDbfs, loudness, invalidSamplesZeroed, qc); findings are also warnings.
 */
scrim_status scrim_analyze_buffer(const float *const *channels, int channel_count, int64_t frame_count,
                                  double sample_rate, const char *options_json, char **out_json);

/**
 * Matches the loudness of takes in place, as `scrim match`: each take gets one static gain (limited as
 * scrim_normalize_buffer) bringing it to the reference take's loudness (as `scrim match --reference`) or, without
 * one, to the takes' median (as `scrim match --together`).
 * @param takes        take_count arrays of channel_count channel pointers: takes[t][c][0 ..< frame_counts[t]]
 *                     (the common rules apply to every take; a message names takes[t]).
 * @param frame_counts take_count lengths in frames (each ≥ 1).
 * @param take_count   2 to 4096.
 * @param options_json keys: "reference": index of the reference take (0-based; it is measured, never changed, and
 *                     not among the takes matched; silent: SCRIM_ERROR_INVALID_ARGUMENT); absent = together;
 *                     "truePeakDbtp": -30 to 0 (default -1); "limiter": bool (default true); "dialogue": bool
 *                     (default false, as --dialogue); "layout": as scrim_normalize_buffer. (No "targetLufs": the
 *                     CLI's match has no target; bring takes to a fixed loudness with scrim_normalize_buffer.)
 * @param out_json     a JSON array of the lines `scrim match --json` prints, in order: one line per take matched (in
 *                     take order, without the reference; input and output null), then the summary line
 *                     ("matchSummary", whose "reference" is "takes[R]" instead of a path, or null).
 * All passes run before any buffer is changed: on failure no take is changed.
 */
scrim_status scrim_match_buffers(float *const *const *takes, const int64_t *frame_counts, int take_count,
                                 int channel_count, double sample_rate, const char *options_json, char **out_json);

/**
 * Runs a whole preset on a whole buffer in place, as `scrim process` on a file: hum detection when the preset
 * finds the hum itself, the cleanup stages, then the two-pass loudness gain; sample-aligned, same length.
 * @param preset   a built-in preset name (e.g. "dailies") or a preset as JSON text (starting with '{');
 *                 unknown name: SCRIM_ERROR_UNKNOWN_PRESET.
 * @param out_json the `scrim process --json` envelope: "process" (preset, stages, passes, dehum, denoise, loudness,
 *                 qc) and "file". A neural preset needs the model (else SCRIM_ERROR_MODEL, as scrim_chain_create).
 */
scrim_status scrim_process_buffer(const char *preset, float *const *channels, int channel_count,
                                  int64_t frame_count, double sample_rate, char **out_json);

/**
 * The built-in preset names as a JSON array of {"name": string, "streamable": bool} ("streamable": accepted by
 * scrim_chain_create; the others run with scrim_process_buffer / scrim_process_file). Free with
 * scrim_string_free.
 */
scrim_status scrim_presets_json(char **out_json);

/* ---- Audio views: any layout and sample type, out of place (ABI 2 additions) ------------------------------ */
/*
 * A view describes samples where the caller has them — planar, interleaved (frames of channel_count samples, as
 * audio files and numpy/soundfile arrays hold them) or any other strides — as float32 or float64. The view
 * functions read the input view directly and write the output view directly, so a caller holding interleaved or
 * float64 samples needs no copy or conversion of its own. Inside, Scrim works on planar float32 exactly as the
 * planar functions do: float64 input is rounded to float32 (to nearest, as a C cast), float32 results widen
 * exactly to float64. The audio and report of a view call are therefore bit for bit those of the matching planar
 * function on the same samples converted to float32 (Tests/CAPI proves it).
 *
 * Sample (channel c, frame i) is at element index  c * channel_stride + i * frame_stride  from `data`, counted in
 * samples of the view's type (not bytes); strides may be negative or (for an input) 0. Common layouts:
 *   interleaved:  frame_stride = channel_count, channel_stride = 1
 *   planar, one block of channel_count runs of frame_count samples:  frame_stride = 1, channel_stride = frame_count
 * Rules (SCRIM_ERROR_INVALID_ARGUMENT naming the view and field otherwise): data not NULL and aligned to its sample
 * size; sample_type SCRIM_SAMPLE_FLOAT32 or SCRIM_SAMPLE_FLOAT64; channel_count 1 to 64; frame_count ≥ 0 (≥ 1 for
 * the whole-buffer functions); |strides| and frame_count below 2^40; an output view's samples must not overlap one
 * another (no 0 strides), it must have its input's channel_count and frame_count, and it is either the input view
 * itself (same data, type and strides: in place) or memory apart from the input's (their address ranges do not
 * meet). Input samples must be finite as float32: a NaN, ±Inf or a float64 beyond float32's range (±3.4e38) is
 * SCRIM_ERROR_INVALID_ARGUMENT naming the first one by frame and channel (channel order, then frame order) and how
 * many there are, with nothing written to the output and, for the streaming functions, the object unchanged.
 */

/** The sample type of a view. */
typedef enum scrim_sample_type {
    SCRIM_SAMPLE_FLOAT32 = 1,
    SCRIM_SAMPLE_FLOAT64 = 2
} scrim_sample_type;

/** Where a caller's samples are (40 bytes; the field offsets are part of the ABI: 0, 8, 16, 24, 32, 36). */
typedef struct scrim_audio_view {
    void *data;             /**< sample (channel 0, frame 0) */
    int64_t frame_count;    /**< frames (samples per channel) */
    int64_t frame_stride;   /**< samples between frame i and frame i + 1 of a channel */
    int64_t channel_stride; /**< samples between channel c and channel c + 1 of a frame */
    int32_t channel_count;  /**< 1 to 64 */
    int32_t sample_type;    /**< a scrim_sample_type */
} scrim_audio_view;

/**
 * The whole-buffer functions on views. Each does exactly what its planar counterpart does (scrim_denoise_buffer,
 * scrim_dehum_buffer, scrim_normalize_buffer, scrim_analyze_buffer, scrim_process_buffer, scrim_match_buffers:
 * same options_json keys, same report, same rules on frame_count, sample_rate and the temporary files, same
 * thread-safety), but reads `input` (only read) and writes the result to `output` (every sample of it; nothing on
 * failure). `output` may be `input` itself to work in place.
 */
scrim_status scrim_denoise_view(const scrim_audio_view *input, const scrim_audio_view *output, double sample_rate,
                                const char *options_json, char **out_json);
scrim_status scrim_dehum_view(const scrim_audio_view *input, const scrim_audio_view *output, double sample_rate,
                              const char *options_json, char **out_json);
scrim_status scrim_normalize_view(const scrim_audio_view *input, const scrim_audio_view *output,
                                  double sample_rate, const char *options_json, char **out_json);
/** Only reads `input`. */
scrim_status scrim_analyze_view(const scrim_audio_view *input, double sample_rate, const char *options_json,
                                char **out_json);
scrim_status scrim_process_view(const char *preset, const scrim_audio_view *input, const scrim_audio_view *output,
                                double sample_rate, char **out_json);
/**
 * As scrim_match_buffers on take_count takes (2 to 4096): inputs[t] and outputs[t] are arrays of take_count views;
 * every take has the same channel_count (frame counts may differ). The reference take's output receives its input
 * samples unchanged (as float32), unless it is the input itself. No take's memory may overlap another take's.
 */
scrim_status scrim_match_views(const scrim_audio_view *inputs, const scrim_audio_view *outputs, int take_count,
                               double sample_rate, const char *options_json, char **out_json);

/**
 * As scrim_chain_process on a view: reads `input`, writes the processed block (delayed by the latency, as
 * scrim_chain_process) to `output` (may be `input` itself). Any frame_count, 0 included (a block larger than
 * max_block_frames is processed in pieces; the output does not depend on block sizes). Unlike scrim_chain_process,
 * which zeroes non-finite samples and counts them, a non-finite input sample is refused before any of the block
 * is processed (the rules above). Does not allocate: the chain keeps a planar scratch of up to
 * max(8192, 262144 / channel_count) frames (at most max_block_frames) made at creation.
 */
scrim_status scrim_chain_process_view(scrim_chain *chain, const scrim_audio_view *input,
                                      const scrim_audio_view *output);
/** As scrim_chain_flush into a view (any frame_count; the blocks flushed add up to the latency). */
scrim_status scrim_chain_flush_view(scrim_chain *chain, const scrim_audio_view *output);
/** As scrim_meter_add on a view (only read; any frame_count, in pieces of at most max_block_frames; a non-finite
 *  sample is refused before any of the block is measured). Does not allocate. */
scrim_status scrim_meter_add_view(scrim_meter *meter, const scrim_audio_view *block);

#ifdef __cplusplus
}
#endif

#endif /* SCRIM_H */
