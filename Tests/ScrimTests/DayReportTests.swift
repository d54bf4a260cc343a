import Foundation
import Testing
@testable import Scrim

/// The 8-byte PNG signature and an IHDR-shaped tail: enough for the store's signature check (the page only embeds
/// the bytes; it never decodes them).
private let fakePNG: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]

/// Occurrences of `needle` in `text`.
private func occurrences(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

/// The `<tbody>` part of a page.
private func tableBody(_ page: String) -> String {
    guard let start = page.range(of: "<tbody>"), let end = page.range(of: "</tbody>") else { return "" }
    return String(page[start.lowerBound..<end.upperBound])
}

/// A picture maker for the hook: fixed bytes, or an error, and a count of calls.
private final class CountingThumbnails: ThumbnailProvider, @unchecked Sendable {
    let fails: Bool
    private let lock = NSLock()
    private var made: [String] = []
    init(fails: Bool = false) { self.fails = fails }
    var calls: [String] { lock.lock(); defer { lock.unlock() }; return made }
    func thumbnail(input: String, output: String) throws -> [UInt8] {
        lock.lock()
        made.append(output)
        lock.unlock()
        if fails { throw ScrimError(.invalidState, "no plotter today") }
        return fakePNG + Array(input.utf8.suffix(8))
    }
}

@Suite struct DayReportRenderingTests {
    @Test func everyTextIsEscapedWithTheFiveCharacters() {
        #expect(DayReport.escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;")
        #expect(DayReport.escape("a \"b\" & 'c'") == "a &quot;b&quot; &amp; &#39;c&#39;")
        #expect(DayReport.escape("plain") == "plain")
        // A file name's byte that is not UTF-8 is shown as \xNN, as everywhere Scrim shows a path.
        let latin1 = SystemPath.string(fromBytes: Array("take".utf8) + [0xE9] + Array(".wav".utf8))
        #expect(DayReport.escape(latin1) == "take\\xE9.wav")
    }

    @Test func jsonInAScriptCannotCloseItAndStillReadsBack() throws {
        let tricky = "</script><!-- \u{2028}\u{2029} & >"
        let text = DayReport.scriptJSON(.array([.string(tricky)]))
        #expect(!text.contains("<") && !text.contains(">") && !text.contains("&"))
        #expect(!text.unicodeScalars.contains("\u{2028}") && !text.unicodeScalars.contains("\u{2029}"))
        let back = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
        #expect(back == [tricky])
    }

    @Test func warningsAreReadAsStringsOrObjects() {
        #expect(DayReport.Warning(json: "3 invalid samples") == DayReport.Warning(code: "other",
                                                                                  message: "3 invalid samples"))
        let object: [String: Any] = ["code": "deadTrack", "message": "no signal", "track": NSNumber(value: 1)]
        #expect(DayReport.Warning(json: object) == DayReport.Warning(code: "deadTrack", message: "no signal",
                                                                     track: "1"))
        let named: [String: Any] = ["code": "clipping", "message": "at full scale", "track": "LAV A"]
        #expect(DayReport.Warning(json: named)?.track == "LAV A")
        #expect(DayReport.Warning(json: ["message": "no code"] as [String: Any])?.code == "other")
        #expect(DayReport.Warning(json: NSNumber(value: 3)) == nil)
    }

    /// Four rows: done with warnings of two kinds, up to date, failed, and one whose take is a script and whose file
    /// name has quotes and a Latin-1 byte.
    static func sampleReport() -> DayReport {
        var clipped = DayReport.Row(relativeOutput: "A001.wav", status: .done)
        clipped.warnings = [DayReport.Warning(code: "clipping", message: "412 samples at full scale", track: "1"),
                            DayReport.Warning(code: "other", message: "bext unreadable")]
        clipped.durationSeconds = 3600
        clipped.loudnessBeforeLufs = -30
        clipped.loudnessAfterLufs = -23
        clipped.picture = fakePNG
        var current = DayReport.Row(relativeOutput: "A002.wav", status: .upToDate)
        current.durationSeconds = 1800
        current.warnings = [DayReport.Warning(code: "clipping", message: "2 samples", track: "2")]
        var failed = DayReport.Row(relativeOutput: "bad.wav", status: .failed)
        failed.error = ("notAudio", "bad.wav: not an audio file")
        var hostile = DayReport.Row(relativeOutput: SystemPath.string(fromBytes: Array("q\"uo'te".utf8) + [0xE9]
                                                                          + Array(".wav".utf8)), status: .done)
        hostile.take = "<script>alert(1)</script>"
        hostile.scene = "<img src=x onerror=alert(2)>"
        hostile.trackNames = ["BOOM", nil, "LAV </td>"]
        hostile.durationSeconds = 60
        return DayReport(outputFolder: "/day3", rows: [clipped, current, failed, hostile])
    }

    @Test func oneRowPerFileAndTheSummaryCounts() {
        let report = Self.sampleReport()
        let summary = report.summary
        #expect(summary.files == 4 && summary.done == 2 && summary.upToDate == 1 && summary.failed == 1)
        // Audio of the files done or up to date: 3600 + 1800 + 60 s (the failed file has none).
        #expect(summary.audioSeconds == 5460)
        #expect(summary.warningsByCode.map(\.code) == ["clipping", "other"])
        #expect(summary.warningsByCode.map(\.count) == [2, 1])
        #expect(summary.filesWithProblems == 3)
        let page = report.html()
        let body = tableBody(page)
        #expect(occurrences("<tr class=", in: body) == 4)
        #expect(occurrences("class=\"warning\"", in: body) == 3)
        #expect(occurrences("class=\"fail\"", in: body) == 1)
        #expect(page.contains("data-count=\"files\"><b>4</b>") && page.contains("data-count=\"failed\"><b>1</b>"))
        #expect(page.contains("data-count=\"upToDate\"><b>1</b>"))
        #expect(page.contains("1.52 h of audio"))
        #expect(page.contains("data-code=\"clipping\">clipping <b>2</b>"))
    }

    @Test func stringsFromFilesNeverBecomeMarkup() {
        let page = Self.sampleReport().html()
        // Exactly the page's own three scripts: the error recorder, the pictures' JSON and the page script.
        #expect(occurrences("<script", in: page) == 3)
        #expect(!page.contains("<img src=x"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(page.contains("q&quot;uo&#39;te\\xE9.wav"))
        #expect(page.contains("3 LAV &lt;/td&gt;"))
        #expect(occurrences("</td>", in: tableBody(page)) == 4 * DayReport.columns.count)
    }

    @Test func theControlsAndTheLazyPicturesAreThere() {
        let page = Self.sampleReport().html()
        let sortable = DayReport.columns.filter { $0.sort != nil }.count
        #expect(sortable == 14)
        #expect(occurrences("<th data-col=", in: page) == sortable)
        #expect(page.contains("id=\"only-problems\""))
        #expect(occurrences("<tr class=\"done problem\"", in: page) == 1)
        #expect(occurrences("<tr class=\"upToDate problem\"", in: page) == 1)
        #expect(occurrences("<tr class=\"failed problem\"", in: page) == 1)
        #expect(occurrences("<tr class=\"done\"", in: page) == 1)
        #expect(page.contains("IntersectionObserver"))
        // One picture, kept as data (not an <img>) until its row nears the viewport; the others say so.
        #expect(occurrences("data-pic=\"0\"", in: page) == 1 && !page.contains("data-pic=\"1\""))
        #expect(occurrences("no picture", in: page) == 3)
        #expect(page.contains("\"data:image/png;base64," + Data(fakePNG).base64EncodedString() + "\""))
        #expect(!page.contains("<img"))
        // Self-contained: nothing is fetched.
        #expect(!page.contains("src=\"http") && !page.contains("href=") && !page.contains("@import"))
        #expect(page.contains("default-src 'none'"))
        #expect(page.contains(DayReport.generatorMarker))
    }

    @Test func theDestinationMustBeHTMLAndScrimsOrOverwritten() throws {
        let folder = TemporaryFolder()
        #expect(throws: ScrimError.self) { try DayReport.checkDestination(folder.file("day3.txt"), overwrite: true) }
        #expect(throws: ScrimError.self) { try DayReport.checkDestination(folder.file(".html"), overwrite: true) }
        try DayReport.checkDestination(folder.file("day3.HTM"), overwrite: false)
        #expect(throws: ScrimError.self) { try DayReport.checkDestination(folder.file("no/day3.html"), overwrite: true) }
        let foreign = folder.file("notes.html")
        try Data("<html>the DIT's own notes</html>".utf8).write(to: URL(fileURLWithPath: foreign))
        #expect(throws: AudioFileError.self) { try Self.sampleReport().write(to: foreign, overwrite: false) }
        #expect(try String(contentsOfFile: foreign, encoding: .utf8) == "<html>the DIT's own notes</html>")
        try Self.sampleReport().write(to: foreign, overwrite: true)
        #expect(DayReport.isScrimReport(foreign))
        // Scrim's own page is replaced without --overwrite.
        try DayReport(outputFolder: "/x", rows: []).write(to: foreign, overwrite: false)
        #expect(try String(contentsOfFile: foreign, encoding: .utf8).contains("No files."))
        try FileManager.default.createDirectory(atPath: folder.file("dir.html"), withIntermediateDirectories: true)
        #expect(throws: AudioFileError.self) { try DayReport.checkDestination(folder.file("dir.html"), overwrite: true) }
    }
}

