/// One element of a parsed XML document: its name, its own text (the concatenation of its character data
/// and CDATA sections, entities decoded, not trimmed) and its child elements. Attributes are not kept.
struct XMLElementNode: Sendable, Equatable {
    var name: String
    var text: String
    var children: [XMLElementNode]

    /// The first child whose name matches `name`, ignoring ASCII case.
    func child(_ name: String) -> XMLElementNode? {
        children.first { $0.name.uppercased() == name.uppercased() }
    }

    /// All children whose name matches `name`, ignoring ASCII case.
    func children(_ name: String) -> [XMLElementNode] {
        children.filter { $0.name.uppercased() == name.uppercased() }
    }
}

/// A small, non-validating XML reader for metadata chunks (iXML), written for this module because
/// Foundation's XMLParser needs libxml2 at run time.
///
/// It reads: an optional byte-order mark (UTF-8, or UTF-16 in either byte order, which is converted to
/// UTF-8), the `<?xml …?>` declaration and other processing instructions, comments, a DOCTYPE (skipped,
/// internal subset included), elements with attributes (read and dropped), character data with the five
/// predefined entities and numeric character references, and CDATA sections. NUL bytes and white space
/// after the root element are ignored, because recorders pad iXML chunks with them.
///
/// It is iterative (no recursion), so deep nesting cannot overflow the stack; nesting deeper than
/// ``maximumDepth`` is rejected. Any input either gives a tree or throws ``MetadataError`` (`malformedXML`).
/// Byte offsets in errors count from the start of the (BOM-stripped, UTF-8) text.
struct XMLScanner {
    static let maximumDepth = 256

    private let bytes: [UInt8]
    private var position = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses `data` and returns the root element.
    static func parse(_ data: [UInt8]) throws(MetadataError) -> XMLElementNode {
        var scanner = XMLScanner(bytes: utf8Text(from: data))
        return try scanner.parseDocument()
    }

    // MARK: - Encoding

    /// Strips a UTF-8 BOM, or converts BOM-marked UTF-16 to UTF-8 (unpaired surrogates become U+FFFD).
    static func utf8Text(from data: [UInt8]) -> [UInt8] {
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { return Array(data.dropFirst(3)) }
        let bigEndian: Bool
        if data.starts(with: [0xFE, 0xFF]) {
            bigEndian = true
        } else if data.starts(with: [0xFF, 0xFE]) {
            bigEndian = false
        } else {
            return data
        }
        var units: [UInt16] = []
        units.reserveCapacity(data.count / 2)
        var index = 2
        while index + 1 < data.count {
            let (first, second) = (UInt16(data[index]), UInt16(data[index + 1]))
            units.append(bigEndian ? first << 8 | second : second << 8 | first)
            index += 2
        }
        return Array(String(decoding: units, as: UTF16.self).utf8)
    }

    // MARK: - Document structure

    private mutating func parseDocument() throws(MetadataError) -> XMLElementNode {
        // Prolog: white space, the declaration, comments, processing instructions, a DOCTYPE.
        while true {
            skipWhitespaceAndPadding()
            guard position < bytes.count else {
                throw error("The XML has no root element")
            }
            if startsWith("<?") {
                try skipProcessingInstruction()
            } else if startsWith("<!--") {
                try skipComment()
            } else if startsWith("<!DOCTYPE") {
                try skipDoctype()
            } else if bytes[position] == UInt8(ascii: "<") {
                break
            } else {
                throw error("Expected the root element but found text")
            }
        }
        let root = try parseElementTree()
        // Epilog: only white space, NUL padding, comments and processing instructions may follow.
        while true {
            skipWhitespaceAndPadding()
            guard position < bytes.count else { return root }
            if startsWith("<?") {
                try skipProcessingInstruction()
            } else if startsWith("<!--") {
                try skipComment()
            } else {
                throw error("Unexpected content after the end of the root element")
            }
        }
    }

    private struct OpenElement {
        var name: String
        var text: [UInt8]
        var children: [XMLElementNode]
    }

