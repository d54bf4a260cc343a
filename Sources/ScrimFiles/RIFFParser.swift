/// The `fmt ` chunk of a RIFF/WAVE file, decoded.
struct WaveFormatDescription: Equatable {
    /// The format tag as stored (1 PCM, 3 IEEE float, 0xFFFE extensible, …).
    var storedFormatTag: UInt16
    /// The effective tag: the stored one, or for WAVE_FORMAT_EXTENSIBLE the first two bytes of the SubFormat GUID.
    var formatTag: UInt16
    var channelCount: Int
    var sampleRate: Int
    var blockAlign: Int
    var bitsPerSample: Int
    var channelMask: UInt32?
    var isExtensible: Bool { storedFormatTag == 0xFFFE }

    /// Bytes per sample for the linear encodings (PCM, IEEE float, A-law, µ-law), whose frames are
    /// ``blockAlign`` bytes each; nil for block-coded ones (ADPCM, GSM 6.10, MPEG…), whose blocks hold many frames.
    var bytesPerSample: Int? {
        switch formatTag {
        case 0x0001, 0x0003, 0x0006, 0x0007: (bitsPerSample + 7) / 8
        default: nil
        }
    }

    /// A name for the effective tag, for error messages (Microsoft's registered WAVE format tags).
    var formatName: String {
        switch formatTag {
        case 0x0001: "PCM"
        case 0x0002: "Microsoft ADPCM"
        case 0x0003: "IEEE float"
        case 0x0006: "A-law"
        case 0x0007: "µ-law"
        case 0x0011: "IMA ADPCM"
        case 0x0031: "GSM 6.10"
        case 0x0050: "MPEG"
        case 0x0055: "MPEG Layer 3"
        case 0x00FF: "AAC"
        default: "format tag 0x" + String(formatTag, radix: 16, uppercase: true)
        }
    }
}

/// Where things are in a RIFF-family file, as found by ``RIFFParser``.
struct RIFFLayout {
    /// `RIFF`, `RF64` or `BW64`.
    var formID: String
    var container: AudioContainer
    var format: WaveFormatDescription
    /// The `fmt ` payload as stored.
    var formatPayload: [UInt8]
    /// Byte offset of the first sample.
    var dataOffset: UInt64
    /// Data size the header announces (from `ds64` for RF64/BW64).
    var declaredDataSize: UInt64
    /// Data bytes actually present before end of file (≤ ``declaredDataSize``).
    var availableDataSize: UInt64
    /// Every chunk except `data`, in file order.
    var chunks: [RIFFChunk]
    /// What was found after the audio and could not be read as chunks, in words (nil when nothing was): those
    /// bytes are not passed through, and the reader reports it.
    var trailingProblem: String? = nil
}

