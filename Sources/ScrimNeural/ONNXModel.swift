import Foundation
import ScrimCore

// Field numbers are those of onnx/onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto, proto2),
// checked against the copy in the onnx 1.23.2 wheel:
//   ModelProto:         ir_version = 1, producer_name = 2, producer_version = 3, graph = 7, opset_import = 8
//   OperatorSetIdProto: domain = 1, version = 2
//   GraphProto:         node = 1, name = 2, initializer = 5, input = 11, output = 12, sparse_initializer = 15
//   NodeProto:          input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7
//   AttributeProto:     name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7, ints = 8, type = 20
//   TensorProto:        dims = 1, data_type = 2, segment = 3, float_data = 4 (packed), int32_data = 5 (packed),
//                       int64_data = 7 (packed), name = 8, raw_data = 9, data_location = 14
//   ValueInfoProto:     name = 1, type = 2;  TypeProto: tensor_type = 1;  TypeProto.Tensor: elem_type = 1, shape = 2
//   TensorShapeProto:   dim = 1;  TensorShapeProto.Dimension: dim_value = 1, dim_param = 2
// proto2 parsers accept repeated scalars both packed and unpacked, and so does this one.

/// The parts of an ONNX model (a serialized `onnx.ModelProto`) that running a network needs: the graph's nodes with
/// their attributes, the initializers (weights) and the graph's inputs and outputs.
///
/// Everything else (doc strings, metadata, value_info, functions, training info, subgraph attributes) is skipped.
/// Tensors keep `FLOAT` data as `[Float]` and `INT64`/`INT32` data as `[Int64]`; other element types keep only their
/// name, type and shape. Weights stored outside the file (`data_location = EXTERNAL`), in segments, or as sparse
/// initializers are refused, since Scrim reads nothing but the model file.
///
/// - Threading: an immutable value; share it freely.
public struct ONNXModel: Sendable {
    /// `ModelProto.ir_version` (7 for ONNX 1.6–1.7 exports such as DeepFilterNet3's).
    public var irVersion: Int64
    /// The producer, e.g. "pytorch 1.13.1".
    public var producer: String
    /// Operator set versions by domain ("" is the default ai.onnx domain).
    public var operatorSets: [String: Int64]
    /// The main graph.
    public var graph: ONNXGraph

    /// Decodes a serialized ModelProto.
    /// - Throws: ``ScrimError`` (`.invalidDocument`) when the bytes are not a well-formed model of the kinds above.
    public init(bytes: [UInt8]) throws(ScrimError) {
        var reader = ProtobufReader(bytes)
        var irVersion: Int64 = 0
        var producerName = ""
        var producerVersion = ""
        var operatorSets: [String: Int64] = [:]
        var graph: ONNXGraph?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: irVersion = try field.int64()
            case 2: producerName = try field.string()
            case 3: producerVersion = try field.string()
            case 7: graph = try ONNXGraph(message: field.message())
            case 8:
                var sub = try field.message()
                var domain = ""
                var version: Int64 = 0
                while let f = try sub.nextField() {
                    switch f.number {
                    case 1: domain = try f.string()
                    case 2: version = try f.int64()
                    default: break
                    }
                }
                operatorSets[domain] = version
            default: break
            }
        }
        guard let graph else { throw ScrimError(.invalidDocument, "the ONNX model has no graph") }
        self.irVersion = irVersion
        self.producer = producerVersion.isEmpty ? producerName : "\(producerName) \(producerVersion)"
        self.operatorSets = operatorSets
        self.graph = graph
    }

    /// Reads and decodes a model file.
    /// - Throws: ``ScrimError`` (`.invalidDocument`) when the file cannot be read or is not a well-formed model;
    ///   the message names the file.
    public init(contentsOf url: URL) throws(ScrimError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ScrimError(.invalidDocument, "cannot read the ONNX model \(url.path)",
                             underlying: error.localizedDescription)
        }
        do throws(ScrimError) {
            try self.init(bytes: [UInt8](data))
        } catch {
            throw ScrimError(error.code, "\(url.lastPathComponent): \(error.message)", underlying: error.underlying)
        }
    }
}

/// An ONNX graph: nodes in topological order, weights and the named inputs and outputs.
public struct ONNXGraph: Sendable {
    /// `GraphProto.name`.
    public var name: String
    /// The nodes, in file order (ONNX requires topological order).
    public var nodes: [ONNXNode]
    /// The initializers (the graph's weights and constant inputs), in file order.
    public var initializers: [ONNXTensor]
    /// The graph inputs (in ONNX before IR 4 these also list initializers; exporters since do not).
    public var inputs: [ONNXValueInfo]
    /// The graph outputs.
    public var outputs: [ONNXValueInfo]