    /// Reads the root element and everything inside it; returns when the root's end tag has been read.
    private mutating func parseElementTree() throws(MetadataError) -> XMLElementNode {
        var stack: [OpenElement] = []
        repeat {
            guard position < bytes.count else {
                let name = stack.last?.name ?? ""
                throw error("The XML ends inside the element <\(name)> (no end tag)")
            }
            if bytes[position] != UInt8(ascii: "<") {
                guard !stack.isEmpty else { throw error("Text outside the root element") }
                try readText(into: &stack[stack.count - 1].text)
            } else if startsWith("<!--") {
                try skipComment()
            } else if startsWith("<![CDATA[") {
                guard !stack.isEmpty else { throw error("CDATA outside the root element") }
                let start = position + 9
                guard let end = find("]]>", from: start) else { throw error("Unterminated CDATA section") }
                stack[stack.count - 1].text += bytes[start..<end]
                position = end + 3
            } else if startsWith("<?") {
                try skipProcessingInstruction()
            } else if startsWith("</") {
                position += 2
                let name = try readName()
                skipWhitespace()
                try expect(">")
                guard let open = stack.popLast() else { throw error("End tag </\(name)> without a start tag") }
                guard open.name == name else {
                    throw error("End tag </\(name)> does not match the open element <\(open.name)>")
                }
                let node = XMLElementNode(
                    name: open.name, text: String(decoding: open.text, as: UTF8.self), children: open.children
                )
                if stack.isEmpty { return node }
                stack[stack.count - 1].children.append(node)
            } else if startsWith("<!") {
                throw error("Unexpected markup declaration inside an element")
            } else {
                position += 1
                let name = try readName()
                let isEmpty = try skipAttributes()
                if isEmpty {
                    let node = XMLElementNode(name: name, text: "", children: [])
                    if stack.isEmpty { return node }
                    stack[stack.count - 1].children.append(node)
                } else {
                    guard stack.count < Self.maximumDepth else {
                        throw error("Elements are nested deeper than \(Self.maximumDepth) levels")
                    }
                    stack.append(OpenElement(name: name, text: [], children: []))
                }
            }
        } while true
    }

    // MARK: - Markup pieces

