import TuneCore

/// Errors thrown by an ``Optimizer`` step, naming the optimizer (e.g. `"Adam"`). A step that throws leaves every
/// parameter and the iteration count unchanged.
public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    /// A hyperparameter (`name`, e.g. `"momentum"`) is outside its valid range.
    case invalidHyperparameter(optimizer: String, name: String, message: String)
    /// The learning-rate schedule is misconfigured.
    case invalidSchedule(optimizer: String, message: String)
    /// The global gradient norm is NaN or infinite, so gradients cannot be clipped.
    case nonFiniteGradientNorm(optimizer: String)
    /// A parameter's gradient does not have the parameter's shape.
    case gradientShapeMismatch(optimizer: String, parameter: Shape, gradient: Shape)
    /// Saved optimizer state does not fit the model it is restored into.
    case invalidState(optimizer: String, message: String)

    public var description: String {
        switch self {
        case let .invalidHyperparameter(optimizer, name, message):
            return "\(optimizer): \(name): \(message)"
        case let .invalidSchedule(optimizer, message):
            return "\(optimizer): schedule: \(message)"
        case let .nonFiniteGradientNorm(optimizer):
            return "\(optimizer): the global gradient norm is not finite (NaN or infinite gradients); cannot clip"
        case let .gradientShapeMismatch(optimizer, parameter, gradient):
            return "\(optimizer): gradient \(gradient) does not match parameter \(parameter)"
        case let .invalidState(optimizer, message):
            return "\(optimizer): saved state: \(message)"
        }
    }
}
