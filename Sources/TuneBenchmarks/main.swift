// tune-benchmarks: times TuneCore's convolution and matmul kernels (forward, backward-data, backward-weights)
// and compares each with OpenBLAS sgemm 1024³ measured in the same run; the last rows add up every 1×1 convolution
// of EfficientNet-Lite0 at 224², batch 32, with activations in the blocked layout the model keeps them in.
//
//     swift run -c release tune-benchmarks [--threads N] [--repeats N] [--warmup N] [--json]

import Foundation
import TuneCore
import TuneModels
import TuneNN

/// Command-line options.
struct Options {
    var threads: Int?
    var repeats = 10
    var warmup = 2
    var json = false

    static let usage = """
        usage: tune-benchmarks [--threads N] [--repeats N] [--warmup N] [--json]
          --threads N   a fixed thread count for oneDNN and OpenBLAS (ComputeThreads.set); default: adaptive
          --repeats N   timed calls per row; the median is reported (default 10)
          --warmup N    untimed calls before timing (default 2)
          --json        print JSON instead of a table
        """

    init(arguments: [String]) throws {
        var remaining = arguments[...]
        func count(_ flag: String) throws -> Int {
            guard let text = remaining.popFirst(), let value = Int(text), value >= 0 else {
                throw BenchmarkError.usage("\(flag) needs a non-negative integer")
            }
            return value
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--threads": threads = max(1, try count(argument))
            case "--repeats": repeats = max(1, try count(argument))
            case "--warmup": warmup = try count(argument)
            case "--json": json = true
            case "--help", "-h": throw BenchmarkError.help
            default: throw BenchmarkError.usage("unknown argument \(argument)")
            }
        }
    }
}

enum BenchmarkError: Error {
    case usage(String)
    case help
}

/// Which computation a row times.
enum Pass: String, Codable {
    case forward = "forward"
    case backwardData = "backward-data"
    case backwardWeights = "backward-weights"
}

/// One measured row.
struct Row: Codable {
    let op: String
    let pass: Pass
    let shape: String
    let flops: Double
    let milliseconds: Double
    let gflopsPerSecond: Double
    var percentOfSgemm: Double
}

/// A convolution case: batch, channels, spatial size, kernel, groups.
struct ConvolutionCase {
    let name: String
    let batch: Int
    let inChannels: Int
    let outChannels: Int
    let size: Int
    let kernel: Int
    let groups: Int

    var inputShape: Shape { [batch, inChannels, size, size] }
    var weightShape: Shape { [outChannels, inChannels / groups, kernel, kernel] }
    var shapeDescription: String {
        "N\(batch) \(inChannels)→\(outChannels) \(size)² k\(kernel)×\(kernel)" + (groups > 1 ? " g\(groups)" : "") + " SAME"
    }
    /// 2·N·O·(C/groups)·kh·kw·OH·OW, with OH = OW = size under SAME padding at stride 1.
    var flops: Double {
        2 * Double(batch * outChannels * (inChannels / groups) * kernel * kernel) * Double(size * size)
    }
}

/// Times `body` `repeats` times after `warmup` untimed calls; `prepare` runs before each call, untimed.
func medianMilliseconds(warmup: Int, repeats: Int, prepare: () throws -> Void = {}, _ body: () throws -> Void) throws -> Double {
    let clock = ContinuousClock()
    for _ in 0..<warmup {
        try prepare()
        try body()
    }
    var samples: [Double] = []
    for _ in 0..<repeats {
        try prepare()
        let elapsed = try clock.measure(body)
        samples.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
    }
    samples.sort()
    let middle = samples.count / 2
    return samples.count % 2 == 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2
}

func row(_ op: String, _ pass: Pass, _ shape: String, flops: Double, milliseconds: Double) -> Row {
    Row(op: op, pass: pass, shape: shape, flops: flops, milliseconds: milliseconds,
        gflopsPerSecond: flops / (milliseconds * 1e-3) / 1e9, percentOfSgemm: 0)
}

/// The same values in oneDNN's blocked layout, as activations are inside a model: the output of a 1×1 identity
/// convolution (made untimed).
func blockedCopy(_ tensor: Tensor) throws -> Tensor {
    let channels = tensor.shape[1]
    let identity = try Tensor(shape: [channels, channels, 1, 1], scalars: (0..<channels * channels).map {
        $0 / channels == $0 % channels ? 1 : 0
    })
    return try withoutGradient { try Tensor.conv2d(tensor, weight: identity) }
}

