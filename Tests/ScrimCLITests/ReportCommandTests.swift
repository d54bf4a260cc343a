import Foundation
import Testing

/// `scrim batch --html` and `scrim report`: the day report page, its stored sources and its errors.
@Suite struct ReportCommandTests {
    /// The `<tbody>` of a page (the rows; the header holds the time the page was made).
    static func rows(_ page: String) -> String {
        guard let start = page.range(of: "<tbody>"), let end = page.range(of: "</tbody>") else { return "" }
        return String(page[start.lowerBound..<end.upperBound])
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// src/ with two tones, the poly sample (iXML scene 42A, take 3) and a file that is not audio.
    static func day() throws -> (folder: TemporaryFolder, source: String, output: String) {
        let folder = TemporaryFolder()
        let source = folder.file("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try writeShortWAV(to: source + "/a.wav", frames: 24_000)
        try writeShortWAV(to: source + "/b.wav", frames: 12_000)
        try FileManager.default.copyItem(atPath: CLI.sample("poly_bwf_4ch.wav"), toPath: source + "/poly.wav")
        _ = try folder.write("src/bad.wav", "not audio\n")
        return (folder, source, folder.file("out"))
    }

    @Test func batchWritesThePageAndReportRebuildsTheSameRows() throws {
        let (folder, source, output) = try Self.day()
        let validator = try SchemaValidator()
        let page = folder.file("day3.html")
        let batch = try CLI.run(["batch", source, "-o", output, "--preset", "denoise-only", "--html", page, "--json"])
        #expect(batch.status == 1, "a bad file fails the batch: \(batch.stderr)")
        let lines = try batch.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        for line in lines {
            let problems = validator.violations(of: line, against: "batch.schema.json")
            #expect(problems.isEmpty, Comment(rawValue: problems.joined(separator: "\n")))
        }
        let summary = try #require(lines.last?["summary"])
        #expect(summary["dayReport"]?["html"] == .string(page))
        #expect(summary["dayReport"]?["files"] == .number(4) && summary["dayReport"]?["failed"] == .number(1))

        let first = try String(contentsOfFile: page, encoding: .utf8)
        #expect(Self.count("<tr class=", in: Self.rows(first)) == 4)
        #expect(Self.count("class=\"fail\"", in: Self.rows(first)) == 1 && first.contains("notAudio"))
        #expect(first.contains("<td>42A</td>") && first.contains("<span>2 LAV A</span>"))
        #expect(first.contains("14:23:05:12"))

        // The stored files the page is built from match their documented shapes.
        let reports = output + "/.scrim/reports/src"
        for name in ["a.wav.json", "poly.wav.json", "bad.wav.json"] {
            let stored = try JSONParser.parse(String(contentsOfFile: reports + "/" + name, encoding: .utf8))
            let problems = validator.violations(of: stored, against: "report.schema.json#/$defs/storedReport")
            #expect(problems.isEmpty, Comment(rawValue: name + "\n" + problems.joined(separator: "\n")))
        }
        let record = try JSONParser.parse(String(contentsOfFile: output + "/.scrim/batches/all.json", encoding: .utf8))
        let recordProblems = validator.violations(of: record, against: "report.schema.json#/$defs/batchRecord")
        #expect(recordProblems.isEmpty, Comment(rawValue: recordProblems.joined(separator: "\n")))

        let rebuilt = folder.file("again.html")
        let report = try CLI.run(["report", output, "--html", rebuilt, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let line = try JSONParser.parse(report.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let problems = validator.violations(of: line, against: "report.schema.json")
        #expect(problems.isEmpty, Comment(rawValue: problems.joined(separator: "\n")))
        #expect(line["report"]?["files"] == .number(4) && line["output"] == .string(rebuilt))
        #expect(Self.rows(try String(contentsOfFile: rebuilt, encoding: .utf8)) == Self.rows(first))

        // A second run leaves the good files up to date; the page is Scrim's, so it is replaced without asking.
        let again = try CLI.run(["batch", source, "-o", output, "--preset", "denoise-only", "--html", page])
        #expect(again.status == 1)
        #expect(again.stdout.contains("day report \(page): 4 files (0 done, 3 up to date, 1 failed"))
        let second = try String(contentsOfFile: page, encoding: .utf8)
        #expect(Self.count("<tr class=\"upToDate\"", in: second) == 3)
    }

    @Test func usageErrorsWriteNothing() throws {
        let (folder, source, output) = try Self.day()
        let missing = try CLI.run(["report", folder.file("nothere"), "--html", folder.file("x.html")])
        #expect(missing.status == 2 && missing.stderr.contains("no such folder"))
        let empty = try CLI.run(["report", source, "--html", folder.file("x.html")])
        #expect(empty.status == 2 && empty.stderr.contains("holds no Scrim batch reports"))
        let json = try CLI.run(["report", source, "--html", folder.file("x.html"), "--json"])
        #expect(json.status == 2 && json.stdout.contains("\"code\":\"usage\""))
        #expect(!FileManager.default.fileExists(atPath: folder.file("x.html")))

        let text = try CLI.run(["report", output, "--html", folder.file("day3.txt")])
        #expect(text.status == 2 && text.stderr.contains("name it NAME.html or NAME.htm"))
        let batchText = try CLI.run(["batch", source, "-o", output, "--html", folder.file("day3.pdf")])
        #expect(batchText.status == 2)
        let dry = try CLI.run(["batch", source, "-o", output, "--html", folder.file("day3.html"), "--dry-run"])
        #expect(dry.status == 2 && dry.stderr.contains("--dry-run"))

        // A page that is not Scrim's stops the batch before any file is touched.
        let notes = try folder.write("notes.html", "<p>the DIT's notes</p>\n")
        let refused = try CLI.run(["batch", source, "-o", output, "--preset", "denoise-only", "--html", notes])
        #expect(refused.status == 2 && refused.stderr.contains("not a Scrim day report"))
        #expect(!FileManager.default.fileExists(atPath: output), "nothing was processed")
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == "<p>the DIT's notes</p>\n")

        // With reports in place, report refuses the same page, and replaces it with --overwrite.
        let run = try CLI.run(["batch", source, "-o", output, "--preset", "denoise-only"])
        #expect(run.status == 1 && FileManager.default.fileExists(atPath: output + "/.scrim/batches/all.json"))
        #expect(try CLI.run(["report", output, "--html", notes]).status == 2)
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == "<p>the DIT's notes</p>\n")
        let replaced = try CLI.run(["report", output, "--html", notes, "--overwrite"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try String(contentsOfFile: notes, encoding: .utf8).contains("Scrim day report"))
    }
}
