import Testing
@testable import ScrimNeural

/// SHA-256 against the published vectors: FIPS 180-2 appendix B (and its Example Computations document) and the
/// NIST CAVS examples for the empty message.
@Suite struct SHA256Tests {
    @Test func fips180OneBlockMessage() {
        #expect(SHA256.hash(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func emptyMessage() {
        #expect(SHA256.hash([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func fips180MultiBlockMessage448Bits() {
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(message.count * 8 == 448)
        #expect(SHA256.hash(message) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func fips180LongMessageOfOneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hash(message) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The 896-bit message of FIPS 180-4's examples, fed in two pieces split at every offset: padding and block
    /// boundaries must not depend on how the bytes arrive.
    @Test func incrementalUpdatesMatchOneShotAtEverySplit() {
        let message = Array(("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
            + "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8)
        let expected = "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        #expect(SHA256.hash(message) == expected)
        for split in 0...message.count {
            var hasher = SHA256()
            hasher.update(message[..<split])
            hasher.update(message[split...])
            #expect(hasher.finalize() == expected, "split at \(split)")
        }
        var byteByByte = SHA256()
        for byte in message { byteByByte.update(CollectionOfOne(byte)) }
        #expect(byteByByte.finalize() == expected)
    }

    /// Messages of 55, 56, 63 and 64 bytes put the length in the same block or force one more (digests from
    /// Python's hashlib, not a published list).
    @Test func paddingBoundaries() {
        let cases: [(Int, String)] = [
            (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
            (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
            (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
            (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        ]
        for (count, digest) in cases {
            #expect(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: count)) == digest, "\(count) bytes")
        }
    }
}