    public init(name: String = "", nodes: [ONNXNode] = [], initializers: [ONNXTensor] = [],
                inputs: [ONNXValueInfo] = [], outputs: [ONNXValueInfo] = []) {
        self.name = name
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
    }

    init(message: ProtobufReader) throws(ScrimError) {
        self.init()
        var reader = message
        while let field = try reader.nextField() {
            switch field.number {
            case 1: nodes.append(try ONNXNode(message: field.message()))
            case 2: name = try field.string()
            case 5: initializers.append(try ONNXTensor(message: field.message()))
            case 11: inputs.append(try ONNXValueInfo(message: field.message()))
            case 12: outputs.append(try ONNXValueInfo(message: field.message()))
            case 15:
                throw ScrimError(.invalidDocument, "the ONNX graph has sparse initializers, which are not supported")
            default: break
            }
        }
    }

    /// The initializer with this name, if any.
    public func initializer(named name: String) -> ONNXTensor? {
        initializers.first { $0.name == name }
    }

    /// The tensors held by `Constant` nodes (their `value` attribute), named after the node's output.
    ///
    /// PyTorch's exporter puts some weights here rather than among the initializers (DeepFilterNet3's encoder and
    /// ERB decoder keep their GRU weights in Constant nodes), so a network's weights are the initializers and these.
    public var constantTensors: [ONNXTensor] {
        nodes.compactMap { node -> ONNXTensor? in
            guard node.opType == "Constant", let output = node.outputs.first,
                  case .tensor(var tensor)? = node.attribute(named: "value")?.value else { return nil }
            tensor.name = output
            return tensor
        }
    }

    /// The initializer or Constant-node tensor with this name, if any.
    public func tensor(named name: String) -> ONNXTensor? {
        initializer(named: name) ?? constantTensors.first { $0.name == name }
    }

    /// How many nodes of each op type the graph has.
    public var operatorCounts: [String: Int] {
        nodes.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
    }
}

/// One operator application in a graph.
public struct ONNXNode: Sendable {
    /// `NodeProto.name` (may be empty).
    public var name: String
    /// The operator, e.g. "Conv", "GRU".
    public var opType: String
    /// The operator's domain ("" for the default ai.onnx domain).
    public var domain: String
    /// Input value names in order; an empty name is an omitted optional input.
    public var inputs: [String]
    /// Output value names in order.
    public var outputs: [String]
    /// Attributes in file order.
    public var attributes: [ONNXAttribute]

    public init(name: String = "", opType: String, domain: String = "", inputs: [String] = [], outputs: [String] = [],
                attributes: [ONNXAttribute] = []) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    init(message: ProtobufReader) throws(ScrimError) {
        self.init(opType: "")
        var reader = message
        while let field = try reader.nextField() {
            switch field.number {
            case 1: inputs.append(try field.string())
            case 2: outputs.append(try field.string())
            case 3: name = try field.string()
            case 4: opType = try field.string()
            case 5: attributes.append(try ONNXAttribute(message: field.message()))
            case 7: domain = try field.string()
            default: break
            }
        }
        guard !opType.isEmpty else {
            throw ScrimError(.invalidDocument, "ONNX node '\(name)' has no op_type")
        }
    }

    /// The attribute with this name, if any.
    public func attribute(named name: String) -> ONNXAttribute? {
        attributes.first { $0.name == name }
    }
}

/// A named attribute of a node.
public struct ONNXAttribute: Sendable {
    /// The value kinds Scrim reads; `unsupported` keeps the `AttributeProto.type` number of anything else (graphs,
    /// sparse tensors, lists of strings or tensors).
    public enum Value: Sendable, Equatable {
        case float(Float)
        case int(Int64)
        case string([UInt8])
        case tensor(ONNXTensor)
        case floats([Float])
        case ints([Int64])
        case unsupported(type: Int32)
    }