    /// An element name: a run of bytes up to white space, "/", ">", "=" or "<"; must not be empty or start
    /// with a digit, "-" or ".". (Non-ASCII name characters are accepted as they are.)
    private mutating func readName() throws(MetadataError) -> String {
        let start = position
        while position < bytes.count, !isNameTerminator(bytes[position]) { position += 1 }
        guard position > start else { throw error("Expected an element name") }
        let first = bytes[start]
        if (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-") || first == UInt8(ascii: ".") {
            throw error("An element name cannot start with \"\(Character(Unicode.Scalar(first)))\"", at: start)
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private func isNameTerminator(_ byte: UInt8) -> Bool {
        isWhitespace(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "=")
            || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
            || byte == UInt8(ascii: "&") || byte == 0
    }

    /// Skips `name="value"` pairs up to the end of a start tag. Returns true for an empty-element tag (`/>`).
    private mutating func skipAttributes() throws(MetadataError) -> Bool {
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw error("Unterminated start tag") }
            if startsWith("/>") {
                position += 2
                return true
            }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                return false
            }
            _ = try readName()
            skipWhitespace()
            try expect("=")
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'")
            else { throw error("An attribute value must be in quotes") }
            let quote = bytes[position]
            position += 1
            while position < bytes.count, bytes[position] != quote {
                if bytes[position] == UInt8(ascii: "<") { throw error("\"<\" inside an attribute value") }
                position += 1
            }
            guard position < bytes.count else { throw error("Unterminated attribute value") }
            position += 1
        }
    }

    /// Character data up to the next "<", with entity and character references decoded.
    private mutating func readText(into text: inout [UInt8]) throws(MetadataError) {
        while position < bytes.count, bytes[position] != UInt8(ascii: "<") {
            let byte = bytes[position]
            if byte == UInt8(ascii: "&") {
                try readReference(into: &text)
            } else {
                text.append(byte)
                position += 1
            }
        }
    }

    /// `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` `&#NNN;` `&#xHHH;` (XML 1.0 §4.1, §4.6).
    private mutating func readReference(into text: inout [UInt8]) throws(MetadataError) {
        let start = position
        guard let semicolon = bytes[position...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
            throw error("\"&\" does not start an entity or character reference")
        }
        let body = Array(bytes[(position + 1)..<semicolon])
        position = semicolon + 1
        switch String(decoding: body, as: UTF8.self) {
        case "amp": text.append(UInt8(ascii: "&"))
        case "lt": text.append(UInt8(ascii: "<"))
        case "gt": text.append(UInt8(ascii: ">"))
        case "quot": text.append(UInt8(ascii: "\""))
        case "apos": text.append(UInt8(ascii: "'"))
        default:
            guard body.first == UInt8(ascii: "#") else {
                throw error("Unknown entity \"&\(String(decoding: body, as: UTF8.self));\"", at: start)
            }
            let isHex = body.count > 1 && (body[1] == UInt8(ascii: "x"))
            let digits = body.dropFirst(isHex ? 2 : 1)
            let isDigit: (UInt8) -> Bool = { byte in
                let decimal = byte >= 0x30 && byte <= 0x39
                let lower = byte | 0x20
                return decimal || (isHex && lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f"))
            }
            guard !digits.isEmpty, digits.count <= 8, digits.allSatisfy(isDigit),
                  let value = UInt32(String(decoding: digits, as: UTF8.self), radix: isHex ? 16 : 10),
                  value != 0, let scalar = Unicode.Scalar(value)
            else {
                throw error("Invalid character reference \"&\(String(decoding: body, as: UTF8.self));\"", at: start)
            }
            text += Array(String(Character(scalar)).utf8)
        }
    }

    private mutating func skipComment() throws(MetadataError) {
        guard let end = find("-->", from: position + 4) else { throw error("Unterminated comment") }
        position = end + 3
    }

    private mutating func skipProcessingInstruction() throws(MetadataError) {
        guard let end = find("?>", from: position + 2) else {
            throw error("Unterminated processing instruction or XML declaration")
        }
        position = end + 2
    }

    /// `<!DOCTYPE …>`, with an optional `[ … ]` internal subset and quoted literals.
    private mutating func skipDoctype() throws(MetadataError) {
        position += 9
        var inSubset = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                guard let close = bytes[(position + 1)...].firstIndex(of: byte) else { break }
                position = close + 1
                continue
            }
            if byte == UInt8(ascii: "[") { inSubset = true }
            if byte == UInt8(ascii: "]") { inSubset = false }
            position += 1
            if byte == UInt8(ascii: ">"), !inSubset { return }
        }
        throw error("Unterminated DOCTYPE")
    }

    // MARK: - Low-level helpers

    private func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, isWhitespace(bytes[position]) { position += 1 }
    }

    /// White space and NUL bytes (padding before or after the root element).
    private mutating func skipWhitespaceAndPadding() {
        while position < bytes.count, isWhitespace(bytes[position]) || bytes[position] == 0 { position += 1 }
    }

    private func startsWith(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { literalBytes in
            for offset in 0..<count where bytes[position + offset] != literalBytes[offset] { return false }
            return true
        }
    }

    /// The index where `literal` next starts at or after `start`, or nil.
    private func find(_ literal: StaticString, from start: Int) -> Int? {
        let pattern = literal.withUTF8Buffer { Array($0) }
        guard start <= bytes.count, bytes.count - start >= pattern.count else { return nil }
        var index = start
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0], bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
                return index
            }
            index += 1
        }
        return nil
    }

    private mutating func expect(_ character: Character) throws(MetadataError) {
        guard let ascii = character.asciiValue, position < bytes.count, bytes[position] == ascii else {
            throw error("Expected \"\(character)\"")
        }
        position += 1
    }

    private func error(_ message: String, at offset: Int? = nil) -> MetadataError {
        MetadataError(.malformedXML, "Malformed XML: \(message)", byteOffset: offset ?? min(position, bytes.count))
    }
}
