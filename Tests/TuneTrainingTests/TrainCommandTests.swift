import Foundation
import Testing
import TestFixtures
@testable import FineTune
@testable import TuneTraining

@Suite("finetune train / evaluate / predict", .serialized, .requires(.finetuneBinary, .lite0Weights))
struct TrainCommandTests {
    static let trainArguments = ["--image-size", "32", "--head-epochs", "3", "--epochs", "3", "--unfreeze", "last-blocks:2",
                                 "--batch-size", "4", "--threads", "1", "--feature-cache", "off", "--seed", "5"]

    func data(trainPerClass: Int = 10) throws -> URL {
        let root = SyntheticImages.temporaryFolder("cli-data")
        try SyntheticImages.write(to: root, trainPerClass: trainPerClass)
        return root
    }

    func weights(_ folder: URL) throws -> [String: [Float]] {
        try Safetensors.read(path: folder.appendingPathComponent("model.safetensors").path).tensors.mapValues(\.scalars)
    }

    /// Starts `finetune train`, kills it with SIGKILL as soon as its checkpoint records `killAfter` finished epochs
    /// (or more), and returns the epochs the checkpoint held at that moment.
    func trainAndKill(data: URL, out: URL, killAfter: Int) throws -> Int {
        try trainAndKill(arguments: ["train", data.path, "--out", out.path] + Self.trainArguments, checkpointFolder: out,
                         killAfter: killAfter)
    }