    /// The attribute's name, e.g. "kernel_shape".
    public var name: String
    /// Its value.
    public var value: Value

    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    init(message: ProtobufReader) throws(ScrimError) {
        var reader = message
        var name = ""
        var type: Int32?
        var f: Float?
        var i: Int64?
        var s: [UInt8]?
        var t: ONNXTensor?
        var floats: [Float] = []
        var ints: [Int64] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try field.string()
            case 2: f = try field.float()
            case 3: i = try field.int64()
            case 4: s = Array(try field.bytes())
            case 5: t = try ONNXTensor(message: field.message())
            case 7: try field.appendFloats(to: &floats)
            case 8: try field.appendInt64s(to: &ints)
            case 20: type = try field.int32()
            default: break
            }
        }
        // AttributeProto.AttributeType: FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, FLOATS = 6, INTS = 7. Files from
        // before IR 3 have no type; then the one field that is set decides.
        let value: Value
        switch type {
        case 1?: value = .float(f ?? 0)
        case 2?: value = .int(i ?? 0)
        case 3?: value = .string(s ?? [])
        case 4?:
            guard let t else { throw ScrimError(.invalidDocument, "ONNX attribute '\(name)' is a tensor without one") }
            value = .tensor(t)
        case 6?: value = .floats(floats)
        case 7?: value = .ints(ints)
        case let other?: value = .unsupported(type: other)
        case nil:
            if let f { value = .float(f) } else if let i { value = .int(i) } else if let s { value = .string(s) }
            else if let t { value = .tensor(t) } else if !floats.isEmpty { value = .floats(floats) }
            else { value = .ints(ints) }
        }
        self.init(name: name, value: value)
    }

    /// The value as an integer, if it is one.
    public var int: Int64? { if case .int(let v) = value { v } else { nil } }
    /// The value as a float, if it is one.
    public var float: Float? { if case .float(let v) = value { v } else { nil } }
    /// The value as a list of integers, if it is one.
    public var ints: [Int64]? { if case .ints(let v) = value { v } else { nil } }
    /// The value as a list of floats, if it is one.
    public var floats: [Float]? { if case .floats(let v) = value { v } else { nil } }
    /// The value as a UTF-8 string, if it is a string.
    public var string: String? { if case .string(let v) = value { String(decoding: v, as: UTF8.self) } else { nil } }
    /// The value as a tensor, if it is one.
    public var tensor: ONNXTensor? { if case .tensor(let v) = value { v } else { nil } }
}

/// A tensor from a model: an initializer or a Constant node's value.
public struct ONNXTensor: Sendable, Equatable {
    /// `TensorProto.DataType` values Scrim reads data for.
    public enum DataType {
        public static let float: Int32 = 1
        public static let int32: Int32 = 6
        public static let int64: Int32 = 7
    }

    /// The tensor's name (for a Constant node's value, the node's output name).
    public var name: String
    /// The shape, outermost first; empty for a scalar.
    public var dims: [Int]
    /// `TensorProto.data_type` (1 float, 6 int32, 7 int64, …).
    public var dataType: Int32
    /// The elements of a `FLOAT` tensor in row-major order (`elementCount` of them); empty for other types.
    public var floats: [Float]
    /// The elements of an `INT64` or `INT32` tensor, widened (`elementCount` of them); empty for other types.
    public var int64s: [Int64]

    /// The number of elements: the product of ``dims`` (1 for a scalar).
    public var elementCount: Int { dims.reduce(1, *) }

    public init(name: String, dims: [Int], floats: [Float]) {
        self.name = name
        self.dims = dims
        self.dataType = DataType.float
        self.floats = floats
        self.int64s = []
    }

    public init(name: String, dims: [Int], int64s: [Int64]) {
        self.name = name
        self.dims = dims
        self.dataType = DataType.int64
        self.floats = []
        self.int64s = int64s
    }

    /// The largest element count accepted (2^31): a bound on what a corrupt shape can make us allocate.
    static let maximumElementCount = 1 << 31

