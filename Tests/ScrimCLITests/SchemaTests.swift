import Foundation
import Testing

// Every command's real `--json` output checked against its JSON Schema in Sources/scrim/schemas, by a small
// validator written here (it supports exactly the keywords those schemas use, and refuses any other).

// MARK: - JSON

/// A JSON value with object keys kept in the order they were written (so the envelope's order can be checked).
indirect enum JSONNode: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONNode])
    case object([(key: String, value: JSONNode)])

    /// JSON equality: numbers by value, objects by their key-value pairs in any order.
    static func == (lhs: JSONNode, rhs: JSONNode) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)):
            a.count == b.count && a.allSatisfy { pair in b.contains { $0.key == pair.key && $0.value == pair.value } }
        default: false
        }
    }

    subscript(key: String) -> JSONNode? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    var keys: [String] {
        guard case .object(let pairs) = self else { return [] }
        return pairs.map(\.key)
    }

    var string: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }

    /// The JSON Schema type name of the value ("integer" for a number with no fractional part).
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let value): value == value.rounded() ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Compact JSON text.
    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
        case .string(let text):
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        case .array(let items): return "[" + items.map(\.description).joined(separator: ",") + "]"
        case .object(let pairs):
            return "{" + pairs.map { JSONNode.string($0.key).description + ":" + $0.value.description }
                .joined(separator: ",") + "}"
        }
    }

    /// `description`, cut to `limit` characters for messages.
    func brief(_ limit: Int = 60) -> String {
        let text = description
        return text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// A copy with the value at `path` (object keys) replaced, or removed when `value` is nil.
    func setting(_ path: [String], to value: JSONNode?) -> JSONNode {
        guard let first = path.first, case .object(var pairs) = self,
              let index = pairs.firstIndex(where: { $0.key == first }) else { return self }
        if path.count > 1 {
            pairs[index].value = pairs[index].value.setting(Array(path.dropFirst()), to: value)
        } else if let value {
            pairs[index].value = value
        } else {
            pairs.remove(at: index)
        }
        return .object(pairs)
    }

    /// A copy with the key at `path` renamed to `name` (its value and position kept).
    func renaming(_ path: [String], to name: String) -> JSONNode {
        guard let first = path.first, case .object(var pairs) = self,
              let index = pairs.firstIndex(where: { $0.key == first }) else { return self }
        if path.count > 1 {
            pairs[index].value = pairs[index].value.renaming(Array(path.dropFirst()), to: name)
        } else {
            pairs[index].key = name
        }
        return .object(pairs)
    }
}

struct JSONParseError: Error, CustomStringConvertible {
    var message: String
    var offset: Int
    var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// A strict JSON parser (RFC 8259; a duplicate key in an object is an error).
struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0

    static func parse(_ text: String) throws -> JSONNode {
        var parser = JSONParser(bytes: Array(text.utf8))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.failure("text after the value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func failure(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: index) }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    private mutating func expect(_ character: Unicode.Scalar) throws {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else {
            throw failure("expected \(character)")
        }
        index += 1
    }

    /// Consumes `character` (after white space) if it is next.
    private mutating func take(_ character: Unicode.Scalar) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    private mutating func value() throws -> JSONNode {
        skipSpace()
        guard index < bytes.count else { throw failure("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
            throw failure("expected \(word)")
        }
        index += expected.count
    }

    private mutating func number() throws -> JSONNode {
        let start = index
        while index < bytes.count, "-+0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard !text.isEmpty, !text.hasPrefix("+"), let value = Double(text), value.isFinite else {
            throw failure("not a JSON value")
        }
        return .number(value)
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - index >= 4,
              let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw failure("bad \\u escape")
        }
        index += 4
        return code
    }

    private mutating func string() throws -> String {
        try expect("\"")
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw failure("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"),
                              bytes[index + 1] == UInt8(ascii: "u") else { throw failure("lone surrogate") }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("bad surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw failure("bad \\u escape") }
                    utf8 += Array(String(Character(scalar)).utf8)
                default:
                    throw failure("bad escape")
                }
            case 0..<0x20:
                throw failure("control character in a string")
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func array() throws -> JSONNode {
        try expect("[")
        var items: [JSONNode] = []
        if take("]") { return .array(items) }
        repeat { items.append(try value()) } while take(",")
        try expect("]")
        return .array(items)
    }

    private mutating func object() throws -> JSONNode {
        try expect("{")
        var pairs: [(key: String, value: JSONNode)] = []
        if take("}") { return .object(pairs) }
        repeat {
            skipSpace()
            let key = try string()
            guard !pairs.contains(where: { $0.key == key }) else { throw failure("duplicate key \"\(key)\"") }
            try expect(":")
            pairs.append((key, try value()))
        } while take(",")
        try expect("}")
        return .object(pairs)
    }
}

// MARK: - Validator

/// A JSON Schema (draft 2020-12) validator for the keywords Scrim's schemas use: `type` (a name or an array of
/// names), `enum`, `const`, `required`, `properties`, `additionalProperties` (bool or schema), `items`,
/// `minItems`, `maxItems`, `minimum`, `maximum`, `pattern`, `allOf`, `anyOf`, `oneOf`, `if`/`then`/`else` and
/// `$ref` (`#/$defs/…` in the same file, `other.schema.json` or `other.schema.json#/$defs/…` in the folder).
/// Any other keyword in a schema is reported as a violation, so a schema cannot silently rely on one it ignores.
struct SchemaValidator: Sendable {
    static let assertions: Set<String> = [
        "type", "enum", "const", "required", "properties", "additionalProperties", "items", "minItems", "maxItems",
        "minimum", "maximum", "pattern", "allOf", "anyOf", "oneOf", "if", "then", "else", "$ref",
    ]
    static let annotations: Set<String> = ["$schema", "$id", "$comment", "$defs", "title", "description"]
    static let typeNames: Set<String> = ["null", "boolean", "integer", "number", "string", "array", "object"]

    /// The schema files by name (`denoise.schema.json`).
    let documents: [String: JSONNode]

