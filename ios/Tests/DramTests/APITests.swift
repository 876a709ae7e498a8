// The Swift API beyond the vectors: typed errors with dram-core's messages, history files,
// the Foundation conveniences, and one ranker shared by threads.
import Dram
import XCTest

final class APITests: XCTestCase {
    private func rankerModel() throws -> DramModel {
        try DramModel.fromFile(url: Vectors.url("models/ranker.onnx"))
    }

    private let context: [String: FeatureValue] = ["age": 31.0, "device": "ios"]

    private let candidates = [
        Candidate(item: "3", features: ["category": "shoes", "price": 49.0]),
        Candidate(item: "17", features: ["category": "dresses", "price": 89.5]),
        Candidate(item: "25", features: ["category": "bags", "price": 120.0]),
    ]

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { _ = try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testMissingModelFileThrowsIoWithThePath() {
        XCTAssertThrowsError(try DramModel.fromFile(path: "/nonexistent/model.onnx")) { error in
            guard case .Io(let message)? = error as? DramError else {
                return XCTFail("expected DramError.Io, got \(error)")
            }
            XCTAssertTrue(message.contains("/nonexistent/model.onnx"), message)
        }
    }

    func testGarbageBytesAreAnInvalidModel() {
        XCTAssertThrowsError(try DramModel.fromBytes(bytes: Data("not a model".utf8))) { error in
            guard case .InvalidModel? = error as? DramError else {
                return XCTFail("expected DramError.InvalidModel, got \(error)")
            }
        }
    }

    func testAModelOfTheWrongTaskIsAnInvalidModel() throws {
        XCTAssertThrowsError(try Classifier(model: rankerModel())) { error in
            guard case .InvalidModel? = error as? DramError else {
                return XCTFail("expected DramError.InvalidModel, got \(error)")
            }
        }
    }

    func testBadInputsThrowInvalidInputWithDramCoresMessage() throws {
        XCTAssertThrowsError(try Ranker(model: rankerModel(), historyCapacity: 0))
        let ranker = try Ranker(model: rankerModel(), historyCapacity: 10)
        XCTAssertThrowsError(try ranker.record(item: "", kind: .click, timestampMs: 0)) { error in
            XCTAssertEqual(error as? DramError, .InvalidInput(message: "invalid event: the item key is empty"))
        }
        ranker.setContext(context: context)
        XCTAssertThrowsError(try ranker.rank(candidates: [])) { error in
            XCTAssertEqual((error as? DramError)?.message, "the candidate list is empty; pass at least one candidate")
        }
    }

    func testHistoryIsSavedReloadedAndCleared() throws {
        let url = try temporaryDirectory().appendingPathComponent("history.bin")
        let ranker = try Ranker.loadOrNew(model: rankerModel(), historyURL: url, historyCapacity: 20)
        ranker.setContext(context: context)
        let cold = try ranker.score(candidates: candidates)

        try ranker.record(item: "25", kind: .purchase, at: Date(timeIntervalSince1970: 1_700_000_000))
        try ranker.record(item: "17", kind: .addToCart)
        let warm = try ranker.score(candidates: candidates)
        XCTAssertNotEqual(warm, cold, "events change the scores")
        try ranker.saveHistory(url: url)

        let reloaded = try Ranker.loadOrNew(model: rankerModel(), historyPath: url.path, historyCapacity: 20)
        reloaded.setContext(context: context)
        XCTAssertEqual(try reloaded.score(candidates: candidates), warm)
        reloaded.clearHistory()
        XCTAssertEqual(try reloaded.score(candidates: candidates), cold)

        try Data("garbage".utf8).write(to: url)
        XCTAssertThrowsError(try Ranker.loadOrNew(model: rankerModel(), historyURL: url, historyCapacity: 20)) { error in
            guard case .CorruptHistory? = error as? DramError else {
                return XCTFail("expected DramError.CorruptHistory, got \(error)")
            }
        }
    }

    func testRankOrdersByScoreAndKeepsInputIndices() throws {
        let ranker = try Ranker(model: rankerModel(), historyCapacity: 10)
        ranker.setContext(context: context)
        let scores = try ranker.score(candidates: candidates)
        let ranked = try ranker.rank(candidates: candidates)
        XCTAssertEqual(ranked.map(\.score), ranked.map(\.score).sorted(by: >))
        for scored in ranked {
            XCTAssertEqual(scored.score, scores[Int(scored.index)])
            XCTAssertEqual(scored.item, candidates[Int(scored.index)].item)
        }
    }

    func testEventKindsAreCaseIterable() {
        XCTAssertEqual(EventKind.allCases, [.view, .click, .addToCart, .purchase, .wishlist])
    }

    func testOneRankerServesManyThreads() throws {
        let ranker = try Ranker(model: rankerModel(), historyCapacity: 50)
        ranker.setContext(context: context)
        let candidates = self.candidates
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<10 {
                XCTAssertNoThrow(try ranker.record(item: "\(thread * 10 + i)", kind: .view, timestampMs: Int64(i)))
                XCTAssertEqual(try ranker.rank(candidates: candidates).count, 3)
            }
        }
    }
}