/// Forward, backward-data and backward-weights of one convolution case; `blocked` feeds input and output gradient in
/// the blocked layout (as inside a model) instead of row-major.
func benchmark(_ conv: ConvolutionCase, blocked: Bool = false, options: Options, generator: inout SeededGenerator) throws -> [Row] {
    let plainInput = Tensor.uniform(conv.inputShape, low: -1, high: 1, generator: &generator)
    let input = blocked ? try blockedCopy(plainInput) : plainInput
    let weight = Tensor.normal(conv.weightShape, standardDeviation: 0.1, generator: &generator)
    func forward() throws -> Tensor {
        try Tensor.conv2d(input, weight: weight, padding: .same, groups: conv.groups)
    }
    let plainSeed = Tensor.uniform(try forward().shape, low: -1, high: 1, generator: &generator)
    let seed = blocked ? try blockedCopy(plainSeed) : plainSeed
    var rows: [Row] = []

    let forwardTime = try medianMilliseconds(warmup: options.warmup, repeats: options.repeats) { _ = try forward() }
    rows.append(row(conv.name, .forward, conv.shapeDescription, flops: conv.flops, milliseconds: forwardTime))

    // Each backward row records a fresh graph (untimed) and times only `backward(seed:)`.
    for (pass, dataGradient) in [(Pass.backwardData, true), (Pass.backwardWeights, false)] {
        input.requiresGradient = dataGradient
        weight.requiresGradient = !dataGradient
        var output: Tensor?
        let time = try medianMilliseconds(warmup: options.warmup, repeats: options.repeats, prepare: {
            input.zeroGradient()
            weight.zeroGradient()
            output = try forward()
        }) {
            try output?.backward(seed: seed)
        }
        output = nil
        rows.append(row(conv.name, pass, conv.shapeDescription, flops: conv.flops, milliseconds: time))
    }
    input.requiresGradient = false
    weight.requiresGradient = false
    input.zeroGradient()
    weight.zeroGradient()
    return rows
}

/// Every 1×1 convolution of EfficientNet-Lite0 at `resolution`² (expand and project of each block, and the head), as
/// (input channels, output channels, spatial size) with how often each shape occurs: read off the model's layers in
/// order, tracking the feature map's side through every stride ("SAME" padding: ⌈side / stride⌉).
func lite0PointwiseConvolutions(resolution: Int) -> [(shape: (inChannels: Int, outChannels: Int, size: Int), count: Int)] {
    var size = resolution
    var shapes: [(Int, Int, Int)] = []
    for (_, layer) in EfficientNetLite(variant: .lite0, includeTop: false).descendants() {
        if let conv = layer as? DepthwiseConv2D {
            size = (size + conv.stride.0 - 1) / conv.stride.0
        } else if let conv = layer as? Conv2D, let weight = conv.weight {
            size = (size + conv.stride.0 - 1) / conv.stride.0
            if conv.kernelSize == (1, 1) { shapes.append((weight.shape[1], conv.filters, size)) }
        }
    }
    var counted: [(shape: (inChannels: Int, outChannels: Int, size: Int), count: Int)] = []
    for shape in shapes {
        if let index = counted.firstIndex(where: { $0.shape == shape }) { counted[index].count += 1 } else { counted.append((shape, 1)) }
    }
    return counted
}

/// One row per pass adding up all of Lite0's 1×1 convolutions at 224², batch 32, blocked as in the model.
func benchmarkLite0PointwiseConvolutions(options: Options, generator: inout SeededGenerator) throws -> [Row] {
    var flops: [Pass: Double] = [:], milliseconds: [Pass: Double] = [:]
    let shapes = lite0PointwiseConvolutions(resolution: 224)
    for (shape, count) in shapes {
        let conv = ConvolutionCase(name: "1×1", batch: 32, inChannels: shape.inChannels, outChannels: shape.outChannels,
                                   size: shape.size, kernel: 1, groups: 1)
        for row in try benchmark(conv, blocked: true, options: options, generator: &generator) {
            flops[row.pass, default: 0] += row.flops * Double(count)
            milliseconds[row.pass, default: 0] += row.milliseconds * Double(count)
        }
    }
    let total = shapes.reduce(0) { $0 + $1.count }
    return [Pass.forward, .backwardData, .backwardWeights].map { pass in
        row("Lite0 1×1 convs (all \(total))", pass, "N32 224² blocked", flops: flops[pass] ?? 0,
            milliseconds: milliseconds[pass] ?? 0)
    }
}

