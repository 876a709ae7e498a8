// Signed models (tests/vectors/signature.json) through the Swift API: the trusted key loads the
// signed file; unsigned, tampered and foreign-signed files throw InvalidModel saying why.
import Dram
import Foundation
import XCTest

final class IntegrityTests: XCTestCase {
    private func string(_ field: String) throws -> String {
        try XCTUnwrap(Vectors.json("signature.json")[field] as? String, "signature.json lacks \(field)")
    }

    private func file(_ field: String) throws -> Data {
        try Data(contentsOf: Vectors.url(string(field)))
    }

    private func key(_ field: String) throws -> Data {
        let hex = Array(try string(field))
        return Data(stride(from: 0, to: hex.count, by: 2).map { UInt8(String(hex[$0...$0 + 1]), radix: 16)! })
    }

    private func assertInvalidModel(_ call: @autoclosure () throws -> DramModel, mentions words: String) {
        XCTAssertThrowsError(try call()) { error in
            guard case .InvalidModel(let message)? = error as? DramError else {
                return XCTFail("expected DramError.InvalidModel, got \(error)")
            }
            XCTAssertTrue(message.contains(words), message)
        }
    }

    func testSignedModelsLoadWithTheTrustedKeyOnly() throws {
        let model = try DramModel.fromBytesVerified(bytes: file("signed"), publicKey: key("public_key"))
        XCTAssertEqual(model.task(), "ranker")
        assertInvalidModel(try DramModel.fromBytesVerified(bytes: file("unsigned"), publicKey: key("public_key")), mentions: "not signed")
        assertInvalidModel(try DramModel.fromBytesVerified(bytes: file("tampered"), publicKey: key("public_key")), mentions: "modified after signing")
        assertInvalidModel(try DramModel.fromBytesVerified(bytes: file("signed"), publicKey: key("other_public_key")), mentions: "signed by public key")
        XCTAssertThrowsError(try DramModel.fromBytesVerified(bytes: file("signed"), publicKey: Data([1, 2, 3]))) { error in
            guard case .InvalidInput? = error as? DramError else { return XCTFail("expected InvalidInput, got \(error)") }
        }
    }
}