/// Scrim's own RIFF/WAVE, RF64 and BW64 chunk walker.
///
/// libsndfile reads the samples, but Scrim walks the chunks itself so that every chunk (known or not, before or
/// after `data`) is kept byte for byte, and so that damage is found and named before any audio is decoded.
///
/// Layout rules applied (Microsoft RIFF; EBU Tech 3306 for RF64; ITU-R BS.2088 for BW64):
/// - A chunk is a 4-byte ID, a 32-bit little-endian payload size and the payload, followed by one pad byte when
///   the size is odd (the pad byte is not counted in the size).
/// - In RF64/BW64 the first chunk is `ds64`: 64-bit RIFF size, `data` size and sample count, then a table of
///   (ID, 64-bit size) for other chunks over 4 GiB. A 32-bit size of 0xFFFFFFFF means "see ds64"; for `data`
///   the ds64 value is used whatever the 32-bit field holds (writers put 0xFFFFFFFF, some 0).
/// - The RIFF size field itself is not trusted (it is wrong in many files from the field); the walk runs to the
///   end of the file instead. After `data`, bytes that do not look like a chunk header end the walk.
enum RIFFParser {
    /// Parses `file` if it is a RIFF/WAVE, RF64/WAVE or BW64/WAVE file.
    /// - Returns: the layout, or nil when the file does not start with a RIFF-family WAVE header.
    /// - Throws: ``AudioFileError`` for damage (truncation, bad sizes, absurd `fmt ` values, huge chunks).
    static func parse(_ file: PosixFile, fileSize: UInt64, path: String) throws(AudioFileError) -> RIFFLayout? {
        let header = try read(file, count: 12, at: 0, path: path)
        guard header.count >= 4 else { return nil }
        let formID = RIFFChunk.string(fromID: Array(header[0..<4]))
        let container: AudioContainer
        switch formID {
        case "RIFF": container = .wav
        case "RF64": container = .rf64
        case "BW64": container = .bw64
        default: return nil
        }
        guard header.count == 12 else {
            throw AudioFileError(.truncated, path: path, reason: "the file ends inside its \(formID) header")
        }
        guard RIFFChunk.string(fromID: Array(header[8..<12])) == "WAVE" else { return nil }
        let is64 = container != .wav

        var chunks: [RIFFChunk] = []
        var ds64DataSize: UInt64?
        var ds64Table: [String: UInt64] = [:]
        var format: WaveFormatDescription?
        var formatPayload: [UInt8] = []
        var data: (offset: UInt64, declared: UInt64, available: UInt64)?
        var position: UInt64 = 12
        var trailingProblem: String?
        var formatCount = 0

        while position + 8 <= fileSize {
            let chunkHeader = try read(file, count: 8, at: position, path: path)
            let idBytes = Array(chunkHeader[0..<4])
            let id = RIFFChunk.string(fromID: idBytes)
            guard idBytes.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
                if data != nil { break }  // trailing bytes after the last chunk: not part of the WAVE form
                throw AudioFileError(.corruptHeader, path: path,
                                     reason: "unreadable chunk header at byte \(position), before the audio")
            }
            let size32 = chunkHeader.uint32LE(at: 4)
            var size = UInt64(size32)
            if is64 && id == "data", let ds64DataSize {
                size = ds64DataSize
            } else if is64 && size32 == 0xFFFF_FFFF {
                guard let tableSize = ds64Table[id] else {
                    throw AudioFileError(
                        .corruptHeader, path: path,
                        reason: "the '\(id)' chunk's size is in the ds64 chunk, which does not list it")
                }
                size = tableSize
            }
            let payloadOffset = position + 8
            let remaining = fileSize - payloadOffset

            if id == "data" {
                guard data == nil else {
                    // Some broken writers append a second take; which one is "the" audio cannot be known.
                    throw AudioFileError(.corruptHeader, path: path,
                                         reason: "the file has two 'data' chunks (at bytes "
                                             + "\(data.map { $0.offset - 8 } ?? 0) and \(position)); Scrim cannot "
                                             + "tell which is the audio")
                }
                guard format != nil else {
                    throw AudioFileError(.corruptHeader, path: path, reason: "the audio comes before its 'fmt ' chunk")
                }
                if is64 && ds64DataSize == nil {
                    throw AudioFileError(.corruptHeader, path: path, reason: "an \(formID) file without a ds64 chunk")
                }
                data = (payloadOffset, size, min(size, remaining))
                if size > remaining { break }
                position = payloadOffset + size + (size & 1)
                continue
            }

            if data != nil && (size > UInt64(RIFFChunk.maximumDataSize) || size > remaining) {
                // After intact audio, a chunk that cannot be: garbage appended by a copy tool, or a damaged
                // trailer. The audio stands; the rest is not passed through, and that is said.
                trailingProblem = "the \(fileSize - position) bytes after the audio from byte \(position) do not form "
                    + "a chunk (a '\(id)' chunk of \(size) bytes would run past the end of the file): not read, not "
                    + "passed through"
                break
            }
            guard size <= UInt64(RIFFChunk.maximumDataSize) else {
                throw AudioFileError(
                    .chunkTooLarge, path: path,
                    reason: "the '\(id)' metadata chunk is \(size) bytes, more than Scrim keeps in memory "
                        + "(\(RIFFChunk.maximumDataSize) bytes)")
            }
            guard size <= remaining else {
                let where_ = data == nil ? "before the audio" : "after the audio"
                throw AudioFileError(
                    .truncated, path: path,
                    reason: "the file ends inside the '\(id)' chunk \(where_) (\(remaining) of \(size) bytes present)")
            }
            let payload = try read(file, count: Int(size), at: payloadOffset, path: path)
            let placement: RIFFChunk.Placement = data == nil ? .beforeData : .afterData
            chunks.append(RIFFChunk(idBytes: idBytes, data: payload, placement: placement))

            switch id {
            case "ds64" where is64:
                guard payload.count >= 28 else {
                    throw AudioFileError(.corruptHeader, path: path,
                                         reason: "the ds64 chunk is too short (\(size) bytes)")
                }
                ds64DataSize = payload.uint64LE(at: 8)
                // The table's stated length is not trusted: only the entries the chunk really holds are read.
                let tableLength = min(Int(payload.uint32LE(at: 24)), (payload.count - 28) / 12)
                var entry = 28
                for _ in 0..<tableLength {
                    ds64Table[RIFFChunk.string(fromID: Array(payload[entry..<entry + 4]))] =
                        payload.uint64LE(at: entry + 4)
                    entry += 12
                }
            case "fmt ":
                formatCount += 1
                guard formatCount == 1 else {
                    throw AudioFileError(.corruptHeader, path: path,
                                         reason: "the file has two 'fmt ' chunks; Scrim cannot tell which describes "
                                             + "the audio")
                }
                format = try parseFormat(payload, path: path)
                formatPayload = payload
            default:
                break
            }
            position = payloadOffset + size + (size & 1)
        }

