import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

/// A small ModelProto built field by field with onnx.proto's numbers, exercising every part ONNXModel reads.
enum TinyModel {
    static let weights: [Float] = [0.5, -1, 2, 3.25, -0.125, 1e-7]
    static let bias: [Float] = [0.25, -0.5]

    /// The model; `mutate` may add to or change the graph (for malformed variants).
    static func bytes(graphExtra: (inout ProtobufWriter) -> Void = { _ in }) -> [UInt8] {
        var model = ProtobufWriter()
        model.int(1, 7)  // ir_version
        model.string(2, "scrim-test")
        model.string(3, "1.0")
        model.string(6, "a doc string nobody reads")  // doc_string: skipped
        model.message(8) { opset in  // opset_import
            opset.string(1, "")
            opset.int(2, 12)
        }
        model.message(14) { $0.string(1, "key"); $0.string(2, "value") }  // metadata_props: skipped
        model.message(7) { graph in  // graph
            graph.message(1) { node in  // a Conv with one attribute of each kind Scrim reads
                node.string(1, "x")
                node.string(1, "w")
                node.string(1, "b")
                node.string(2, "y")
                node.string(3, "conv0")
                node.string(4, "Conv")
                node.message(5) { a in  // ints, unpacked (proto2's default for AttributeProto.ints)
                    a.string(1, "kernel_shape")
                    a.int(8, 1)
                    a.int(8, 3)
                    a.int(20, 7)
                }
                node.message(5) { a in  // ints, packed
                    a.string(1, "pads")
                    a.packedInts(8, [0, 1, 0, -1])
                    a.int(20, 7)
                }
                node.message(5) { a in
                    a.string(1, "group")
                    a.int(3, 2)
                    a.int(20, 2)
                }
                node.message(5) { a in
                    a.string(1, "alpha")
                    a.float(2, 0.75)
                    a.int(20, 1)
                }
                node.message(5) { a in
                    a.string(1, "mode")
                    a.string(4, "constant")
                    a.int(20, 3)
                }
                node.message(5) { a in
                    a.string(1, "scales")
                    a.float(7, 1.5)
                    a.float(7, -2)
                    a.int(20, 6)
                }
                node.message(5) { a in  // a graph attribute: kept as unsupported, not decoded
                    a.string(1, "body")
                    a.message(6) { $0.string(2, "subgraph") }
                    a.int(20, 5)
                }
            }
            graph.message(1) { node in  // a Constant holding a float tensor in float_data
                node.string(2, "k")
                node.string(4, "Constant")
                node.message(5) { a in
                    a.string(1, "value")
                    a.int(20, 4)
                    a.message(5) { t in
                        t.int(1, 2)
                        t.int(2, 1)
                        t.packedFloats(4, [50, -15])
                    }
                }
            }
            graph.message(1) { node in  // a Constant holding an int64 scalar in raw_data
                node.string(2, "axis")
                node.string(4, "Constant")
                node.string(7, "")
                node.message(5) { a in
                    a.string(1, "value")
                    a.int(20, 4)
                    a.message(5) { t in
                        t.int(2, 7)
                        t.bytes(9, littleEndian([Int64(-9_223_372_036_854_775_807)]))
                    }
                }
            }
            graph.string(2, "tiny")
            graph.message(5) { t in  // initializer: float raw_data, fields in an unusual order
                t.bytes(9, littleEndian(weights))
                t.string(8, "w")
                t.int(1, 2)
                t.int(1, 1)
                t.packedInts(1, [1, 3])
                t.int(2, 1)
            }
            graph.message(5) { t in  // initializer: float_data, unpacked
                t.int(1, 2)
                t.int(2, 1)
                for v in bias { t.float(4, v) }
                t.string(8, "b")
            }
            graph.message(5) { t in  // initializer: int64_data, packed (a shape tensor)
                t.int(1, 3)
                t.int(2, 7)
                t.packedInts(7, [1, -1, 4])
                t.string(8, "shape")
            }
            graph.message(5) { t in  // initializer: int32_data
                t.int(1, 2)
                t.int(2, 6)
                t.packedInts(5, [-7, 9])
                t.string(8, "small")
            }
            graph.message(5) { t in  // initializer of a type Scrim keeps no data for (float16)
                t.int(1, 1)
                t.int(2, 10)
                t.bytes(9, [0x00, 0x3C])
                t.string(8, "half")
            }
            graph.string(10, "graph doc")  // skipped
            graph.message(11) { v in  // input x: float [1, S, 32]
                v.string(1, "x")
                v.message(2) { type in
                    type.message(1) { tensor in
                        tensor.int(1, 1)
                        tensor.message(2) { shape in
                            shape.message(1) { $0.int(1, 1) }
                            shape.message(1) { $0.string(2, "S") }
                            shape.message(1) { _ in }
                            shape.message(1) { $0.int(1, 32) }
                        }
                    }
                }
            }
            graph.message(12) { v in  // output y: type without a shape
                v.string(1, "y")
                v.message(2) { type in type.message(1) { $0.int(1, 1) } }
            }
            graph.message(13) { $0.string(1, "inner") }  // value_info: skipped
            graphExtra(&graph)
        }
        return model.bytes
    }
}