@Suite struct DayReportStoreTests {
    @Test func aFolderIsReadBackWithStatusesPicturesAndFailures() throws {
        let folder = TemporaryFolder()
        try makeTone(folder.file("in/a.wav"))
        try makeTone(folder.file("in/b.wav"), seconds: 1)
        try Data("this is not audio".utf8).write(to: URL(fileURLWithPath: folder.file("in/bad.wav")))
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("out"))
        let pictures = CountingThumbnails()
        var options = BatchOptions(jobs: 2)
        options.thumbnails = pictures
        let first = BatchRunner.run(plan: plan, preset: levelPreset, options: options)
        try BatchRecord.write(first, outputFolder: plan.outputFolder, shard: nil)
        #expect(pictures.calls.count == 2, "one picture per file done, none for the failure")
        #expect(FileManager.default.fileExists(atPath: folder.file("out/.scrim/reports/in/a.wav.thumb.png")))
        #expect(!FileManager.default.fileExists(atPath: folder.file("out/.scrim/reports/in/bad.wav.thumb.png")))

        let report = try DayReport.load(outputFolder: folder.file("out"))
        #expect(report.rows.map(\.relativeOutput) == ["in/a.wav", "in/b.wav", "in/bad.wav"])
        #expect(report.rows.map(\.status) == [.done, .done, .failed])
        #expect(report.rows[0].picture == fakePNG + Array(folder.file("in/a.wav").utf8.suffix(8)))
        #expect(report.rows[1].durationSeconds == 1)
        #expect(report.rows[2].error?.code == "notAudio")
        #expect(report.rows[0].loudnessAfterLufs.map { abs($0 - -30) < 0.05 } == true,
                "the stored loudness is the one the batch measured (target -30 LUFS, within the 0.05 LU of its test)")
        #expect(report.rows[0].gainDb != nil && report.rows[0].limiterEngaged == false)
        #expect(report.lastRun?.realTimeFactor != nil)
        #expect(report.problems.isEmpty)

        // The next run leaves the good files alone: up to date; the picture of the first run is still embedded.
        let second = BatchRunner.run(plan: plan, preset: levelPreset, options: BatchOptions(jobs: 1))
        try BatchRecord.write(second, outputFolder: plan.outputFolder, shard: nil)
        let again = try DayReport.load(outputFolder: folder.file("out"))
        #expect(again.rows.map(\.status) == [.upToDate, .upToDate, .failed])
        #expect(again.rows[0].picture != nil && again.rows[1].picture != nil)
        #expect(again.summary.upToDate == 2 && again.summary.failed == 1)
    }

    @Test func aNameThatIsNotUTF8KeepsItsPicture() throws {
        let folder = TemporaryFolder()
        let name = SystemPath.string(fromBytes: Array("t".utf8) + [0xE9] + Array(".wav".utf8))
        try makeTone(folder.file("in/") + name)
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("out"))
        var options = BatchOptions(jobs: 1)
        options.thumbnails = CountingThumbnails()
        #expect(BatchRunner.run(plan: plan, preset: levelPreset, options: options).count(.done) == 1)
        let row = try #require(try DayReport.load(outputFolder: folder.file("out")).rows.first)
        #expect(row.relativeOutput == "in/t\\xE9.wav")
        #expect(row.picture?.starts(with: fakePNG) == true)
    }

    @Test func aPictureMakerThatFailsLeavesTheReasonAndTheFileDone() throws {
        let folder = TemporaryFolder()
        try makeTone(folder.file("in/a.wav"))
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("out"))
        var options = BatchOptions(jobs: 1)
        options.thumbnails = CountingThumbnails(fails: true)
        #expect(BatchRunner.run(plan: plan, preset: levelPreset, options: options).count(.done) == 1)
        let row = try #require(try DayReport.load(outputFolder: folder.file("out")).rows.first)
        #expect(row.status == .done && row.picture == nil)
        #expect(row.pictureProblem?.contains("no plotter today") == true)
        #expect(row.durationSeconds == 0.5)
    }

    @Test func aFileRefusedBeforeAnyWorkIsARowFromTheBatchRecord() throws {
        let folder = TemporaryFolder()
        try makeTone(folder.file("in/a.wav"))
        try FileManager.default.createDirectory(atPath: folder.file("out/in"), withIntermediateDirectories: true)
        try Data("someone else's file".utf8).write(to: URL(fileURLWithPath: folder.file("out/in/a.wav")))
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("out"))
        let summary = BatchRunner.run(plan: plan, preset: levelPreset, options: BatchOptions(jobs: 1))
        #expect(summary.count(.failed) == 1)
        // Without the record nothing is known about the folder.
        #expect(throws: ScrimError.self) { try DayReport.load(outputFolder: folder.file("out")) }
        try BatchRecord.write(summary, outputFolder: plan.outputFolder, shard: (index: 0, count: 2))
        #expect(FileManager.default.fileExists(atPath: folder.file("out/.scrim/batches/shard-0-of-2.json")))
        let row = try #require(try DayReport.load(outputFolder: folder.file("out")).rows.first)
        #expect(row.status == .failed && row.error?.code == "outputExists")
        #expect(row.input == folder.file("in/a.wav"))
    }

    @Test func aMissingFolderOrOneWithoutReportsIsRefused() throws {
        let folder = TemporaryFolder()
        #expect(throws: ScrimError.self) { try DayReport.load(outputFolder: folder.file("nothere")) }
        #expect(throws: ScrimError.self) { try DayReport.load(outputFolder: folder.path) }
    }

    @Test func anUnreadableStoredReportIsListedNotSkipped() throws {
        let folder = TemporaryFolder()
        try makeTone(folder.file("in/a.wav"))
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("out"))
        _ = BatchRunner.run(plan: plan, preset: levelPreset, options: BatchOptions(jobs: 1))
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: folder.file("out/.scrim/reports/in/z.wav.json")))
        let report = try DayReport.load(outputFolder: folder.file("out"))
        #expect(report.rows.count == 1)
        #expect(report.problems.count == 1 && report.problems.first?.contains("z.wav.json") == true)
        #expect(report.html().contains("1 stored file could not be read"))
    }
}
