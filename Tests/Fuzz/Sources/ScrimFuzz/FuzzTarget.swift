// libFuzzer entry point for Scrim's file reading: the RIFF/RF64/BW64 chunk walker (RIFFParser), the checks and
// the block reads of AudioFileReader (libsndfile behind Scrim's virtual I/O and Scrim's own PCM decoding), and
// the bext / iXML metadata parsers. Thrown errors are the expected outcome for damaged input and are ignored;
// the fuzzer looks for traps (preconditions, overflow, out-of-range indexing), ASan reports and hangs.

import Scrim

#if canImport(Glibc)
import Glibc
#endif

/// Frames read per open at most, so a huge declared length cannot make one run slow.
private let maximumFramesPerOpen = 1 << 20

/// The per-process scratch file the input is written to (created on first use, removed at exit).
private nonisolated(unsafe) var scratchPath: String = ""
private nonisolated(unsafe) var scratchDescriptor: Int32 = -1

private func makeScratchFile() {
    var directory = "/tmp"
    if let tmp = getenv("TMPDIR").map({ String(cString: $0) }), !tmp.isEmpty {
        directory = tmp
    } else if access("/dev/shm", W_OK) == 0 {
        directory = "/dev/shm"
    }
    var template = Array("\(directory)/scrim-fuzz-\(getpid())-XXXXXX.wav".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
    guard fd >= 0 else {
        perror("scrim-fuzz: mkstemps")
        exit(2)
    }
    scratchDescriptor = fd
    scratchPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    atexit { if !scratchPath.isEmpty { unlink(scratchPath) } }
}

private func writeScratch(_ data: UnsafePointer<UInt8>?, _ size: Int) {
    if scratchDescriptor < 0 { makeScratchFile() }
    guard ftruncate(scratchDescriptor, 0) == 0 else {
        perror("scrim-fuzz: ftruncate")
        exit(2)
    }
    var done = 0
    while done < size, let data {
        let n = pwrite(scratchDescriptor, data + done, size - done, off_t(done))
        if n < 0 {
            if errno == EINTR { continue }
            perror("scrim-fuzz: pwrite")
            exit(2)
        }
        done += n
    }
}

/// Opens the scratch file, reads every frame (up to the cap) in blocks of `blockFrames`, seeks once and decodes
/// the metadata chunks.
private func exercise(options: AudioFileReader.Options, blockFrames: Int) {
    let reader: AudioFileReader
    do {
        reader = try AudioFileReader(path: scratchPath, options: options)
    } catch {
        _ = error.description
        return
    }
    defer { reader.close() }
    let info = reader.info
    _ = info.format.description
    _ = info.duration
    _ = info.isBroadcastWave

    let buffer = AudioBuffer(channelCount: info.channelCount, capacity: blockFrames)
    var total = 0
    do {
        while total < maximumFramesPerOpen {
            let got = try reader.read(into: buffer)
            if got == 0 { break }
            total += got
        }
        // One seek back into the middle and a short read (libsndfile seeking through Scrim's virtual I/O).
        try reader.seek(toFrame: info.frameCount / 2)
        _ = try reader.read(into: buffer)
    } catch {
        _ = error.description
    }

    for chunk in info.chunks {
        _ = chunk.description
        switch chunk.id {
        case "bext": decodeBroadcastExtension(chunk.data)
        case "iXML": decodeIXML(chunk.data, channelCount: info.channelCount)
        default: break
        }
    }
    // What `scrim info` and the batch reports build from the same chunks.
    let metadata = ProductionMetadata(info: info, fallbackRate: .fps25)
    _ = metadata.timeOfDay(sampleRate: info.sampleRate)
    _ = metadata.timecode?.description
    for channel in 0..<min(info.channelCount, 16) { _ = metadata.trackName(forChannel: channel) }
}

private func decodeBroadcastExtension(_ bytes: [UInt8]) {
    guard let bext = try? BroadcastExtension(chunkData: bytes) else { return }
    _ = bext.serialized()
    _ = bext.appendingCodingHistory("A=PCM,F=48000,W=24,M=mono,T=scrim-fuzz\r\n")
}

private func decodeIXML(_ bytes: [UInt8], channelCount: Int) {
    guard let ixml = try? IXMLMetadata(xml: bytes) else { return }
    for channel in 0..<min(channelCount, 16) { _ = ixml.trackName(forChannel: channel) }
    _ = ixml.value(atPath: ["SPEED", "NOTE"])
    _ = ixml.value(atPath: ["USER", "LOCATION"])
}

@_cdecl("LLVMFuzzerTestOneInput")
public func scrimFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    writeScratch(data, size)
    exercise(options: AudioFileReader.Options(), blockFrames: 4096)
    exercise(options: AudioFileReader.Options(acceptsTruncatedData: true), blockFrames: 1531)

    // Bytes that are not a RIFF-family file go straight to the metadata parsers too (the XML scanner gets far
    // more coverage this way than through a WAV wrapper).
    if size >= 4, let data, !(data[0] == 0x52 && data[1] == 0x49) && !(data[0] == 0x52 && data[1] == 0x46)
        && !(data[0] == 0x42 && data[1] == 0x57)
    {
        let bytes = Array(UnsafeBufferPointer(start: data, count: size))
        decodeIXML(bytes, channelCount: 2)
        decodeBroadcastExtension(bytes)
    }
    return 0
}