@Suite struct ONNXModelTests {
    @Test func readsTheModelHeader() throws {
        let model = try ONNXModel(bytes: TinyModel.bytes())
        #expect(model.irVersion == 7)
        #expect(model.producer == "scrim-test 1.0")
        #expect(model.operatorSets == ["": 12])
        #expect(model.graph.name == "tiny")
    }

    @Test func readsNodesAndEveryAttributeKind() throws {
        let graph = try ONNXModel(bytes: TinyModel.bytes()).graph
        #expect(graph.nodes.map(\.opType) == ["Conv", "Constant", "Constant"])
        #expect(graph.operatorCounts == ["Conv": 1, "Constant": 2])
        let conv = graph.nodes[0]
        #expect(conv.name == "conv0")
        #expect(conv.inputs == ["x", "w", "b"])
        #expect(conv.outputs == ["y"])
        #expect(conv.attributes.map(\.name) == ["kernel_shape", "pads", "group", "alpha", "mode", "scales", "body"])
        #expect(conv.attribute(named: "kernel_shape")?.ints == [1, 3])
        #expect(conv.attribute(named: "pads")?.ints == [0, 1, 0, -1])
        #expect(conv.attribute(named: "group")?.int == 2)
        #expect(conv.attribute(named: "alpha")?.float == 0.75)
        #expect(conv.attribute(named: "mode")?.string == "constant")
        #expect(conv.attribute(named: "scales")?.floats == [1.5, -2])
        #expect(conv.attribute(named: "body")?.value == .unsupported(type: 5))
        #expect(conv.attribute(named: "missing") == nil)
        let constant = try #require(graph.nodes[1].attribute(named: "value")?.tensor)
        #expect(constant.dims == [2])
        #expect(constant.floats == [50, -15])
    }

    @Test func readsInitializersFromRawAndTypedData() throws {
        let graph = try ONNXModel(bytes: TinyModel.bytes()).graph
        #expect(graph.initializers.map(\.name) == ["w", "b", "shape", "small", "half"])
        let w = try #require(graph.initializer(named: "w"))
        #expect(w.dims == [2, 1, 1, 3])
        #expect(w.dataType == ONNXTensor.DataType.float)
        #expect(w.floats == TinyModel.weights)
        #expect(w.elementCount == 6)
        let b = try #require(graph.initializer(named: "b"))
        #expect(b.dims == [2])
        #expect(b.floats == TinyModel.bias)
        let shape = try #require(graph.initializer(named: "shape"))
        #expect(shape.dataType == ONNXTensor.DataType.int64)
        #expect(shape.int64s == [1, -1, 4])
        #expect(shape.floats.isEmpty)
        #expect(graph.initializer(named: "small")?.int64s == [-7, 9])
        let half = try #require(graph.initializer(named: "half"))
        #expect(half.dataType == 10)
        #expect(half.floats.isEmpty && half.int64s.isEmpty)
    }

    @Test func exposesConstantNodeTensorsByOutputName() throws {
        let graph = try ONNXModel(bytes: TinyModel.bytes()).graph
        #expect(graph.constantTensors.map(\.name) == ["k", "axis"])
        #expect(graph.tensor(named: "k")?.floats == [50, -15])
        let axis = try #require(graph.tensor(named: "axis"))
        #expect(axis.dims == [])
        #expect(axis.elementCount == 1)
        #expect(axis.int64s == [-9_223_372_036_854_775_807])
        #expect(graph.tensor(named: "w")?.floats == TinyModel.weights)
        #expect(graph.tensor(named: "nothing") == nil)
    }

