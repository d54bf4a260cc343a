import CSndFile

#if canImport(Glibc)
import Glibc
#endif

/// libsndfile glue: format-code mapping and error texts. Nothing here is public; libsndfile types never leave
/// ScrimFiles.
enum SndFile {
    static let majorMask = Int32(SF_FORMAT_TYPEMASK)
    static let subtypeMask = Int32(SF_FORMAT_SUBMASK)

    /// libsndfile's name for a major format or subtype code (e.g. "AU (Sun/NeXT)", "A-Law").
    static func formatName(_ code: Int32, major: Bool) -> String {
        var info = SF_FORMAT_INFO()
        info.format = code
        let command = Int32(major ? SFC_GET_FORMAT_MAJOR : SFC_GET_FORMAT_SUBTYPE)
        // SFC_GET_FORMAT_MAJOR/SUBTYPE look up by index, so scan the (short) tables for the code.
        var count: Int32 = 0
        let countCommand = Int32(major ? SFC_GET_FORMAT_MAJOR_COUNT : SFC_GET_FORMAT_SUBTYPE_COUNT)
        sf_command(nil, countCommand, &count, Int32(MemoryLayout<Int32>.size))
        for index in 0..<count {
            info.format = index
            sf_command(nil, command, &info, Int32(MemoryLayout<SF_FORMAT_INFO>.size))
            if info.format == code, let name = info.name { return String(cString: name) }
        }
        return "format 0x" + String(code, radix: 16)
    }

    /// The container for libsndfile's major format code.
    static func container(major: Int32) -> AudioContainer {
        switch major {
        case Int32(SF_FORMAT_WAV), Int32(SF_FORMAT_WAVEX): .wav
        case Int32(SF_FORMAT_RF64): .rf64
        case Int32(SF_FORMAT_W64): .w64
        case Int32(SF_FORMAT_AIFF): .aiff
        case Int32(SF_FORMAT_FLAC): .flac
        case Int32(SF_FORMAT_CAF): .caf
        default: .other(formatName(major, major: true))
        }
    }

    /// The sample format for libsndfile's subtype code.
    static func sampleFormat(subtype: Int32) -> SampleFormat {
        switch subtype {
        case Int32(SF_FORMAT_PCM_U8): .pcmU8
        case Int32(SF_FORMAT_PCM_S8): .pcmS8
        case Int32(SF_FORMAT_PCM_16): .pcm16
        case Int32(SF_FORMAT_PCM_24): .pcm24
        case Int32(SF_FORMAT_PCM_32): .pcm32
        case Int32(SF_FORMAT_FLOAT): .float32
        case Int32(SF_FORMAT_DOUBLE): .float64
        default: .other(formatName(subtype, major: false))
        }
    }

    /// libsndfile's major format code for a container it writes (nil for the RIFF family, which Scrim writes).
    static func majorCode(for container: AudioContainer) -> Int32? {
        switch container {
        case .w64: Int32(SF_FORMAT_W64)
        case .aiff: Int32(SF_FORMAT_AIFF)
        case .flac: Int32(SF_FORMAT_FLAC)
        case .caf: Int32(SF_FORMAT_CAF)
        case .wav, .rf64, .bw64, .other: nil
        }
    }

    /// libsndfile's subtype code for a sample format (nil for ``SampleFormat/other(_:)``).
    static func subtypeCode(for format: SampleFormat) -> Int32? {
        switch format {
        case .pcmU8: Int32(SF_FORMAT_PCM_U8)
        case .pcmS8: Int32(SF_FORMAT_PCM_S8)
        case .pcm16: Int32(SF_FORMAT_PCM_16)
        case .pcm24: Int32(SF_FORMAT_PCM_24)
        case .pcm32: Int32(SF_FORMAT_PCM_32)
        case .float32: Int32(SF_FORMAT_FLOAT)
        case .float64: Int32(SF_FORMAT_DOUBLE)
        case .other: nil
        }
    }

    /// `"libsndfile: <sf_strerror text>"` for a handle, or for the last failed open when `handle` is nil.
    static func message(_ handle: OpaquePointer?) -> String {
        "libsndfile: " + String(cString: sf_strerror(handle))
    }
}

/// The file behind libsndfile's virtual I/O when reading: a POSIX descriptor, and an optional replacement for the
/// first four bytes. libsndfile 1.2.0 does not know the `BW64` form ID (ITU-R BS.2088), whose layout is RF64's,
/// so a BW64 file is shown to libsndfile with `RF64` in its place; the file itself is never modified.
final class VirtualReadSource {
    let file: PosixFile
    let size: Int64
    let headerOverride: [UInt8]?
    var position: Int64 = 0

    init(file: PosixFile, size: UInt64, headerOverride: [UInt8]?) {
        self.file = file
        self.size = Int64(size)
        self.headerOverride = headerOverride
    }

    /// The callback table; `user_data` is an unretained pointer to a `VirtualReadSource`, kept alive by its reader.
    static var callbacks: SF_VIRTUAL_IO {
        SF_VIRTUAL_IO(
            get_filelen: { user in virtualSource(user).size },
            seek: { offset, whence, user in
                let s = virtualSource(user)
                switch whence {
                case SEEK_SET: s.position = offset
                case SEEK_CUR: s.position += offset
                case SEEK_END: s.position = s.size + offset
                default: return -1
                }
                return s.position
            },
            read: { pointer, count, user in
                let s = virtualSource(user)
                guard let pointer, count > 0, s.position >= 0 else { return 0 }
                switch s.file.read(into: pointer, count: Int(count), at: UInt64(s.position)) {
                case .failure: return -1
                case .success(let n):
                    if let patch = s.headerOverride, s.position < Int64(patch.count) {
                        let bytes = pointer.assumingMemoryBound(to: UInt8.self)
                        var i = s.position
                        while i < Int64(patch.count) && i < s.position + Int64(n) {
                            bytes[Int(i - s.position)] = patch[Int(i)]
                            i += 1
                        }
                    }
                    s.position += Int64(n)
                    return Int64(n)
                }
            },
            write: { _, _, _ in -1 },
            tell: { user in virtualSource(user).position }
        )
    }

}

/// The ``VirtualReadSource`` behind a libsndfile virtual I/O callback's `user_data`.
private func virtualSource(_ user: UnsafeMutableRawPointer?) -> VirtualReadSource {
    // libsndfile passes back exactly the pointer given to sf_open_virtual, which is never nil.
    guard let user else { preconditionFailure("libsndfile virtual I/O called without its user data") }
    return Unmanaged<VirtualReadSource>.fromOpaque(user).takeUnretainedValue()
}
