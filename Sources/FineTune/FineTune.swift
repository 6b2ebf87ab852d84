@_exported import TuneCore
@_exported import TuneData
@_exported import TuneFormats
@_exported import TuneModels
@_exported import TuneNN
@_exported import TuneTraining