    init(folder: String = CLI.packageRoot + "/Sources/scrim/schemas") throws {
        var documents: [String: JSONNode] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".schema.json") {
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            do {
                documents[name] = try JSONParser.parse(text)
            } catch {
                throw JSONParseError(message: "\(name): \(error)", offset: 0)
            }
        }
        self.documents = documents
    }

    /// The violations of `instance` against the schema at `reference` (`denoise.schema.json`, or
    /// `presets.schema.json#/$defs/document`), each `POINTER: what is wrong`; empty when it is valid.
    func violations(of instance: JSONNode, against reference: String) -> [String] {
        guard let (schema, document) = resolve(reference, in: "") else { return ["cannot resolve \(reference)"] }
        var errors: [String] = []
        check(instance, schema, document, "", &errors)
        return errors
    }

    /// The schema `reference` points to, and the file it is in; nil when it does not resolve.
    func resolve(_ reference: String, in document: String) -> (schema: JSONNode, document: String)? {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let file = parts[0].isEmpty ? document : String(parts[0])
        guard var node = documents[file] else { return nil }
        for token in (parts.count > 1 ? parts[1] : "").split(separator: "/") {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object:
                guard let next = node[key] else { return nil }
                node = next
            case .array(let items):
                guard let position = Int(key), items.indices.contains(position) else { return nil }
                node = items[position]
            default:
                return nil
            }
        }
        return (node, file)
    }

    private func isValid(_ instance: JSONNode, _ schema: JSONNode, _ document: String) -> Bool {
        var errors: [String] = []
        check(instance, schema, document, "", &errors)
        return errors.isEmpty
    }

    private static func matches(_ instance: JSONNode, type: String) -> Bool {
        type == "number" ? instance.typeName == "number" || instance.typeName == "integer" : instance.typeName == type
    }

    private static func pointer(_ path: String, _ key: String) -> String {
        path + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    // One function for all keywords keeps the rules side by side.
    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private func check(_ instance: JSONNode, _ schema: JSONNode, _ document: String, _ path: String,
                       _ errors: inout [String]) {
        func fail(_ message: String, at location: String? = nil) {
            let where_ = location ?? path
            errors.append((where_.isEmpty ? "/" : where_) + ": " + message)
        }
        if case .bool(let allowed) = schema {
            if !allowed { fail("no value is allowed here") }
            return
        }
        guard case .object(let keywords) = schema else { return fail("the schema is not an object (\(document))") }
        for (keyword, value) in keywords {
            switch keyword {
            case _ where Self.annotations.contains(keyword), "then", "else":
                continue
            case "$ref":
                guard let reference = value.string, let (target, file) = resolve(reference, in: document) else {
                    fail("unresolvable $ref \(value.brief()) in \(document)")
                    continue
                }
                check(instance, target, file, path, &errors)
            case "type":
                let names: [String]
                switch value {
                case .string(let name): names = [name]
                case .array(let items): names = items.compactMap(\.string)
                default: names = []
                }
                if !names.contains(where: { Self.matches(instance, type: $0) }) {
                    fail("expected \(names.joined(separator: " or ")), got \(instance.typeName) \(instance.brief())")
                }
            case "enum":
                guard case .array(let options) = value else { fail("enum is not an array (\(document))"); continue }
                if !options.contains(instance) { fail("\(instance.brief()) is not one of \(value.brief(100))") }
            case "const":
                if instance != value { fail("expected \(value.brief()), got \(instance.brief())") }
            case "required":
                guard case .object = instance, case .array(let names) = value else { continue }
                for name in names.compactMap(\.string) where instance[name] == nil {
                    fail("missing required key \"\(name)\"")
                }
            case "properties":
                guard case .object(let pairs) = instance, case .object(let declared) = value else { continue }
                for pair in pairs {
                    guard let sub = declared.first(where: { $0.key == pair.key })?.value else { continue }
                    check(pair.value, sub, document, Self.pointer(path, pair.key), &errors)
                }
            case "additionalProperties":
                guard case .object(let pairs) = instance else { continue }
                let declared = Set(keywords.first { $0.key == "properties" }?.value.keys ?? [])
                for pair in pairs where !declared.contains(pair.key) {
                    if value == .bool(false) {
                        fail("unexpected key \"\(pair.key)\"", at: Self.pointer(path, pair.key))
                    } else {
                        check(pair.value, value, document, Self.pointer(path, pair.key), &errors)
                    }
                }
            case "items":
                guard case .array(let items) = instance else { continue }
                for (position, item) in items.enumerated() {
                    check(item, value, document, path + "/\(position)", &errors)
                }
            case "minItems", "maxItems":
                guard case .array(let items) = instance, case .number(let bound) = value else { continue }
                if keyword == "minItems" ? Double(items.count) < bound : Double(items.count) > bound {
                    fail("\(items.count) items, \(keyword) is \(Int(bound))")
                }
            case "minimum", "maximum":
                guard case .number(let number) = instance, case .number(let bound) = value else { continue }
                if keyword == "minimum" ? number < bound : number > bound {
                    fail("\(instance.brief()) is \(keyword == "minimum" ? "below the minimum" : "above the maximum") "
                         + value.brief())
                }
            case "pattern":
                guard case .string(let text) = instance, let pattern = value.string else { continue }
                let expression = try? NSRegularExpression(pattern: pattern)
                let range = NSRange(text.startIndex..., in: text)
                if expression?.firstMatch(in: text, range: range) == nil {
                    fail("\(instance.brief()) does not match \(pattern)")
                }
            case "allOf", "anyOf", "oneOf":
                guard case .array(let branches) = value else { fail("\(keyword) is not an array"); continue }
                if keyword == "allOf" {
                    for branch in branches { check(instance, branch, document, path, &errors) }
                    continue
                }
                var branchErrors: [[String]] = []
                for branch in branches {
                    var found: [String] = []
                    check(instance, branch, document, path, &found)
                    branchErrors.append(found)
                }
                let passing = branchErrors.filter(\.isEmpty).count
                if passing == 0 {
                    let reasons = branchErrors.enumerated().map {
                        "(\($0.offset + 1)) " + $0.element.joined(separator: "; ")
                    }
                    fail("matches no alternative of \(keyword): " + reasons.joined(separator: " "))
                } else if keyword == "oneOf" && passing > 1 {
                    fail("matches \(passing) alternatives of oneOf, exactly one expected")
                }
            case "if":
                let branch = isValid(instance, value, document) ? "then" : "else"
                if let next = keywords.first(where: { $0.key == branch })?.value {
                    check(instance, next, document, path, &errors)
                }
            default:
                fail("unsupported schema keyword \"\(keyword)\" (\(document))")
            }
        }
    }

    /// Problems in the schema files themselves: keywords this validator does not support (anywhere, also in
    /// branches no test reaches), `$ref`s that do not resolve, malformed `type`s, and keys `required` by a closed
    /// object (`additionalProperties: false`) that its `properties` do not declare.
    func schemaProblems() -> [String] {
        var problems: [String] = []
        func walk(_ node: JSONNode, _ document: String, _ location: String) {
            guard case .object(let keywords) = node else {
                if case .bool = node { return }
                return problems.append("\(document)#\(location): a schema must be an object or a boolean")
            }
            for (keyword, value) in keywords {
                let here = location + "/" + keyword
                switch keyword {
                case "$defs", "properties":
                    guard case .object(let members) = value else {
                        problems.append("\(document)#\(here): not an object")
                        continue
                    }
                    for member in members { walk(member.value, document, here + "/" + member.key) }
                case "additionalProperties", "items", "if", "then", "else":
                    walk(value, document, here)
                case "allOf", "anyOf", "oneOf":
                    guard case .array(let branches) = value, !branches.isEmpty else {
                        problems.append("\(document)#\(here): not a non-empty array")
                        continue
                    }
                    for (position, branch) in branches.enumerated() { walk(branch, document, here + "/\(position)") }
                case "$ref":
                    if value.string.flatMap({ resolve($0, in: document) }) == nil {
                        problems.append("\(document)#\(here): $ref \(value.brief()) does not resolve")
                    }
                case "type":
                    let names: [JSONNode]
                    if case .array(let items) = value { names = items } else { names = [value] }
                    if names.isEmpty || !names.allSatisfy({ $0.string.map(Self.typeNames.contains) == true }) {
                        problems.append("\(document)#\(here): bad type \(value.brief())")
                    }
                case "required":
                    guard keywords.contains(where: { $0.key == "additionalProperties" && $0.value == .bool(false) })
                    else { continue }
                    let declared = Set(node["properties"]?.keys ?? [])
                    guard case .array(let names) = value else { continue }
                    for name in names.compactMap(\.string) where !declared.contains(name) {
                        problems.append("\(document)#\(here): \"\(name)\" is required but not in properties")
                    }
                case _ where Self.assertions.contains(keyword) || Self.annotations.contains(keyword):
                    continue
                default:
                    problems.append("\(document)#\(here): unsupported keyword")
                }
            }
        }
        for (name, document) in documents.sorted(by: { $0.key < $1.key }) { walk(document, name, "") }
        return problems
    }
}

