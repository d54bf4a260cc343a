import Foundation
import ScrimCore
import Testing
@testable import ScrimFiles

@Suite struct RoundTripTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let container: AudioContainer
        let sampleFormat: SampleFormat
        /// The integer grid the test signal is quantised to: a depth the format holds exactly through Float.
        let gridBits: Int?
        var testDescription: String { "\(container) \(sampleFormat)" }
    }

    // Every case is exact: the signal sits on a grid the format stores without loss (8-bit signals for 8-bit
    // formats; 24-bit steps for 24/32-bit integers, since Float carries 24 significant bits; any Float for float
    // formats), so samples must come back bit-identical.
    static let cases: [Case] = [
        Case(container: .wav, sampleFormat: .pcmU8, gridBits: 8),
        Case(container: .wav, sampleFormat: .pcm16, gridBits: 16),
        Case(container: .wav, sampleFormat: .pcm24, gridBits: 24),
        Case(container: .wav, sampleFormat: .pcm32, gridBits: 24),
        Case(container: .wav, sampleFormat: .float32, gridBits: nil),
        Case(container: .wav, sampleFormat: .float64, gridBits: nil),
        Case(container: .rf64, sampleFormat: .pcm24, gridBits: 24),
        Case(container: .bw64, sampleFormat: .pcm16, gridBits: 16),
        Case(container: .w64, sampleFormat: .pcm16, gridBits: 16),
        Case(container: .w64, sampleFormat: .pcm24, gridBits: 24),
        Case(container: .w64, sampleFormat: .float32, gridBits: nil),
        Case(container: .aiff, sampleFormat: .pcmS8, gridBits: 8),
        Case(container: .aiff, sampleFormat: .pcm16, gridBits: 16),
        Case(container: .aiff, sampleFormat: .pcm24, gridBits: 24),
        Case(container: .aiff, sampleFormat: .pcm32, gridBits: 24),
        Case(container: .aiff, sampleFormat: .float32, gridBits: nil),
        Case(container: .flac, sampleFormat: .pcm16, gridBits: 16),
        Case(container: .flac, sampleFormat: .pcm24, gridBits: 24),
        Case(container: .caf, sampleFormat: .pcm16, gridBits: 16),
        Case(container: .caf, sampleFormat: .pcm24, gridBits: 24),
        Case(container: .caf, sampleFormat: .float64, gridBits: nil),
    ]

    @Test(arguments: cases)
    func samplesComeBackIdentical(_ testCase: Case) throws {
        let folder = TemporaryFolder()
        let path = folder.file("take.out")
        let signal = noise(channelCount: 3, frameCount: 5_003, seed: 7, bits: testCase.gridBits)
        let format = AudioFileFormat(container: testCase.container, sampleFormat: testCase.sampleFormat,
                                     sampleRate: 48_000, channelCount: 3)
        let writer = try writeFile(path, format: format, channels: signal)
        #expect(writer.clippedSampleCount == 0)
        #expect(writer.frameCount == 5_003)

        let (info, channels) = try readAll(path)
        #expect(info.container == testCase.container)
        #expect(info.sampleFormat == testCase.sampleFormat)
        #expect(info.sampleRate == 48_000)
        #expect(info.channelCount == 3)
        #expect(info.frameCount == 5_003)
        #expect(channels == signal)
        #expect(folder.contents() == ["take.out"])
    }

    @Test func extensibleFormatKeepsMaskAndFlag() throws {
        let folder = TemporaryFolder()
        let path = folder.file("ext.wav")
        let signal = noise(channelCount: 4, frameCount: 1_000, seed: 3)
        // 0x33 = FL | FR | BL | BR (quad), WAVEFORMATEXTENSIBLE dwChannelMask.
        let format = AudioFileFormat(container: .wav, sampleFormat: .pcm24, sampleRate: 96_000, channelCount: 4,
                                     channelMask: 0x33, isExtensible: true)
        try writeFile(path, format: format, channels: signal)
        let (info, channels) = try readAll(path)
        #expect(info.isExtensible)
        #expect(info.channelMask == 0x33)
        #expect(info.format == format)
        #expect(channels == signal)
        // The fmt chunk is 40 bytes with the PCM SubFormat GUID {00000001-0000-0010-8000-00AA00389B71}.
        let fmt = try #require(info.chunks.first { $0.id == "fmt " })
        #expect(fmt.data.count == 40)
        #expect(Array(fmt.data[24..<40]) == [1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71])
    }

    /// libsndfile reads 24-bit samples as x / 2^23; writing those floats back must give the same integers,
    /// including both ends of the range. Compared on the raw bytes of the data chunk.
    @Test func twentyFourBitIntegersSurviveExactly() throws {
        let folder = TemporaryFolder()
        var state: UInt32 = 12_345
        var left: [Int32] = [-8_388_608, 8_388_607, 0, 1, -1, 4_194_304]
        var right: [Int32] = [8_388_607, -8_388_608, -1, 0, 1, -4_194_305]
        for _ in 0..<10_000 {
            state = state &* 1_664_525 &+ 1_013_904_223  // Numerical Recipes LCG
            left.append(Int32(bitPattern: state) >> 8)
            state = state &* 1_664_525 &+ 1_013_904_223
            right.append(Int32(bitPattern: state) >> 8)
        }
        var builder = WAVBuilder()
        builder.add("fmt ", WAVBuilder.fmt(channels: 2, sampleRate: 48_000, bits: 24))
        let samples = WAVBuilder.pcm24([left, right])
        builder.add("data", samples)
        let input = folder.write(builder.bytes(), to: "in.wav")

        let (info, channels) = try readAll(input, blockFrames: 1_000)
        let output = folder.file("out.wav")
        let writer = try writeFile(output, format: info.format, channels: channels, chunks: info.chunks)
        #expect(writer.clippedSampleCount == 0)
        let written = readBytes(output)
        let range = try #require(dataRange(written))
        #expect(Array(written[range]) == samples)
    }

    @Test(arguments: [1, 777, 65_536])
    func blockSizeDoesNotChangeSamples(_ blockFrames: Int) throws {
        let folder = TemporaryFolder()
        let path = folder.file("blocks.wav")
        let signal = noise(channelCount: 2, frameCount: 20_011, seed: 11)
        try writeFile(path, format: AudioFileFormat(container: .wav, sampleFormat: .pcm24, sampleRate: 48_000,
                                                    channelCount: 2), channels: signal)
        let (_, channels) = try readAll(path, blockFrames: blockFrames)
        #expect(channels == signal)
    }

    @Test func seekThenReadGivesTheFramesFromThere() throws {
        let folder = TemporaryFolder()
        let path = folder.file("seek.flac")
        let signal = noise(channelCount: 2, frameCount: 10_000, seed: 5, bits: 16)
        try writeFile(path, format: AudioFileFormat(container: .flac, sampleFormat: .pcm16, sampleRate: 44_100,
                                                    channelCount: 2), channels: signal)
        let reader = try AudioFileReader(path: path)
        try reader.seek(toFrame: 6_543)
        let buffer = AudioBuffer(channelCount: 2, capacity: 100)
        #expect(try reader.read(into: buffer) == 100)
        #expect(Array(buffer.channel(1)) == Array(signal[1][6_543..<6_643]))
        try reader.seek(toFrame: 10_000)
        #expect(try reader.read(into: buffer) == 0)
        #expect(buffer.frameCount == 0)
    }

    /// Float → 16-bit: x·32768 rounded, clipped to −32768…32767. +1.0 is one step above 32767 and so clips.
    @Test func clippingIsCountedAndNaNIsZeroed() throws {
        let folder = TemporaryFolder()
        for container in [AudioContainer.wav, .aiff] {
            let path = folder.file("clip.\(container)")
            let input: [Float] = [1.5, -2, 0.5, 1.0, -1.0, .nan, .infinity, 0.25]
            let writer = try writeFile(path, format: AudioFileFormat(container: container, sampleFormat: .pcm16,
                                                                     sampleRate: 8_000, channelCount: 1),
                                       channels: [input])
            #expect(writer.clippedSampleCount == 4)  // 1.5, −2, 1.0, +∞ (−1.0 is exactly −32768)
            #expect(writer.nonFiniteSampleCount == 1)
            let (_, channels) = try readAll(path)
            let top: Float = 32_767 / 32_768
            #expect(channels[0] == [top, -1, 0.5, top, -1, 0, top, 0.25])
        }
    }
}
