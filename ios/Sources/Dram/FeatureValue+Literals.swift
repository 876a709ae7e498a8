// Literal syntax for feature values: `["price": 19.9, "category": "shoes", "age": 31]`.
import Foundation

extension FeatureValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral {
    /// An integer literal is `.int`.
    public init(integerLiteral value: Int64) {
        self = .int(value)
    }

    /// A floating-point literal is `.double`.
    public init(floatLiteral value: Double) {
        self = .double(value)
    }

    /// A string literal is `.string`.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}
