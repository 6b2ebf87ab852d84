@_exported import TuneCore
@_exported import TuneData
@_exported import TuneFormats
@_exported import TuneModels
@_exported import TuneNN
@_exported import TuneTraining

/// FineTune's version, as `finetune version` prints it.
public enum FineTuneVersion {
    public static let string = "0.1.0"
}
