import Foundation
import Testing
@testable import TuneModels

@Suite("LoRAConfiguration")
struct LoRAConfigurationTests {
    @Test("the defaults are the baseline's: rank 8, alpha 16, dropout 0.1 on query and value")
    func defaults() throws {
        let configuration = LoRAConfiguration()
        #expect(configuration.rank == 8 && configuration.alpha == 16 && configuration.dropout == 0.1)
        #expect(configuration.targets == [.query, .value])
        #expect(configuration.scaling == 2)
        #expect(configuration.description == "rank=8,alpha=16,dropout=0.1,targets=query,value")
        #expect(try LoRAConfiguration(parsing: "") == configuration)
    }

    @Test("the command-line form reads any subset of the settings in any order, and prints back the same")
    func parsing() throws {
        let full = try LoRAConfiguration(parsing: "rank=8,alpha=16,dropout=0.1,targets=query,value")
        #expect(full == LoRAConfiguration())
        let reordered = try LoRAConfiguration(parsing: "targets=value, query ,dropout=0 , rank=4")
        #expect(reordered == LoRAConfiguration(rank: 4, alpha: 16, dropout: 0, targets: [.query, .value]))
        let all = try LoRAConfiguration(parsing: "rank=16,targets=all-linear")
        #expect(all.targets == BertProjection.allCases && all.targetsAllLinear)
        #expect(all.description == "rank=16,alpha=16,dropout=0.1,targets=all-linear")
        let some = try LoRAConfiguration(parsing: "alpha=2.5,targets=output,attention-output,key,intermediate")
        #expect(some.targets == [.key, .attentionOutput, .intermediate, .output])
        for configuration in [full, reordered, all, some] {
            #expect(try LoRAConfiguration(parsing: configuration.description) == configuration)
        }
        #expect(try LoRAConfiguration(parsing: "rank=2").targets == [.query, .value])
    }

    @Test("it round-trips through JSON with the targets' command-line names")
    func codable() throws {
        let configuration = LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.05, targets: [.value, .attentionOutput, .value])
        let data = try JSONEncoder().encode(configuration)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"attention-output\""))
        #expect(try JSONDecoder().decode(LoRAConfiguration.self, from: data) == configuration)
        #expect(configuration.targets == [.value, .attentionOutput])
    }

    @Test("errors name the setting and the value")
    func errors() {
        let cases: [(String, LoRAConfigurationError)] = [
            ("rank=0", .invalidValue(setting: "rank", value: "0", expected: "a whole number ≥ 1")),
            ("rank=eight", .invalidValue(setting: "rank", value: "eight", expected: "a whole number ≥ 1")),
            ("alpha=-1", .invalidValue(setting: "alpha", value: "-1", expected: "a positive number")),
            ("dropout=1", .invalidValue(setting: "dropout", value: "1", expected: "a rate in [0, 1)")),
            ("targets=query,qury", .invalidValue(setting: "targets", value: "qury",
                                                 expected: "one of query, key, value, attention-output, intermediate, output, all-linear")),
            ("targets=", .invalidValue(setting: "targets", value: "",
                                       expected: "one of query, key, value, attention-output, intermediate, output, all-linear")),
            ("scale=2", .unknownSetting("scale")),
            ("rank=8,rank=4", .repeatedSetting("rank")),
            ("query", .notASetting("query")),
            ("rank=8,query", .notASetting("query")),
            ("rank=8,", .notASetting("")),
        ]
        for (text, expected) in cases {
            #expect(throws: expected, "\(text)") { try LoRAConfiguration(parsing: text) }
        }
        #expect(LoRAConfigurationError.invalidValue(setting: "rank", value: "0", expected: "a whole number ≥ 1").description
            == "LoRA settings: rank '0' is not usable: expected a whole number ≥ 1")
        #expect(LoRAConfigurationError.unknownSetting("scale").description.contains("'scale' is not a setting (rank, alpha, dropout, targets)"))
    }
}