    /// Runs `finetune arguments…` and kills it with SIGKILL once the checkpoint in `checkpointFolder` records
    /// `killAfter` finished epochs; returns the epochs it held then.
    func trainAndKill(arguments: [String], checkpointFolder out: URL, killAfter: Int) throws -> Int {
        let process = Process()
        process.executableURL = FineTuneBinary.url
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let checkpoint = out.appendingPathComponent("checkpoint.safetensors").path
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && Date() < deadline {
            if let text = try? Safetensors.metadata(path: checkpoint)["progress"],
               let progress = try? JSONText.decode(RunProgress.self, from: text, file: checkpoint),
               progress.completedEpochs >= killAfter {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return progress.completedEpochs
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        return -1
    }

    @Test("kill -9 in phase 1 or phase 2, then --resume: the same final weights as an uninterrupted run", arguments: [1, 4])
    func resumeAfterKill(killAfter: Int) throws {
        let data = try data(trainPerClass: 30)
        let reference = SyntheticImages.temporaryFolder("cli-reference")
        let (status, output) = try FineTuneBinary.run(["train", data.path, "--out", reference.path] + Self.trainArguments)
        #expect(status == 0, "\(output)")

        let interrupted = SyntheticImages.temporaryFolder("cli-interrupted")
        let killedAt = try trainAndKill(data: data, out: interrupted, killAfter: killAfter)
        #expect(killedAt >= killAfter && killedAt < 6, "the run should be killed before it finished (checkpoint epochs \(killedAt))")
        #expect(!FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("model.safetensors").path))

        let (resumed, log) = try FineTuneBinary.run(["train", "--resume", interrupted.path])
        #expect(resumed == 0, "\(log)")
        #expect(log.contains("Resuming"))
        #expect(try weights(interrupted) == weights(reference))
        let history = try String(contentsOf: interrupted.appendingPathComponent("history.csv"), encoding: .utf8)
        #expect(history.split(separator: "\n").count == 7)
        #expect(!FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("checkpoint.safetensors").path))
    }

    @Test("--resume without a checkpoint fails naming the folder")
    func resumeWithoutCheckpoint() throws {
        let folder = SyntheticImages.temporaryFolder("cli-empty")
        let (status, output) = try FineTuneBinary.run(["train", "--resume", folder.path])
        #expect(status != 0)
        #expect(output.contains(folder.path) && output.contains("no checkpoint"))
    }

    @Test("train prints the setup check and the accuracy; evaluate --json and predict RUN --json read the run folder")
    func trainEvaluatePredict() throws {
        let data = try data()
        let out = SyntheticImages.temporaryFolder("cli-run")
        let (status, output) = try FineTuneBinary.run(["train", data.path, "--out", out.path, "--image-size", "32",
                                                      "--head-epochs", "2", "--epochs", "1", "--threads", "1"])
        #expect(status == 0, "\(output)")
        for line in ["Setup check", "Classes     3: checks 10, horizontal 10, vertical 10", "Duplicates  none",
                     "normalization symmetric127", "trainable 3,843 of", "BatchNorm: 49 frozen", "Feature cache:",
                     "Validation accuracy:", "Report: \(out.path)/report.html"] {
            #expect(output.contains(line), "missing \"\(line)\"")
        }

        let (evaluated, json) = try FineTuneBinary.run(["evaluate", out.path, data.path, "--json"])
        #expect(evaluated == 0, "\(json)")
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["accuracy", "per_class", "confusion_matrix", "class_names"])
        #expect(object?["class_names"] as? [String] == SyntheticImages.classNames)
        let matrix = object?["confusion_matrix"] as? [[Int]]
        #expect(matrix?.flatMap { $0 }.reduce(0, +) == 12)

        let image = data.appendingPathComponent("validation/vertical/0.png").path
        let (predicted, predictions) = try FineTuneBinary.run(["predict", out.path, image, "--top", "2", "--json"])
        #expect(predicted == 0, "\(predictions)")
        let list = try JSONSerialization.jsonObject(with: Data(predictions.utf8)) as? [[String: Any]]
        let top = list?.first?["top"] as? [[String: Any]]
        #expect(list?.first?["file"] as? String == image)
        #expect(top?.count == 2)
        #expect(top?.allSatisfy { $0["index"] != nil && $0["label"] != nil && $0["probability"] != nil } == true)

        let (text, table) = try FineTuneBinary.run(["evaluate", out.path, data.path])
        #expect(text == 0)
        #expect(table.contains("precision") && table.contains("vertical"))
    }

    @Test("the binary head (flatten-dense-256, sigmoid) trains on two classes and predicts both")
    func binaryHead() throws {
        let root = SyntheticImages.temporaryFolder("cli-binary")
        try SyntheticImages.write(to: root, classes: ["horizontal", "vertical"].map { $0 }, trainPerClass: 10)
        let out = SyntheticImages.temporaryFolder("cli-binary-run")
        let (status, output) = try FineTuneBinary.run(["train", root.path, "--out", out.path, "--image-size", "32",
                                                      "--head", "flatten-dense-256", "--head-epochs", "2", "--epochs", "0",
                                                      "--unfreeze", "none", "--threads", "1"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("1 output, sigmoid"))
        #expect(output.contains("binary_crossentropy"))
        let saved = try SavedClassifier(folder: out.path)
        #expect(saved.model.isBinary)
        let predictions = try saved.predict(files: [root.appendingPathComponent("validation/vertical/0.png").path], top: 2)
        #expect(predictions.first?.top.count == 2)
    }

    @Test("bench --json gives images_per_s and peak_rss_mib per configuration, each measured in its own process; steady steps take no new memory")
    func benchJSON() throws {
        let (status, output) = try FineTuneBinary.run(["bench", "--only", "inference_64,last2_64,full_64", "--min-seconds", "0.1",
                                                      "--threads", "1", "--batch-size", "4", "--json"])
        #expect(status == 0, "\(output)")
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["inference_64", "last2_64", "full_64"])
        for (name, row) in object ?? [:] {
            #expect((row["images_per_s"] as? Double ?? 0) > 0)
            #expect((row["peak_rss_mib"] as? Double ?? 0) > 10)
            // After the warm-up steps the buffer pool serves every large tensor (a count, not a timing).
            #expect(row["fresh_allocations_per_step"] as? Double == 0, "\(name): \(row)")
        }
        let (bad, message) = try FineTuneBinary.run(["bench", "--only", "sideways_64"])
        #expect(bad != 0)
        #expect(message.contains("sideways_64"))
        // A missing reference script or allocator is named before anything runs.
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-bench.py").path
        let (noScript, scriptMessage) = try FineTuneBinary.run(["bench", "--only", "inference_64", "--pytorch-script", missing])
        #expect(noScript != 0)
        #expect(scriptMessage.contains("--pytorch-script") && scriptMessage.contains(missing), "\(scriptMessage)")
        let scriptFolder = SyntheticImages.temporaryFolder("bench-script")
        try FileManager.default.createDirectory(at: scriptFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scriptFolder) }
        let script = scriptFolder.appendingPathComponent("bench.py")
        try Data("print()\n".utf8).write(to: script)
        let (noLibrary, libraryMessage) = try FineTuneBinary.run(["bench", "--only", "inference_64", "--pytorch-script", script.path,
                                                                  "--pytorch-preload", "libnothing.so"])
        #expect(noLibrary != 0)
        #expect(libraryMessage.contains("--pytorch-preload") && libraryMessage.contains("libnothing.so"), "\(libraryMessage)")
    }