    init(message: ProtobufReader) throws(ScrimError) {
        var reader = message
        var name = ""
        var rawDims: [Int64] = []
        var dataType: Int32 = 0
        var floatData: [Float] = []
        var int32Data: [Int32] = []
        var int64Data: [Int64] = []
        var rawData: ArraySlice<UInt8>?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: try field.appendInt64s(to: &rawDims)
            case 2: dataType = try field.int32()
            case 3: throw ScrimError(.invalidDocument, "ONNX tensor '\(name)' is stored in segments (not supported)")
            case 4: try field.appendFloats(to: &floatData)
            case 5: try field.appendInt32s(to: &int32Data)
            case 7: try field.appendInt64s(to: &int64Data)
            case 8: name = try field.string()
            case 9: rawData = try field.bytes()
            case 14:
                if try field.int64() != 0 {
                    throw ScrimError(.invalidDocument,
                                     "ONNX tensor '\(name)' keeps its data in an external file (not supported)")
                }
            default: break
            }
        }
        var dims: [Int] = []
        var count = 1
        for d in rawDims {
            guard d >= 0, d <= Int64(Self.maximumElementCount) else {
                throw ScrimError(.invalidDocument, "ONNX tensor '\(name)' has the dimension \(d)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= Self.maximumElementCount else {
                throw ScrimError(.invalidDocument, "ONNX tensor '\(name)' has too many elements (shape \(rawDims))")
            }
            count = product
            dims.append(Int(d))
        }
        self.name = name
        self.dims = dims
        self.dataType = dataType
        self.floats = []
        self.int64s = []

        func mismatch(_ found: Int, _ unit: String) -> ScrimError {
            ScrimError(.invalidDocument,
                       "ONNX tensor '\(name)' of shape \(dims) needs \(count) elements but holds \(found) \(unit)")
        }
        switch dataType {
        case DataType.float:
            if let rawData {
                guard rawData.count == count * 4 else { throw mismatch(rawData.count, "bytes of raw data") }
                floats.reserveCapacity(count)
                appendLittleEndianFloats(rawData, to: &floats)
            } else {
                guard floatData.count == count else { throw mismatch(floatData.count, "floats") }
                floats = floatData
            }
        case DataType.int64:
            if let rawData {
                guard rawData.count == count * 8 else { throw mismatch(rawData.count, "bytes of raw data") }
                int64s.reserveCapacity(count)
                appendLittleEndianInt64s(rawData, to: &int64s)
            } else {
                guard int64Data.count == count else { throw mismatch(int64Data.count, "int64 values") }
                int64s = int64Data
            }
        case DataType.int32:
            if let rawData {
                guard rawData.count == count * 4 else { throw mismatch(rawData.count, "bytes of raw data") }
                var i = rawData.startIndex
                while i < rawData.endIndex {
                    let bits = UInt32(rawData[i]) | UInt32(rawData[i + 1]) << 8 | UInt32(rawData[i + 2]) << 16
                        | UInt32(rawData[i + 3]) << 24
                    int64s.append(Int64(Int32(bitPattern: bits)))
                    i += 4
                }
            } else {
                guard int32Data.count == count else { throw mismatch(int32Data.count, "int32 values") }
                int64s = int32Data.map { Int64($0) }
            }
        default:
            break
        }
    }
}

/// A graph input or output: its name and, where the file gives them, element type and shape.
public struct ONNXValueInfo: Sendable, Equatable {
    /// One dimension of a declared shape.
    public enum Dimension: Sendable, Equatable, CustomStringConvertible {
        /// A fixed size.
        case value(Int64)
        /// A named, variable size (e.g. "S", the time axis of DeepFilterNet's graphs).
        case symbol(String)
        /// Neither given.
        case unknown

        public var description: String {
            switch self {
            case .value(let v): "\(v)"
            case .symbol(let s): s
            case .unknown: "?"
            }
        }
    }

    /// The value's name.
    public var name: String
    /// `TensorProto.DataType` of the elements, if the type is a tensor type.
    public var elementType: Int32?
    /// The declared shape, or nil when the file gives none (rank unknown).
    public var shape: [Dimension]?

    public init(name: String, elementType: Int32? = nil, shape: [Dimension]? = nil) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }

    init(message: ProtobufReader) throws(ScrimError) {
        self.init(name: "")
        var reader = message
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try field.string()
            case 2:
                var type = try field.message()
                while let typeField = try type.nextField() {
                    guard typeField.number == 1 else { continue }  // tensor_type; other kinds are not read
                    var tensorType = try typeField.message()
                    while let f = try tensorType.nextField() {
                        switch f.number {
                        case 1: elementType = try f.int32()
                        case 2: shape = try Self.shape(f.message())
                        default: break
                        }
                    }
                }
            default: break
            }
        }
    }

    private static func shape(_ message: ProtobufReader) throws(ScrimError) -> [Dimension] {
        var reader = message
        var dims: [Dimension] = []
        while let field = try reader.nextField() {
            guard field.number == 1 else { continue }
            var dimReader = try field.message()
            var dim = Dimension.unknown
            while let f = try dimReader.nextField() {
                switch f.number {
                case 1: dim = .value(try f.int64())
                case 2: dim = .symbol(try f.string())
                default: break
                }
            }
            dims.append(dim)
        }
        return dims
    }
}
