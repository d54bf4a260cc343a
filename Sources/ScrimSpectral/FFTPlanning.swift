import CFFTW
#if canImport(Glibc)
import Glibc
#endif
import ScrimCore
import Synchronization

/// FFT planning policy and the process-wide lock around FFTW's planner.
///
/// FFTW's planner (`fftwf_plan_*`, `fftwf_destroy_plan`) shares global state and is not thread-safe;
/// executing a finished plan on distinct buffers is (FFTW 3.3 manual, §5.4 "Thread safety"). Scrim
/// therefore serialises plan creation and destruction behind one lock for the whole process, and never
/// locks when executing. Only ScrimSpectral talks to FFTW, so this lock covers every plan Scrim makes.
public enum FFTPlanning {
    /// How hard FFTW searches for a fast plan.
    public enum Rigor: Sendable, Hashable, CaseIterable {
        /// `FFTW_ESTIMATE`: picks a plan by heuristics in microseconds, deterministically, without
        /// touching the buffers. The default everywhere in Scrim.
        case estimate
        /// `FFTW_MEASURE`: times candidate plans (tens of milliseconds to seconds per size) and may pick
        /// a different plan from run to run; results can differ in the last bits between plans.
        case measure

        var flags: UInt32 {
            switch self {
            case .estimate: FFTW_ESTIMATE
            case .measure: FFTW_MEASURE
            }
        }
    }

    /// The one lock serialising FFTW's planner in this process.
    private static let plannerLock = Mutex<Void>(())

    /// Runs `body` while holding the planner lock. Use for every `fftwf_plan_*` and `fftwf_destroy_plan`
    /// call, and for nothing else (execution must not lock). The first call imports ``wisdom``.
    static func withPlannerLock<R>(_ body: () -> R) -> R {
        plannerLock.withLock { _ in
            importWisdomOnce()
            return body()
        }
    }

    /// Set under the planner lock once the wisdom import has been tried.
    nonisolated(unsafe) private static var wisdomState: Bool? = nil

    /// Imports ``wisdom`` the first time it is called (the caller holds the planner lock). FFTW takes it only when
    /// its header matches this FFTW: the same version, built with the same codelets, on a CPU that registers the
    /// same SIMD ones (AVX here); otherwise it refuses the whole text and every size is planned by `FFTW_ESTIMATE`
    /// as before (``wisdomMatchesThisFFTW``, ``wisdomAccepted``).
    ///
    /// Why: `FFTW_ESTIMATE` picks plans by heuristics, and for the large transforms they are slow (8192 points
    /// 20–26 µs against 13–15 µs for the plan `FFTW_MEASURE` finds; 16384 points 52 against 30 µs), but measuring
    /// takes 0.2–0.3 s per size at every start and can pick a different plan from run to run. The wisdom is
    /// measured once (`Benchmarks/scripts/fftw_wisdom.sh`) and fixed in the source, so the plan, and the output to
    /// the bit, is the same on every run on a machine; planning stays as fast as `FFTW_ESTIMATE`. As before,
    /// another CPU (other SIMD codelets) can differ in the last bits.
    private static func importWisdomOnce() {
        guard wisdomState == nil else { return }
        wisdomState = wisdom.withCString { fftwf_import_wisdom_from_string($0) } != 0
    }

    /// Whether FFTW accepted the embedded ``wisdom`` (importing it first if no plan has been made yet); false when
    /// this FFTW's header differs (``wisdomMatchesThisFFTW``).
    static var wisdomAccepted: Bool {
        plannerLock.withLock { _ in
            importWisdomOnce()
            return wisdomState ?? false
        }
    }

    /// Whether the first line of the embedded ``wisdom`` (FFTW's version and the hashes of its registered codelets)
    /// equals the one this FFTW exports, i.e. whether FFTW should accept it.
    static var wisdomMatchesThisFFTW: Bool {
        plannerLock.withLock { _ -> Bool in
            guard let exported = fftwf_export_wisdom_to_string() else { return false }
            defer { free(exported) }
            let ours = wisdom.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            let theirs = String(cString: exported).split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            return !ours.isEmpty && ours == theirs
        }
    }
}

/// Aligned float storage from FFTW's allocator (`fftwf_alloc_real`), which aligns for FFTW's SIMD code.
enum FFTWMemory {
    /// Floats per aligned stride unit: strides are rounded up to 16 floats (64 bytes) so every sub-buffer
    /// carved out of one allocation keeps the allocation's alignment.
    static let strideUnit = 16

    /// `count` rounded up to a multiple of ``strideUnit``.
    static func alignedStride(_ count: Int) -> Int {
        max(strideUnit, (count + strideUnit - 1) / strideUnit * strideUnit)
    }

    /// Allocates `count` zero-filled floats. Throws when the allocator fails.
    static func allocateFloats(_ count: Int) throws(ScrimError) -> UnsafeMutablePointer<Float> {
        guard count > 0, let pointer = fftwf_alloc_real(count) else {
            throw ScrimError(.configuration, "could not allocate \(count) aligned floats for FFT buffers")
        }
        pointer.initialize(repeating: 0, count: count)
        return pointer
    }

    /// Frees storage from ``allocateFloats(_:)``.
    static func free(_ pointer: UnsafeMutablePointer<Float>) {
        fftwf_free(pointer)
    }

    /// Whether `pointer` has the alignment FFTW's plans made on ``allocateFloats(_:)`` storage expect.
    static func isAligned(_ pointer: UnsafePointer<Float>) -> Bool {
        fftwf_alignment_of(UnsafeMutablePointer(mutating: pointer)) == 0
    }
}