    @Test("bench --contend runs each row again beside busy loops or a second bench, reports the slowdowns and leaves no competitor running",
          .serialized, arguments: ["busy", "bench"])
    func benchContention(competitor: String) throws {
        let (status, output) = try FineTuneBinary.run(["bench", "--only", "inference_64", "--min-seconds", "0.3", "--threads", "1",
                                                      "--batch-size", "4", "--contend", "1", "--competitor", competitor, "--rounds", "2",
                                                      "--json"])
        #expect(status == 0, "\(output)")
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]]
        let contention = try #require(object?["inference_64"]?["contention"] as? [String: Any], "\(output)")
        #expect((contention["contended_images_per_s"] as? Double ?? 0) > 0)
        #expect((contention["quiet_images_per_s_median"] as? Double ?? 0) > 0)
        // One 1-thread competitor beside one 1-thread row: the cores are not oversubscribed on two or more cores.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(contention["fair_slowdown"] as? Double == (cores >= 2 ? 1 : 2))
        #expect((contention["competitor_images_per_s"] as? [Double])?.count == (competitor == "bench" ? 1 : nil))
        #expect(contention["rounds"] as? Int == 2)
        #expect((contention["share_of_fair_by_round"] as? [Double])?.count == 2, "\(output)")
        if competitor == "bench" {
            #expect((contention["apart"] as? Double ?? -1) >= 0, "\(output)")
            #expect((contention["sum_over_quiet"] as? Double ?? 0) > 0, "\(output)")
        }
        let (_, spinners) = try FineTuneBinary.run(["bench", "--only", "inference_64", "--contend", "0"])
        #expect(spinners.contains("--contend must be in 1…16"))
        let (_, noRounds) = try FineTuneBinary.run(["bench", "--only", "inference_64", "--contend", "1", "--rounds", "0"])
        #expect(noRounds.contains("--rounds must be in 1…20"), "\(noRounds)")
        #expect(try !runningProcesses().contains { $0.contains("bench --spin") }, "a busy-loop competitor outlived the bench")
    }

    /// Beside a process that keeps every core busy, no step computes on a full team any more: the adaptive team
    /// shrinks, and training steps run in lanes (slices of the batch, one thread each).
    @Test("beside a busy process the team shrinks or the work moves to lanes")
    func adaptiveTeamShrinksBesideBusyProcess() throws {
        let (status, output) = try FineTuneBinary.run(["bench", "--only", "full_64", "--min-seconds", "2", "--batch-size", "8",
                                                      "--contend", "1", "--competitor", "busy", "--separate-session", "--json"])
        #expect(status == 0, "\(output)")
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]]
        let row = try #require(object?["full_64"], "\(output)")
        let contention = try #require(row["contention"] as? [String: Any], "\(output)")
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let laneShare = try #require(contention["lane_share"] as? Double, "\(output)")
        let threads = try #require(contention["mean_threads"] as? Double, "\(output)")
        // The competitor busy-loops on as many threads as there are cores, so others take at least half of them.
        if cores >= 2 {
            if laneShare < 0.9 {
                let team = (threads - cores * laneShare) / (1 - laneShare)
                #expect(team <= cores * 0.75, "outside lanes the team kept \(team) of \(cores) threads beside a busy process")
            }
        } else {
            #expect(laneShare == 0 && threads == 1, "one core: one thread, no lanes")
        }
        #expect((row["mean_threads"] as? Double ?? 0) >= 1)
        #expect(try !runningProcesses().contains { $0.contains("bench --spin") }, "a busy-loop competitor outlived the bench")
    }

    /// The command lines of this machine's processes.
    func runningProcesses() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            return String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        }
    }

    @Test("bad options fail naming the option")
    func badOptions() throws {
        let data = try data()
        let out = SyntheticImages.temporaryFolder("cli-bad")
        for (arguments, expected) in [(["--unfreeze", "some"], "--unfreeze"), (["--head", "tiny"], "--head"),
                                      (["--augment", "spin"], "--augment"), (["--class-weight", "x"], "--class-weight")] {
            let (status, output) = try FineTuneBinary.run(["train", data.path, "--out", out.path] + arguments)
            #expect(status != 0)
            #expect(output.contains(expected), "\(output)")
        }
    }
}
