// Reads the shared test vectors (tests/vectors/, copied here as the `vectors` resource by
// build-xcframework.sh) into the Swift API's values.
import Dram
import Foundation
import XCTest

enum VectorsError: Error {
    case unknownEventKind(String)
}

enum Vectors {
    /// The `vectors` resource directory of this test bundle.
    static func directory() throws -> URL {
        try XCTUnwrap(
            Bundle.module.url(forResource: "vectors", withExtension: nil),
            "the `vectors` test resource is missing: run ios/build-xcframework.sh, which copies tests/vectors"
        )
    }

    /// A vectors file as a JSON object.
    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory().appendingPathComponent(name))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], "\(name) is not a JSON object")
    }

    /// A file named relative to the vectors directory (e.g. a vector file's `model`).
    static func url(_ relativePath: String) throws -> URL {
        try directory().appendingPathComponent(relativePath)
    }

    /// `{"int": 3}`, `{"float": 1.5}` (or `{"float": "nan"}`) or `{"str": "x"}`.
    static func featureValue(_ json: Any) throws -> FeatureValue {
        let object = try XCTUnwrap(json as? [String: Any], "feature value \(json)")
        if let int = object["int"] as? NSNumber {
            return .int(int.int64Value)
        }
        if let string = object["str"] as? String {
            return .string(string)
        }
        if let text = object["float"] as? String {
            return .double(try XCTUnwrap(Double(text), "float \(text)"))
        }
        return .double(try XCTUnwrap(object["float"] as? NSNumber, "feature value \(object)").doubleValue)
    }

    static func features(_ json: Any?) throws -> [String: FeatureValue] {
        let object = try XCTUnwrap(json as? [String: Any], "features \(String(describing: json))")
        return try object.mapValues(featureValue)
    }

    /// The vectors' snake_case event kinds.
    static func eventKind(_ name: String) throws -> EventKind {
        switch name {
        case "view": return .view
        case "click": return .click
        case "add_to_cart": return .addToCart
        case "purchase": return .purchase
        case "wishlist": return .wishlist
        default: throw VectorsError.unknownEventKind(name)
        }
    }

    static func numbers(_ json: Any?) throws -> [Double] {
        try XCTUnwrap(json as? [NSNumber], "numbers \(String(describing: json))").map(\.doubleValue)
    }
}
