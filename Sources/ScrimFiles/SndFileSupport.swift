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

/// The byte stream libsndfile decodes when reading: an in-memory `prefix` followed by `length` bytes of the file
/// from `offset`. For RIFF-family files the prefix is a clean WAVE header
/// (``RIFFParser/decodingHeader(for:dataSize:)``) and the range is the audio data, so libsndfile never sees the
/// file's own chunk list; for other containers the prefix is empty and the range is the whole file. The file itself
/// is never modified.
final class VirtualReadSource {
    let file: PosixFile
    let prefix: [UInt8]
    let offset: UInt64
    let size: Int64
    var position: Int64 = 0

    init(file: PosixFile, prefix: [UInt8], offset: UInt64, length: UInt64) {
        self.file = file
        self.prefix = prefix
        self.offset = offset
        self.size = Int64(prefix.count) + Int64(length)
    }

    /// Copies up to `count` bytes from ``position`` into `destination`; returns the count, or -1 on an I/O error.
    func read(into destination: UnsafeMutableRawPointer, count: Int64) -> Int64 {
        var done: Int64 = 0
        let wanted = max(0, min(count, size - position))
        while done < wanted {
            let at = position + done
            if at < Int64(prefix.count) {
                let n = min(wanted - done, Int64(prefix.count) - at)
                prefix.withUnsafeBytes { raw in
                    if let base = raw.baseAddress {
                        (destination + Int(done)).copyMemory(from: base + Int(at), byteCount: Int(n))
                    }
                }
                done += n
            } else {
                let fileOffset = offset + UInt64(at - Int64(prefix.count))
                switch file.read(into: destination + Int(done), count: Int(wanted - done), at: fileOffset) {
                case .failure: return -1
                case .success(let n):
                    done += Int64(n)
                    if n == 0 {
                        position += done
                        return done
                    }
                }
            }
        }
        position += done
        return done
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
                guard let pointer, count > 0 else { return 0 }
                return virtualSource(user).read(into: pointer, count: count)
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