/// Forward and both backward passes of `a · b`, square `size`.
func benchmarkMatmul(size: Int, options: Options, generator: inout SeededGenerator) throws -> [Row] {
    let a = Tensor.uniform([size, size], low: -1, high: 1, generator: &generator)
    let b = Tensor.uniform([size, size], low: -1, high: 1, generator: &generator)
    let seed = Tensor.uniform([size, size], low: -1, high: 1, generator: &generator)
    let flops = 2 * Double(size) * Double(size) * Double(size)
    let shape = "\(size)×\(size) · \(size)×\(size)"
    var rows = [row("matmul", .forward, shape, flops: flops,
                    milliseconds: try medianMilliseconds(warmup: options.warmup, repeats: options.repeats) { _ = try a.matmul(b) })]
    for (pass, dataGradient) in [(Pass.backwardData, true), (Pass.backwardWeights, false)] {
        a.requiresGradient = dataGradient
        b.requiresGradient = !dataGradient
        var output: Tensor?
        let time = try medianMilliseconds(warmup: options.warmup, repeats: options.repeats, prepare: {
            a.zeroGradient()
            b.zeroGradient()
            output = try a.matmul(b)
        }) {
            try output?.backward(seed: seed)
        }
        output = nil
        rows.append(row("matmul", pass, shape, flops: flops, milliseconds: time))
    }
    return rows
}

func run(_ options: Options) throws {
    if let threads = options.threads { ComputeThreads.set(threads) }
    var generator = SeededGenerator(seed: 2024)

    // The reference: OpenBLAS sgemm 1024³ through Tensor.matmul (no gradient recorded).
    let size = 1024
    let a = Tensor.uniform([size, size], low: -1, high: 1, generator: &generator)
    let b = Tensor.uniform([size, size], low: -1, high: 1, generator: &generator)
    let sgemmFlops = 2 * Double(size * size * size)
    let sgemmTime = try medianMilliseconds(warmup: options.warmup, repeats: options.repeats) { _ = try a.matmul(b) }
    let sgemm = row("OpenBLAS sgemm", .forward, "1024×1024 · 1024×1024", flops: sgemmFlops, milliseconds: sgemmTime)

    let cases = [
        ConvolutionCase(name: "conv 3×3", batch: 32, inChannels: 32, outChannels: 32, size: 112, kernel: 3, groups: 1),
        ConvolutionCase(name: "conv 1×1", batch: 32, inChannels: 96, outChannels: 24, size: 56, kernel: 1, groups: 1),
        ConvolutionCase(name: "depthwise 3×3", batch: 32, inChannels: 144, outChannels: 144, size: 56, kernel: 3, groups: 144),
        ConvolutionCase(name: "conv 3×3", batch: 32, inChannels: 64, outChannels: 64, size: 56, kernel: 3, groups: 1),
    ]
    var rows = [sgemm]
    for conv in cases { rows += try benchmark(conv, options: options, generator: &generator) }
    rows += try benchmarkMatmul(size: size, options: options, generator: &generator)
    rows += try benchmarkLite0PointwiseConvolutions(options: options, generator: &generator)
    for index in rows.indices { rows[index].percentOfSgemm = 100 * rows[index].gflopsPerSecond / sgemm.gflopsPerSecond }

    if options.json {
        struct Report: Codable {
            let threads: Int
            let repeats: Int
            let warmup: Int
            let rows: [Row]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Report(threads: ComputeThreads.current, repeats: options.repeats,
                                             warmup: options.warmup, rows: rows))
        print(String(decoding: data, as: UTF8.self))
        return
    }
    print("tune-benchmarks: \(ComputeThreads.current) thread(s), median of \(options.repeats) after \(options.warmup) warm-up call(s)")
    print("")
    printTable(rows)
}

/// A Markdown table, so the output can be pasted into BENCHMARKS.md as is.
func printTable(_ rows: [Row]) {
    let header = ["op", "pass", "shape", "ms/call", "GFLOP/s", "% of sgemm"]
    let cells = rows.map { row in
        [row.op, row.pass.rawValue, row.shape, String(format: "%.2f", row.milliseconds),
         String(format: "%.1f", row.gflopsPerSecond), String(format: "%.0f%%", row.percentOfSgemm)]
    }
    let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
    let numeric = Set(3..<header.count)
    func line(_ values: [String]) -> String {
        let padded = values.enumerated().map { column, value in
            let padding = String(repeating: " ", count: widths[column] - value.count)
            return numeric.contains(column) ? padding + value : value + padding
        }
        return "| " + padded.joined(separator: " | ") + " |"
    }
    print(line(header))
    print("|" + widths.indices.map { column in
        let dashes = String(repeating: "-", count: widths[column] + 1)
        return numeric.contains(column) ? dashes + ":" : ":" + dashes
    }.joined(separator: "|") + "|")
    for cell in cells { print(line(cell)) }
}

do {
    try run(try Options(arguments: Array(CommandLine.arguments.dropFirst())))
} catch BenchmarkError.help {
    print(Options.usage)
} catch BenchmarkError.usage(let message) {
    FileHandle.standardError.write(Data("tune-benchmarks: \(message)\n\(Options.usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("tune-benchmarks: \(error)\n".utf8))
    exit(1)
}