        guard let format else {
            throw AudioFileError(.corruptHeader, path: path, reason: "the WAVE file has no 'fmt ' chunk")
        }
        guard let data else {
            throw AudioFileError(.corruptHeader, path: path, reason: "the WAVE file has no 'data' chunk")
        }
        return RIFFLayout(formID: formID, container: container, format: format, formatPayload: formatPayload,
                          dataOffset: data.offset,
                          declaredDataSize: data.declared, availableDataSize: data.available, chunks: chunks,
                          trailingProblem: trailingProblem)
    }

    /// A minimal, well-formed WAVE header for the audio of `layout`: the original `fmt ` payload and a `data`
    /// chunk of `dataSize` bytes (RF64 with a `ds64` chunk when that exceeds the 32-bit limit).
    ///
    /// libsndfile decodes the samples of RIFF-family files through this header followed by the real data bytes
    /// (see ``VirtualReadSource``), never through the file's own chunk list: libsndfile 1.2.0 stops at odd-sized
    /// unknown chunks in RF64 files, refuses files whose `PEAK` chunk it dislikes and does not know `BW64`.
    /// Scrim's own walk is the authority on the layout; libsndfile only decodes.
    static func decodingHeader(for layout: RIFFLayout, dataSize: UInt64) -> [UInt8] {
        var fmt = Array("fmt ".utf8)
        fmt.appendLE(UInt32(layout.formatPayload.count))
        fmt += layout.formatPayload
        if layout.formatPayload.count % 2 == 1 { fmt.append(0) }
        var header: [UInt8] = []
        let plainSize = 4 + UInt64(fmt.count) + 8 + dataSize
        if plainSize <= UInt64(UInt32.max) {
            header.appendASCII("RIFF")
            header.appendLE(UInt32(plainSize))
            header.appendASCII("WAVE")
            header += fmt
            header.appendASCII("data")
            header.appendLE(UInt32(dataSize))
        } else {
            header.appendASCII("RF64")
            header.appendLE(UInt32.max)
            header.appendASCII("WAVE")
            header.appendASCII("ds64")
            header.appendLE(UInt32(28))
            header.appendLE(plainSize + 36)
            header.appendLE(dataSize)
            header.appendLE(dataSize / UInt64(layout.format.blockAlign))
            header.appendLE(UInt32(0))
            header += fmt
            header.appendASCII("data")
            header.appendLE(UInt32.max)
        }
        return header
    }

    /// Decodes and validates a `fmt ` payload (WAVEFORMATEX / WAVEFORMATEXTENSIBLE).
    static func parseFormat(_ payload: [UInt8], path: String) throws(AudioFileError) -> WaveFormatDescription {
        guard payload.count >= 16 else {
            throw AudioFileError(.corruptHeader, path: path,
                                 reason: "the 'fmt ' chunk is too short (\(payload.count) bytes, at least 16 needed)")
        }
        let storedTag = payload.uint16LE(at: 0)
        var description = WaveFormatDescription(
            storedFormatTag: storedTag, formatTag: storedTag, channelCount: Int(payload.uint16LE(at: 2)),
            sampleRate: Int(payload.uint32LE(at: 4)), blockAlign: Int(payload.uint16LE(at: 12)),
            bitsPerSample: Int(payload.uint16LE(at: 14)), channelMask: nil)
        if storedTag == 0xFFFE {
            // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) SubFormat GUID(16) after the 16 bytes.
            guard payload.count >= 40 else {
                throw AudioFileError(
                    .corruptHeader, path: path,
                    reason: "the extensible 'fmt ' chunk is too short (\(payload.count) of 40 bytes)")
            }
            description.channelMask = payload.uint32LE(at: 20)
            description.formatTag = payload.uint16LE(at: 24)
        }
        try validate(sampleRate: description.sampleRate, channelCount: description.channelCount, path: path)
        guard description.blockAlign > 0 else {
            throw AudioFileError(.invalidHeaderValue, path: path, reason: "the header gives a frame size of 0 bytes")
        }
        if let bytes = description.bytesPerSample {
            // Linear formats: one frame is one sample per channel, each in whole bytes (Microsoft RIFF: nBlockAlign
            // = nChannels × wBitsPerSample / 8). A disagreeing block align would make every frame count wrong.
            guard description.bitsPerSample > 0 else {
                throw AudioFileError(.invalidHeaderValue, path: path,
                                     reason: "the header gives 0 bits per sample for \(description.formatName) audio")
            }
            let expected = bytes * description.channelCount
            guard description.blockAlign == expected else {
                throw AudioFileError(
                    .invalidHeaderValue, path: path,
                    reason: "the header's frame size (\(description.blockAlign) bytes) disagrees with its "
                        + "\(description.channelCount) channels of \(description.bitsPerSample)-bit "
                        + "\(description.formatName) (\(expected) bytes)")
            }
        }
        return description
    }

    /// Throws ``AudioFileError/Code/invalidHeaderValue`` for a sample rate outside 1 Hz…768 kHz or a channel
    /// count outside 1…1024 (the same bounds as `ProcessSpec.validate()`; they catch corrupt headers).
    static func validate(sampleRate: Int, channelCount: Int, path: String) throws(AudioFileError) {
        guard sampleRate >= 1, sampleRate <= 768_000 else {
            throw AudioFileError(
                .invalidHeaderValue, path: path,
                reason: "the header gives a sample rate of \(sampleRate) Hz (1 Hz to 768 kHz expected)")
        }
        guard channelCount >= 1, channelCount <= 1024 else {
            throw AudioFileError(.invalidHeaderValue, path: path,
                                 reason: "the header gives \(channelCount) channels (1 to 1024 expected)")
        }
    }

    private static func read(_ file: PosixFile, count: Int, at offset: UInt64, path: String)
        throws(AudioFileError) -> [UInt8]
    {
        switch file.readBytes(count: count, at: offset) {
        case .success(let bytes): return bytes
        case .failure(let failure):
            throw AudioFileError(errno: failure.number, path: path, action: "read", fallback: .readFailed)
        }
    }
}