    @Test func readsGraphInputsAndOutputs() throws {
        let graph = try ONNXModel(bytes: TinyModel.bytes()).graph
        #expect(graph.inputs == [ONNXValueInfo(name: "x", elementType: 1,
                                               shape: [.value(1), .symbol("S"), .unknown, .value(32)])])
        #expect(graph.inputs[0].shape?.map(\.description) == ["1", "S", "?", "32"])
        #expect(graph.outputs == [ONNXValueInfo(name: "y", elementType: 1, shape: nil)])
    }

    @Test func readsAFileAndNamesItInErrors() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("tiny.onnx")
        try Data(TinyModel.bytes()).write(to: good)
        #expect(try ONNXModel(contentsOf: good).graph.initializer(named: "w")?.floats == TinyModel.weights)
        let bad = folder.appendingPathComponent("bad.onnx")
        try Data([0x3A, 0x10, 0x0A]).write(to: bad)  // graph field claiming 16 bytes, 1 present
        for (url, fragment) in [(bad, "bad.onnx: malformed protobuf"),
                                (folder.appendingPathComponent("absent.onnx"), "cannot read")] {
            do {
                _ = try ONNXModel(contentsOf: url)
                Issue.record("read \(url.lastPathComponent)")
            } catch {
                #expect(error.code == .invalidDocument)
                #expect(error.message.contains(fragment), "\(error.message)")
            }
        }
    }

    private func expectInvalid(_ bytes: [UInt8], _ fragment: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try ONNXModel(bytes: bytes)
            Issue.record("expected an error containing '\(fragment)'", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .invalidDocument, sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func refusesTensorsWhoseDataDoesNotFitTheirShape() {
        expectInvalid(TinyModel.bytes { g in
            g.message(5) { t in
                t.packedInts(1, [2, 2])
                t.int(2, 1)
                t.bytes(9, littleEndian([Float](repeating: 1, count: 3)))
                t.string(8, "short")
            }
        }, "needs 4 elements but holds 12 bytes of raw data")
        expectInvalid(TinyModel.bytes { g in
            g.message(5) { t in
                t.int(1, 3)
                t.int(2, 1)
                t.packedFloats(4, [1, 2])
                t.string(8, "few")
            }
        }, "needs 3 elements but holds 2 floats")
        expectInvalid(TinyModel.bytes { g in
            g.message(5) { t in
                t.int(1, 2)
                t.int(2, 7)
                t.packedInts(7, [1])
                t.string(8, "ints")
            }
        }, "needs 2 elements but holds 1 int64 values")
        expectInvalid(TinyModel.bytes { g in
            g.message(5) { t in
                t.int(1, -1)
                t.int(2, 1)
                t.string(8, "negative")
            }
        }, "dimension -1")
        expectInvalid(TinyModel.bytes { g in
            g.message(5) { t in
                t.packedInts(1, [1 << 20, 1 << 20, 1 << 20])
                t.int(2, 1)
                t.string(8, "huge")
            }
        }, "too many elements")
    }

    @Test func refusesWhatItCannotRead() {
        expectInvalid(TinyModel.bytes { g in
            g.message(5) { t in
                t.int(1, 1)
                t.int(2, 1)
                t.string(8, "outside")
                t.int(14, 1)  // data_location = EXTERNAL
            }
        }, "external file")
        expectInvalid(TinyModel.bytes { g in g.message(15) { _ in } }, "sparse initializers")
        expectInvalid(TinyModel.bytes { g in g.message(1) { $0.string(3, "anonymous") } }, "no op_type")
        var noGraph = ProtobufWriter()
        noGraph.int(1, 7)
        expectInvalid(noGraph.bytes, "no graph")
        expectInvalid(Array("not a model at all, just some text".utf8), "malformed protobuf")
    }

    @Test func wrongWireTypesInsideTheModelThrow() {
        expectInvalid(TinyModel.bytes { g in g.int(2, 5) }, "field 2 is varint")  // GraphProto.name as a varint
        expectInvalid(TinyModel.bytes { g in
            g.message(1) { n in
                n.string(4, "Relu")
                n.message(5) { a in a.string(1, "f"); a.string(2, "not a float") }
            }
        }, "where a 32-bit float was expected")
    }

    /// Every prefix of a valid model, and many damaged copies, either decode or throw: none may trap. (A prefix that
    /// ends between fields is a valid, shorter message.)
    @Test func damagedModelsThrowOrDecodeButNeverTrap() {
        let good = TinyModel.bytes()
        var errors = 0
        for length in 0..<good.count {
            do { _ = try ONNXModel(bytes: Array(good.prefix(length))) } catch { errors += 1 }
        }
        #expect(errors > good.count / 2)
        var generator = SeededGenerator(seed: 0x5C21_3)
        for _ in 0..<2000 {
            var damaged = good
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let i = Int.random(in: 0..<damaged.count, using: &generator)
                damaged[i] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? ONNXModel(bytes: damaged)
        }
    }
}
