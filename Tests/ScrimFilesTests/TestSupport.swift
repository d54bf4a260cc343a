import Foundation
import ScrimCore
@testable import ScrimFiles

/// A fresh folder under the system temp folder, removed with everything in it when released.
final class TemporaryFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "/scrim-files-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            preconditionFailure("cannot create test folder \(path): \(error)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Names in the folder, including hidden ones (temporary files start with a dot).
    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    func write(_ bytes: [UInt8], to name: String) -> String {
        let target = file(name)
        _ = FileManager.default.createFile(atPath: target, contents: Data(bytes))
        return target
    }
}

func readBytes(_ path: String) -> [UInt8] {
    (FileManager.default.contents(atPath: path)).map { [UInt8]($0) } ?? []
}

/// Seeded noise (64-bit LCG, Knuth's MMIX constants) in −amplitude…amplitude, quantised to `bits`-bit integer
/// steps when `bits` is given, so integer formats of at least that depth hold it exactly.
func noise(channelCount: Int, frameCount: Int, seed: UInt64, amplitude: Double = 0.9, bits: Int? = 24)
    -> [[Float]]
{
    var state = seed
    return (0..<channelCount).map { _ in
        (0..<frameCount).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Double(state >> 11) / Double(1 << 53) * 2 - 1
            var value = unit * amplitude
            if let bits {
                let steps = Double(1 << (bits - 1))
                value = (value * steps).rounded() / steps
            }
            return Float(value)
        }
    }
}

/// Writes `channels` to `path` in `format` with the given chunks.
@discardableResult
func writeFile(
    _ path: String, format: AudioFileFormat, channels: [[Float]], chunks: [RIFFChunk] = [],
    bextTransform: (([UInt8]) -> [UInt8])? = nil
) throws -> AudioFileWriter {
    let writer = try AudioFileWriter(path: path, format: format, chunks: chunks, bextTransform: bextTransform)
    let buffer = AudioBuffer(channels: channels)
    try buffer.withBlock { block in try writer.write(block) }
    try writer.finish()
    return writer
}

/// Reads a whole file with blocks of `blockFrames` frames.
func readAll(_ path: String, blockFrames: Int = 4096, options: AudioFileReader.Options = .init()) throws
    -> (info: AudioFileInfo, channels: [[Float]])
{
    let reader = try AudioFileReader(path: path, options: options)
    let buffer = AudioBuffer(channelCount: reader.info.channelCount, capacity: blockFrames)
    var channels = [[Float]](repeating: [], count: reader.info.channelCount)
    while try reader.read(into: buffer) > 0 {
        for c in 0..<buffer.channelCount { channels[c].append(contentsOf: buffer.channel(c)) }
    }
    return (reader.info, channels)
}

/// Builds RIFF-family files byte by byte, so tests control every field (and can damage them).
struct WAVBuilder {
    var formID = "RIFF"
    var chunks: [(id: String, payload: [UInt8], declaredSize: UInt32?)] = []

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }

    /// A plain PCM `fmt ` payload.
    static func fmt(tag: UInt16 = 1, channels: UInt16, sampleRate: UInt32, bits: UInt16) -> [UInt8] {
        let blockAlign = UInt16(truncatingIfNeeded: Int(channels) * Int(bits) / 8)
        return le16(tag) + le16(channels) + le32(sampleRate) + le32(sampleRate &* UInt32(blockAlign))
            + le16(blockAlign) + le16(bits)
    }

    /// 24-bit little-endian interleaved bytes for integer frames.
    static func pcm24(_ channels: [[Int32]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in 0..<channels[0].count {
            for c in channels.indices {
                let v = UInt32(bitPattern: channels[c][i])
                bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF)]
            }
        }
        return bytes
    }

    mutating func add(_ id: String, _ payload: [UInt8], declaredSize: UInt32? = nil) {
        chunks.append((id, payload, declaredSize))
    }

    func bytes(riffSize: UInt32? = nil) -> [UInt8] {
        var body = Array("WAVE".utf8)
        for chunk in chunks {
            body += Array(chunk.id.utf8) + Self.le32(chunk.declaredSize ?? UInt32(chunk.payload.count)) + chunk.payload
            if chunk.payload.count % 2 == 1 { body.append(0) }
        }
        return Array(formID.utf8) + Self.le32(riffSize ?? UInt32(body.count)) + body
    }
}

/// A `bext` payload (EBU Tech 3285 v2 layout: 602 fixed bytes, then Coding History) with a description and a
/// TimeReference, enough to check that it passes through byte for byte.
func makeBext(description: String, timeReference: UInt64, codingHistory: String) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 602)
    for (i, b) in description.utf8.prefix(256).enumerated() { bytes[i] = b }
    let reference = WAVBuilder.le64(timeReference)
    for i in 0..<8 { bytes[338 + i] = reference[i] }
    bytes[346] = 2  // version
    return bytes + Array(codingHistory.utf8)
}

/// The chunks a writer passes through (everything but the ones it regenerates).
func passThrough(_ chunks: [RIFFChunk]) -> [RIFFChunk] {
    chunks.filter { !AudioFileWriter.regeneratedChunkIDs.contains($0.id) }
}

/// Where the `data` payload starts and its size, found by walking plain RIFF chunks (test-side, independent of
/// the parser under test).
func dataRange(_ bytes: [UInt8]) -> Range<Int>? {
    var position = 12
    while position + 8 <= bytes.count {
        let id = String(decoding: bytes[position..<position + 4], as: UTF8.self)
        let size = Int(bytes[position + 4]) | Int(bytes[position + 5]) << 8 | Int(bytes[position + 6]) << 16
            | Int(bytes[position + 7]) << 24
        if id == "data" {
            if size == 0xFFFF_FFFF { return nil }
            return (position + 8)..<(position + 8 + size)
        }
        position += 8 + size + (size & 1)
    }
    return nil
}