// MARK: - Tests

@Suite struct SchemaTests {
    static let commands = [
        "info", "analyze", "loudness", "denoise", "dehum", "declip", "declick", "profile", "normalize", "match",
        "process", "presets", "batch", "report", "dewind",
    ]
    static let envelopeKeys = ["command", "input", "output", "status", "error", "warnings"]

    let validator: SchemaValidator

    init() throws {
        validator = try SchemaValidator()
    }

    /// What is wrong with one line: its schema's violations, and the envelope's keys out of their fixed order
    /// (`event` first for batch, then command, input, output, status, error, warnings).
    func problems(_ line: JSONNode, schema: String) -> [String] {
        var problems = validator.violations(of: line, against: schema)
        var keys = line.keys
        if keys.contains("event") {
            if keys.first != "event" { problems.append("/: event is not the first key") }
            keys.removeAll { $0 == "event" }
        }
        if Array(keys.prefix(Self.envelopeKeys.count)) != Self.envelopeKeys {
            problems.append("/: the envelope's keys are not first and in order: \(keys.prefix(6))")
        }
        return problems
    }

    /// Runs `scrim ARGUMENTS`, expects exit `status`, and validates every line of its standard output against
    /// `SCHEMA.schema.json`, recording each violation with its line and JSON pointer.
    @discardableResult
    func run(_ arguments: [String], schema: String, status: Int32,
             sourceLocation: SourceLocation = #_sourceLocation) throws -> [JSONNode] {
        let result = try CLI.run(arguments)
        let command = "scrim " + arguments.joined(separator: " ")
        #expect(result.status == status, "\(command): exit \(result.status)\n\(result.stderr)",
                sourceLocation: sourceLocation)
        let texts = result.stdout.split(separator: "\n").map(String.init)
        #expect(!texts.isEmpty, "\(command): no output", sourceLocation: sourceLocation)
        var lines: [JSONNode] = []
        var report: [String] = []
        for (number, text) in texts.enumerated() {
            do {
                let line = try JSONParser.parse(text)
                lines.append(line)
                report += problems(line, schema: schema + ".schema.json").map { "line \(number + 1): \($0)" }
            } catch {
                report.append("line \(number + 1): \(error): \(text.prefix(80))")
            }
        }
        #expect(report.isEmpty, Comment(rawValue: command + "\n" + report.joined(separator: "\n")),
                sourceLocation: sourceLocation)
        return lines
    }

    /// The lines that have `key`.
    func lines(_ lines: [JSONNode], with key: String) -> [JSONNode] { lines.filter { $0[key] != nil } }

    /// The lines whose status is `status`.
    func lines(_ lines: [JSONNode], status: String) -> [JSONNode] { lines.filter { $0["status"] == .string(status) } }

    /// A test folder with a text file named x.wav, a silent WAV and a folder `tree` holding a short WAV and a
    /// file that is not audio (a skippedPath line when the folder is given).
    func inputs() throws -> (folder: TemporaryFolder, bad: String, silent: String, tree: String) {
        let folder = TemporaryFolder()
        let bad = try folder.write("x.wav", "not audio at all\n")
        let silent = folder.file("silent.wav")
        try writeShortWAV(to: silent, frames: 48_000, amplitude: 0)
        let tree = folder.file("tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try writeShortWAV(to: tree + "/tone.wav", frames: 24_000)
        _ = try folder.write("tree/notes.txt", "slate notes\n")
        return (folder, bad, silent, tree)
    }

    // MARK: The schemas themselves

    @Test func everyCommandHasAWellFormedSchemaThisValidatorFullySupports() throws {
        for command in Self.commands + ["envelope"] {
            #expect(validator.documents[command + ".schema.json"] != nil, "no \(command).schema.json")
        }
        let problems = validator.schemaProblems()
        #expect(problems.isEmpty, Comment(rawValue: problems.joined(separator: "\n")))
        for command in Self.commands {
            let schema = try #require(validator.documents[command + ".schema.json"])
            #expect(schema["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
            #expect(schema["$ref"] == .string("envelope.schema.json"), "\(command): every line is an envelope")
        }
    }

    // MARK: Reading commands

    @Test func info() throws {
        let (folder, bad, silent, tree) = try inputs()
        let files = ["dialogue_roomtone.wav", "hum_take.wav", "poly_bwf_4ch.wav", "take_quiet.wav"].map(CLI.sample)
        let lines = try run(["info"] + files + [silent, bad, folder.file("missing.wav"), tree, "--json"],
                            schema: "info", status: 1)
        #expect(self.lines(lines, with: "info").count == 6)
        #expect(self.lines(lines, status: "failed").count == 2)
        #expect(self.lines(lines, with: "event").count == 1, "the text file in the folder: a skippedPath line")
    }

    @Test func analyze() throws {
        let (folder, bad, silent, tree) = try inputs()
        let files = ["hum_take.wav", "take_quiet.wav"].map(CLI.sample)
        let lines = try run(["analyze"] + files + [silent, bad, folder.file("missing.wav"), tree, "--json"],
                            schema: "analyze", status: 1)
        #expect(self.lines(lines, with: "analysis").count == 4)
        #expect(lines.contains { $0["analysis"]?["hum"]?["present"] == .bool(true) }, "hum_take has hum")
        #expect(self.lines(lines, status: "failed").count == 2)
        #expect(self.lines(lines, with: "event").count == 1)
        let plotted = try run(["analyze", CLI.sample("take_quiet.wav"), "--plot", folder.file("q.png"), "--json"],
                              schema: "analyze", status: 0)
        #expect(plotted.first?["plot"] == .string(folder.file("q.png")))
        #expect(lines.allSatisfy { $0["analysis"] == nil || $0["plot"] == .null }, "no --plot: plot is null")
    }

    @Test func loudness() throws {
        let (folder, bad, silent, tree) = try inputs()
        let files = ["take_quiet.wav", "take_loud.wav", "poly_bwf_4ch.wav"].map(CLI.sample)
        let lines = try run(["loudness"] + files + [silent, bad, folder.file("missing.wav"), "--json"],
                            schema: "loudness", status: 1)
        #expect(self.lines(lines, with: "loudness").count == 4)
        #expect(self.lines(lines, with: "programme").count == 1)
        #expect(self.lines(lines, status: "failed").count == 2)
        let dialogue = try run(["loudness", CLI.sample("dialogue_roomtone.wav"), silent, tree, "--dialogue", "--json"],
                               schema: "loudness", status: 0)
        #expect(self.lines(dialogue, with: "programme").count == 1)
        #expect(self.lines(dialogue, with: "event").count == 1)
    }

    @Test func presets() throws {
        let lines = try run(["presets", "--json"], schema: "presets", status: 0)
        #expect(lines.count >= 4)
        for name in ["dailies", "denoise-only", "dialogue"] {
            let shown = try CLI.run(["presets", "--show", name])
            #expect(shown.status == 0)
            let document = try JSONParser.parse(shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            let violations = validator.violations(of: document, against: "presets.schema.json#/$defs/document")
            let message = "presets --show \(name)\n" + violations.joined(separator: "\n")
            #expect(violations.isEmpty, Comment(rawValue: message))
        }
    }

    // MARK: Writing commands

    @Test func denoise() throws {
        let (folder, bad, silent, _) = try inputs()
        let take = CLI.sample("take_quiet.wav")
        try run(["denoise", take, "-o", folder.file("a.wav"), "--json"], schema: "denoise", status: 0)
        try run(["denoise", take, "-o", folder.file("b.wav"), "--learn", "auto", "--json"],
                schema: "denoise", status: 0)
        try run(["denoise", take, "-o", folder.file("c.flac"), "--write", "residual", "--link", "--json"],
                schema: "denoise", status: 0)
        try run(["denoise", silent, "-o", folder.file("d.wav"), "--json"], schema: "denoise", status: 0)
        let plotted = try run(["denoise", take, "-o", folder.file("p.wav"), "--plot", folder.file("p.png"), "--json"],
                              schema: "denoise", status: 0)
        #expect(plotted.first?["plot"] == .string(folder.file("p.png")))
        let exists = try run(["denoise", take, "-o", folder.file("a.wav"), "--json"], schema: "denoise", status: 1)
        #expect(exists.first?["error"]?["code"] == .string("outputExists"))
        let notAudio = try run(["denoise", bad, "-o", folder.file("e.wav"), "--json"], schema: "denoise", status: 1)
        #expect(notAudio.first?["error"]?["code"] == .string("notAudio"))
        try run(["denoise", folder.file("missing.wav"), "-o", folder.file("f.wav"), "--json"],
                schema: "denoise", status: 1)
        try run(["denoise", take, "-o", folder.file("g.wav"), "--engine", "neural", "--model", folder.file("none"),
                 "--json"], schema: "denoise", status: 1)
        guard NeuralCLI.modelInstalled else { return }
        try run(["denoise", take, "-o", folder.file("h.wav"), "--engine", "neural", "--json"],
                schema: "denoise", status: 0)
        try run(["denoise", silent, "-o", folder.file("i.wav"), "--engine", "neural", "--reduction", "20",
                 "--neural-mode", "reference", "--post-filter", "--write", "bypass", "--json"],
                schema: "denoise", status: 0)
    }

    @Test func dehum() throws {
        let (folder, bad, silent, _) = try inputs()
        let hum = try run(["dehum", CLI.sample("hum_take.wav"), "-o", folder.file("a.wav"), "--json"],
                          schema: "dehum", status: 0)
        #expect(hum.first?["dehum"]?["removedHarmonics"] != .array([]))
        let none = try run(["dehum", CLI.sample("take_quiet.wav"), "-o", folder.file("b.wav"), "--frequency", "50",
                            "--json"], schema: "dehum", status: 0)
        #expect(none.first?["warnings"] != .array([]), "no hum near 50 Hz: a warning")
        try run(["dehum", silent, "-o", folder.file("c.wav"), "--plot", folder.file("c.png"), "--json"],
                schema: "dehum", status: 0)
        try run(["dehum", bad, "-o", folder.file("d.wav"), "--json"], schema: "dehum", status: 1)
    }

    @Test func declick() throws {
        let (folder, bad, silent, _) = try inputs()
        let take = try run(["declick", CLI.sample("dialogue_roomtone.wav"), "-o", folder.file("a.wav"), "--json"],
                           schema: "declick", status: 0)
        #expect(take.first?["declick"]?["track"] != nil)
        try run(["declick", CLI.sample("poly_bwf_4ch.wav"), "-o", folder.file("b.wav"), "--write", "residual",
                 "--json"], schema: "declick", status: 0)
        try run(["declick", silent, "-o", folder.file("c.wav"), "--json"], schema: "declick", status: 0)
        try run(["declick", bad, "-o", folder.file("d.wav"), "--json"], schema: "declick", status: 1)
    }

    @Test func dewind() throws {
        let (folder, bad, silent, _) = try inputs()
        let poly = try run(["dewind", CLI.sample("poly_bwf_4ch.wav"), "-o", folder.file("a.wav"), "--json"],
                           schema: "dewind", status: 0)
        #expect(poly.first?["wind"]?["wind"]?["coherence"] == .bool(true))
        try run(["dewind", silent, "-o", folder.file("b.wav"), "--no-wind", "--slope", "24", "--json"],
                schema: "dewind", status: 0)
        try run(["dewind", CLI.sample("take_quiet.wav"), "-o", folder.file("c.wav"), "--highpass", "off", "--link",
                 "--json"], schema: "dewind", status: 0)
        try run(["dewind", bad, "-o", folder.file("d.wav"), "--json"], schema: "dewind", status: 1)
        try run(["dewind", silent, "-o", folder.file("e.wav"), "--slope", "10", "--json"], schema: "dewind", status: 2)
    }

    @Test func declip() throws {
        let (folder, bad, silent, _) = try inputs()
        // A 1 kHz tone 6 dB over full scale, clipped to 16-bit full scale: hard clipping at 0 dBFS.
        let clipped = folder.file("clipped.wav")
        var bytes: [UInt8] = Array("RIFF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        u32(36 + 2 * 24_000); bytes += Array("WAVEfmt ".utf8)
        u32(16); u16(1); u16(1); u32(48_000); u32(96_000); u16(2); u16(16)
        bytes += Array("data".utf8); u32(2 * 24_000)
        for i in 0..<24_000 {
            let x = 2 * sin(2 * Double.pi * 1000 * Double(i) / 48_000)
            u16(UInt16(bitPattern: Int16(max(-32_768, min(32_767, (x * 32_767).rounded())))))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: clipped))
        let done = try run(["declip", clipped, "-o", folder.file("a.wav"), "--json"], schema: "declip", status: 0)
        if case .array(let tracks)? = done.first?["declip"]?["tracks"] {
            #expect(tracks.first?["kind"] == .string("hard"))
        } else {
            Issue.record("no tracks")
        }
        if case .number(let gain)? = done.first?["declip"]?["gainDb"] { #expect(gain < -1) } else { Issue.record("no gainDb") }
        // A buzz (200 Hz and three harmonics, under a 3 Hz swell) through tanh 6 dB over its ceiling (0.5), 16-bit:
        // soft clipping with a curve found, so the curve keys carry values.
        let soft = folder.file("soft.wav")
        bytes = Array("RIFF".utf8)
        u32(36 + 2 * 48_000); bytes += Array("WAVEfmt ".utf8)
        u32(16); u16(1); u16(1); u32(48_000); u32(96_000); u16(2); u16(16)
        bytes += Array("data".utf8); u32(2 * 48_000)
        for i in 0..<48_000 {
            let t = Double(i) / 48_000
            var x = 0.0
            for h in 1...4 { x += sin(2 * Double.pi * 200 * Double(h) * t + Double(h)) / Double(h) }
            x *= 0.55 * (0.6 + 0.4 * sin(2 * Double.pi * 3 * t))
            let y = 0.5 * tanh(x / 0.5)
            u16(UInt16(bitPattern: Int16((y * 32_767).rounded())))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: soft))
        let softDone = try run(["declip", soft, "-o", folder.file("s.wav"), "--json"], schema: "declip", status: 0)
        if case .array(let tracks)? = softDone.first?["declip"]?["tracks"] {
            #expect(tracks.first?["kind"] == .string("soft"))
            #expect(tracks.first?["curve"] == .string("tanh"))
        } else {
            Issue.record("no tracks")
        }
        try run(["declip", CLI.sample("take_quiet.wav"), "-o", folder.file("b.wav"), "--gain=-3", "--json"],
                schema: "declip", status: 0)
        try run(["declip", silent, "-o", folder.file("c.wav"), "--json"], schema: "declip", status: 0)
        try run(["declip", bad, "-o", folder.file("d.wav"), "--json"], schema: "declip", status: 1)
    }

    @Test func profile() throws {
        let (folder, bad, silent, _) = try inputs()
        let room = CLI.sample("dialogue_roomtone.wav")
        try run(["profile", room, "-o", folder.file("a.json"), "--json"], schema: "profile", status: 0)
        try run(["profile", room, "-o", folder.file("b.json"), "--range", "auto", "--json"],
                schema: "profile", status: 0)
        try run(["profile", room, "-o", folder.file("c.json"), "--range", "0-1.5", "--json"],
                schema: "profile", status: 0)
        try run(["profile", silent, "-o", folder.file("d.json"), "--json"], schema: "profile", status: 0)
        try run(["profile", bad, "-o", folder.file("e.json"), "--json"], schema: "profile", status: 1)
        try run(["profile", room, "-o", folder.file("a.json"), "--json"], schema: "profile", status: 1)
    }

    @Test func normalize() throws {
        let (folder, bad, silent, _) = try inputs()
        let quiet = CLI.sample("take_quiet.wav"), loud = CLI.sample("take_loud.wav")
        try run(["normalize", quiet, "-o", folder.file("a.wav"), "--json"], schema: "normalize", status: 0)
        let limited = try run(["normalize", loud, "-o", folder.file("b.wav"), "--target", "-9", "--true-peak", "-3",
                               "--json"], schema: "normalize", status: 0)
        #expect(limited.first?["normalize"]?["limiter"]?["engaged"] == .bool(true))
        try run(["normalize", loud, "-o", folder.file("c.wav"), "--target", "-9", "--true-peak", "-3", "--no-limiter",
                 "--json"], schema: "normalize", status: 0)
        try run(["normalize", CLI.sample("dialogue_roomtone.wav"), "-o", folder.file("d.wav"), "--dialogue", "--json"],
                schema: "normalize", status: 0)
        let bext = try run(["normalize", CLI.sample("hum_take.wav"), "-o", folder.file("e.wav"), "--json"],
                           schema: "normalize", status: 0)
        #expect(bext.first?["normalize"]?["bextLoudness"] == .string("unchanged"))
        let quietFile = try run(["normalize", silent, "-o", folder.file("f.wav"), "--json"],
                                schema: "normalize", status: 0)
        #expect(quietFile.first?["normalize"]?["note"]?.string != nil, "silence: a note")
        let measured = try CLI.run(["loudness", loud, "--json"])
        let measurement = try folder.write("loud.jsonl", measured.stdout)
        let reused = try run(["normalize", loud, "-o", folder.file("g.wav"), "--measured", measurement, "--preset",
                              "streaming", "--json"], schema: "normalize", status: 0)
        #expect(reused.first?["normalize"]?["measurement"] == .string("reused"))
        try run(["normalize", bad, "-o", folder.file("h.wav"), "--json"], schema: "normalize", status: 1)
    }

    @Test func match() throws {
        let (folder, bad, silent, _) = try inputs()
        let quiet = CLI.sample("take_quiet.wav"), loud = CLI.sample("take_loud.wav")
        let together = try run(["match", quiet, loud, bad, "--together", "-o", folder.file("m1"), "--json"],
                               schema: "match", status: 1)
        #expect(self.lines(together, with: "match").count == 2)
        #expect(together.last?["matchSummary"] != nil, "the summary comes last")
        #expect(together.last?["error"]?["code"] == .string("someFilesFailed"))
        try run(["match", "--reference", loud, quiet, silent, "-o", folder.file("m2"), "--json"],
                schema: "match", status: 0)
        try run(["match", quiet, loud, "--together", "--dialogue", "--no-limiter", "-o", folder.file("m3"), "--json"],
                schema: "match", status: 0)
        let again = try run(["match", quiet, loud, "--together", "-o", folder.file("m1"), "--json"],
                            schema: "match", status: 1)
        #expect(self.lines(again, status: "failed").count == 3, "two outputs exist, and the summary")
    }

    /// The C API's whole-buffer functions (scrim.h, ABI 2) return the CLI's lines with `input` and `output` null
    /// (and `scrim_match_buffers` its summary's `reference` as "takes[R]"); Tests/CAPI/buffers.py checks that they
    /// equal the CLI's lines but for those keys. Here: lines in that form still fit every command's schema.
    @Test func wholeBufferLinesFitTheSchemas() throws {
        let folder = TemporaryFolder()
        let hum = CLI.sample("hum_take.wav"), quiet = CLI.sample("take_quiet.wav"), loud = CLI.sample("take_loud.wav")
        let runs: [(schema: String, arguments: [String])] = [
            ("denoise", ["denoise", quiet, "-o", folder.file("d.wav")]),
            ("dehum", ["dehum", hum, "-o", folder.file("h.wav")]),
            ("normalize", ["normalize", quiet, "-o", folder.file("n.wav")]),
            ("analyze", ["analyze", hum]),
            ("process", ["process", hum, "-o", folder.file("p.wav"), "--preset", "dailies"]),
            ("match", ["match", "--reference", loud, quiet, "-o", folder.file("m")]),
        ]
        for (schema, arguments) in runs {
            let result = try CLI.run(arguments + ["--json"])
            #expect(result.status == 0, "\(arguments): exit \(result.status)\n\(result.stderr)")
            for text in result.stdout.split(separator: "\n") {
                let line = try JSONParser.parse(String(text))
                guard case .object(let pairs) = line else { continue }
                let buffered = JSONNode.object(pairs.map { pair -> (key: String, value: JSONNode) in
                    if pair.key == "input" || pair.key == "output" { return (key: pair.key, value: .null) }
                    guard pair.key == "matchSummary", case .object(let summary) = pair.value else { return pair }
                    return (key: pair.key, value: .object(summary.map {
                        $0.key == "reference" ? (key: "reference", value: .string("takes[0]")) : $0
                    }))
                })
                let found = problems(buffered, schema: schema + ".schema.json")
                #expect(found.isEmpty,
                        Comment(rawValue: "\(schema) in the buffer form: " + found.joined(separator: "\n")))
            }
        }
    }

    @Test func process() throws {
        let (folder, bad, silent, _) = try inputs()
        let dailies = try run(["process", CLI.sample("hum_take.wav"), "-o", folder.file("a.wav"), "--preset", "dailies",
                               "--json"], schema: "process", status: 0)
        #expect(dailies.first?["process"]?["stages"] == .array(["dehum", "denoise", "loudness"].map(JSONNode.string)))
        let only = try run(["process", CLI.sample("take_quiet.wav"), "-o", folder.file("b.wav"), "--preset",
                            "denoise-only", "--json"], schema: "process", status: 0)
        #expect(only.first?["process"]?["loudness"] == .null)
        try run(["process", CLI.sample("take_loud.wav"), "-o", folder.file("c.wav"), "--preset", "broadcast", "--json"],
                schema: "process", status: 0)
        try run(["process", silent, "-o", folder.file("d.wav"), "--preset", "podcast", "--plot", folder.file("d.png"),
                 "--json"], schema: "process", status: 0)
        if NeuralCLI.modelInstalled {
            let neural = try run(["process", CLI.sample("hum_take.wav"), "-o", folder.file("n.wav"), "--preset",
                                  "dialogue", "--json"], schema: "process", status: 0)
            #expect(neural.first?["process"]?["denoise"]?["engine"] == .string("neural"))
        }
        // A preset file: fixed de-hum frequency (no detection), learned noise profile, lowered gain.
        let profile = try CLI.run(["profile", CLI.sample("take_quiet.wav"), "-o", folder.file("room.json"), "--range",
                                   "auto"])
        #expect(profile.status == 0, "\(profile.stderr)")
        let preset = try folder.write("mine.json", """
            {"name": "mine", "dehum": {"frequencyHz": 60, "harmonics": 8},
             "denoise": {"mode": "learned", "profile": "room.json", "reductionLimitDb": 15},
             "loudness": {"targetLoudnessLufs": -20, "truePeakHandling": "lowerGain", "dialogueGating": true}}
            """)
        let fixed = try run(["process", CLI.sample("take_quiet.wav"), "-o", folder.file("e.wav"), "--preset", preset,
                             "--json"], schema: "process", status: 0)
        #expect(fixed.first?["process"]?["dehum"]?["detection"] == .null)
        try run(["process", bad, "-o", folder.file("f.wav"), "--json"], schema: "process", status: 1)
    }

    // MARK: Batch

    @Test func batchDryRunRunResumeAndReport() throws {
        let folder = TemporaryFolder()
        let source = folder.file("src"), output = folder.file("out")
        try FileManager.default.createDirectory(atPath: source + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: output + "/src", withIntermediateDirectories: true)
        try writeShortWAV(to: source + "/a.wav", frames: 48_000)
        try writeShortWAV(to: source + "/b.wav", frames: 24_000)
        try writeShortWAV(to: source + "/c.wav", frames: 24_000)
        _ = try folder.write("src/sub/bad.wav", "not audio\n")
        _ = try folder.write("src/notes.txt", "not audio either\n")
        // An output Scrim did not write (refused: outputExists), and a temporary left by a killed run (cleanup).
        _ = try folder.write("out/src/c.wav", "someone else's file\n")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let stale = ".a.wav.scrim-\(Self.hostTag())-\(child.processIdentifier)-0123456789abcdef.tmp"
        try Data(count: 100).write(to: URL(fileURLWithPath: output + "/src/" + stale))

        let batch = ["batch", source, "-o", output, "--preset", "denoise-only", "--json"]
        let plan = try run(batch + ["--dry-run"], schema: "batch", status: 0)
        #expect(plan.compactMap { $0["plan"]?["action"]?.string }.sorted() == ["process", "process", "process",
                                                                                 "refuse"])
        #expect(plan.last?["event"] == .string("planSummary"))

        let report = folder.file("report.json")
        let first = try run(batch + ["--jobs", "2", "--report", report], schema: "batch", status: 1)
        let events = Set(first.compactMap { $0["event"]?.string })
        #expect(events.isSuperset(of: ["skippedPath", "start", "started", "file", "progress", "cleanup", "summary"]),
                "\(events.sorted())")
        #expect(first.last?["event"] == .string("summary"), "the summary comes last")
        let files = first.filter { $0["event"] == .string("file") }
        #expect(Set(files.compactMap { $0["status"]?.string }) == ["done", "failed"])
        let document = try JSONParser.parse(String(contentsOfFile: report, encoding: .utf8))
        let violations = validator.violations(of: document, against: "batch.schema.json")
        #expect(violations.isEmpty, Comment(rawValue: "--report\n" + violations.joined(separator: "\n")))
        #expect(document["summary"]?["outcomes"] != nil)

        let replan = try run(batch + ["--dry-run"], schema: "batch", status: 0)
        #expect(replan.contains { $0["plan"]?["action"] == .string("skip") })
        let resume = try run(batch, schema: "batch", status: 1)
        #expect(resume.contains { $0["status"] == .string("upToDate") }, "a resumed batch skips what is done")

        let missing = try run(["batch", folder.file("nothere"), "-o", output, "--json"], schema: "batch", status: 2)
        #expect(missing.first?["event"] == .string("error"))
    }

    /// The host tag Scrim puts in temporary names: FNV-1a (32-bit) of the host name, as 8 hex digits.
    static func hostTag() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        var hash: UInt32 = 0x811C_9DC5
        for byte in buffer.prefix(while: { $0 != 0 }) {
            hash ^= UInt32(UInt8(bitPattern: byte))
            hash = hash &* 0x0100_0193
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    // MARK: Usage errors

    @Test(arguments: [
        ["info", "--json"],
        ["analyze", "--bogus", "--json"],
        ["loudness", "--json", "--layout", "9.1", "x.wav"],
        ["denoise", "in.wav", "-o", "out.mp3", "--json"],
        ["dehum", "in.wav", "--json"],
        ["dewind", "in.wav", "-o", "out.wav", "--highpass", "5", "--json"],
        ["profile", "--json"],
        ["normalize", "in.wav", "-o", "out.wav", "--target", "loud", "--json"],
        ["match", "a.wav", "-o", "matched", "--json"],
        ["process", "in.wav", "-o", "-", "--json"],
        ["presets", "--bogus", "--json"],
    ])
    func usageErrorIsOneFailureLine(arguments: [String]) throws {
        let lines = try run(arguments, schema: arguments[0], status: 2)
        #expect(lines.count == 1)
        #expect(lines.first?["error"]?["code"] == .string("usage"))
        #expect(lines.first?["command"] == .string(arguments[0]))
    }

    @Test func batchUsageErrorIsOneErrorEvent() throws {
        let result = try CLI.run(["batch", "--jobs", "0", "in", "-o", "out", "--json"])
        #expect(result.status == 2)
        let line = try JSONParser.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(line["error"]?["code"] == .string("usage"))
        let envelope = problems(line, schema: "envelope.schema.json")
        #expect(envelope.isEmpty, Comment(rawValue: envelope.joined(separator: "\n")))
        // Every batch line starts with `event`, a usage error caught while parsing the arguments too.
        let violations = problems(line, schema: "batch.schema.json")
        #expect(violations.isEmpty, Comment(rawValue: violations.joined(separator: "\n")))
    }

    // MARK: The validator catches what it must

    @Test func aRenamedKeyAWrongTypeAndAMissingKeyAreCaught() throws {
        let result = try CLI.run(["loudness", CLI.sample("take_quiet.wav"), "--json"])
        let line = try JSONParser.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(problems(line, schema: "loudness.schema.json").isEmpty, "the real line is valid")

        func expectCaught(_ broken: JSONNode, at pointer: String, _ what: String,
                          sourceLocation: SourceLocation = #_sourceLocation) {
            let found = problems(broken, schema: "loudness.schema.json")
            let message = "\(what): expected a violation at \(pointer), got " + found.joined(separator: "; ")
            #expect(found.contains { $0.hasPrefix(pointer + ": ") }, Comment(rawValue: message),
                    sourceLocation: sourceLocation)
        }
        let renamed = line.renaming(["loudness", "truePeakDbtp"], to: "truePeakDBTP")
        expectCaught(renamed, at: "/loudness/truePeakDBTP", "renamed key: the new name is unexpected")
        expectCaught(renamed, at: "/loudness", "renamed key: the old name is missing")
        expectCaught(line.setting(["loudness", "frameCount"], to: .string("216000")), at: "/loudness/frameCount",
                     "a number as a string")
        expectCaught(line.setting(["loudness", "channelLayout", "weights"], to: .array([.string("1")])),
                     at: "/loudness/channelLayout/weights/0", "a string in an array of numbers")
        expectCaught(line.setting(["loudness", "loudnessRangeLu"], to: .null), at: "/loudness/loudnessRangeLu",
                     "null where a number is required")
        expectCaught(line.setting(["loudness", "channelLayout"], to: nil), at: "/loudness", "missing report key")
        expectCaught(line.setting(["warnings"], to: nil), at: "/", "missing envelope key")
        expectCaught(line.setting(["status"], to: .string("ok")), at: "/status", "a status outside the enum")
        expectCaught(line.setting(["error"], to: .object([("code", .string("notAudio")), ("message", .string("x"))])),
                     at: "/error", "an error on a line whose status is done")
        expectCaught(line.setting(["loudness"], to: nil), at: "/status",
                     "no report: read as a failure line, whose status must be failed")
        expectCaught(line.setting(["loudness", "speechFraction"], to: .number(1.5)), at: "/loudness/speechFraction",
                     "above the maximum")
        // Warnings are objects with a known code and a track that is a 1-based number or null.
        func warning(_ code: String, _ track: JSONNode) -> JSONNode {
            .array([.object([("code", .string(code)), ("message", .string("x")), ("track", track)])])
        }
        #expect(problems(line.setting(["warnings"], to: warning("deadTrack", .number(3))),
                         schema: "loudness.schema.json").isEmpty, "a well-formed warning")
        expectCaught(line.setting(["warnings"], to: .array([.string("track 3 is dead")])), at: "/warnings/0",
                     "a warning as a bare string")
        expectCaught(line.setting(["warnings"], to: warning("deadtrack", .null)), at: "/warnings/0/code",
                     "a code outside the list")
        expectCaught(line.setting(["warnings"], to: warning("clipping", .number(0))), at: "/warnings/0/track",
                     "track 0: tracks count from 1")
    }

    @Test func keywordsBehaveAsTheSpecificationSays() throws {
        #expect(JSONNode.number(3).typeName == "integer" && JSONNode.number(3.5).typeName == "number")
        let keywordsOnly = try SchemaValidator()
        // `number` takes integers, `integer` does not take 3.5, a closed object names the stray key, `oneOf`
        // refuses two matches, and `if` decides between `then` and `else`.
        let cases: [(schema: String, instance: String, valid: Bool)] = [
            (#"{"type": "number"}"#, "3", true),
            (#"{"type": "integer"}"#, "3.5", false),
            (#"{"type": ["string", "null"]}"#, "null", true),
            (#"{"properties": {"a": {}}, "additionalProperties": false}"#, #"{"a": 1, "b": 2}"#, false),
            (#"{"oneOf": [{"type": "number"}, {"type": "integer"}]}"#, "2", false),
            (#"{"anyOf": [{"type": "number"}, {"type": "integer"}]}"#, "2", true),
            (#"{"if": {"const": 1}, "then": {"const": 1}, "else": {"type": "string"}}"#, "2", false),
            (#"{"enum": ["a", null]}"#, "null", true),
            (#"{"items": {"minimum": 0}, "maxItems": 2}"#, "[0, 1, 2]", false),
            (#"{"pattern": "^[0-9a-f]{4}$"}"#, #""00fx""#, false),
            // A keyword this validator does not implement is a violation, never silently ignored.
            (#"{"minLength": 2}"#, #""abc""#, false),
        ]
        for (schema, instance, valid) in cases {
            let document = try JSONParser.parse(schema)
            let checker = SchemaValidator(documents: keywordsOnly.documents.merging(["t.json": document]) { $1 })
            let violations = checker.violations(of: try JSONParser.parse(instance), against: "t.json")
            #expect(violations.isEmpty == valid, "\(schema) on \(instance): \(violations)")
        }
        // A $ref into another file, and one that does not resolve.
        let processReport = keywordsOnly.violations(of: .null, against: "process.schema.json#/$defs/dehum")
        #expect(processReport.isEmpty, "dehum is null when the preset has no de-hum stage")
        #expect(!keywordsOnly.violations(of: .null, against: "process.schema.json#/$defs/nothing").isEmpty)
    }
}

extension SchemaValidator {
    /// A validator over given documents (for testing the keywords).
    init(documents: [String: JSONNode]) { self.documents = documents }
}
