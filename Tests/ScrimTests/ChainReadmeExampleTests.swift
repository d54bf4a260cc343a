import Foundation
import Testing
@testable import Scrim

/// The README's library example, compiled and run (file names and the buffer source made real).
@Suite struct ChainReadmeExampleTests {
    @Test func readmeExampleRuns() async throws {
        let folder = TemporaryFolder()
        try writeWAV(folder.file("A001.wav"), PresetJobDenoiseTests.noisyTake(frames: 48_000 * 2))
        try FileManager.default.createDirectory(atPath: folder.file("clean"), withIntermediateDirectories: true)
        let incomingBuffers = BufferSequence(channels: testSignal(channels: 2, frames: 20_000), sizes: [1000, 3000])
        var sent = 0
        func send(_ buffer: AudioBuffer) throws { sent += buffer.frameCount }

        // --- README.md, "Library" ---
        let result = try PresetJob.process(input: folder.file("A001.wav"), output: folder.file("clean/A001.wav"),
                                           preset: .dailies)
        _ = result.json.serialized(pretty: true)

        let chain = ProcessorChain([
            HumRemover(configuration: HumRemoverConfiguration(fundamentalHertz: 50)),
            NoiseReducer(settings: NoiseReducerSettings(reductionDecibels: 10)),
        ])
        try chain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        for try await cleaned in chain.process(blocks: incomingBuffers) { try send(cleaned) }
        // ---

        #expect(sent == 20_000)
        #expect(result.file.frameCount == 96_000)
    }
}
