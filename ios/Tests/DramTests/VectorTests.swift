// The shared test vectors through the Swift API: the same truth the Rust, C and Kotlin suites
// check, here through the generated bindings and the real xcframework.
import Dram
import XCTest

final class VectorTests: XCTestCase {
    func testRankerVectorsMeanPooling() throws {
        try runRankingVectors("ranker.json")
    }

    func testRankerVectorsTargetAttention() throws {
        try runRankingVectors("ranker_din.json")
    }

    private func runRankingVectors(_ file: String) throws {
        let vectors = try Vectors.json(file)
        let model = try DramModel.fromFile(url: Vectors.url(try XCTUnwrap(vectors["model"] as? String)))
        XCTAssertEqual(model.task(), "ranker")
        let tolerance = try XCTUnwrap(vectors["tolerance"] as? NSNumber).floatValue
        for case let testCase as [String: Any] in try XCTUnwrap(vectors["cases"] as? [Any]) {
            let name = try XCTUnwrap(testCase["name"] as? String)
            let capacity = try XCTUnwrap(testCase["history_capacity"] as? NSNumber).uint32Value
            let ranker = try Ranker(model: model, historyCapacity: capacity)
            ranker.setContext(context: try Vectors.features(testCase["context"]))
            for case let event as [String: Any] in try XCTUnwrap(testCase["events"] as? [Any]) {
                try ranker.record(
                    item: try XCTUnwrap(event["item"] as? String),
                    kind: try Vectors.eventKind(try XCTUnwrap(event["kind"] as? String)),
                    timestampMs: try XCTUnwrap(event["timestamp_ms"] as? NSNumber).int64Value
                )
            }
            let candidates: [Candidate] = try XCTUnwrap(testCase["candidates"] as? [[String: Any]]).map {
                Candidate(item: try XCTUnwrap($0["item"] as? String), features: try Vectors.features($0["features"]))
            }

            if let expectedError = testCase["expected_error"] as? String {
                XCTAssertEqual(expectedError, "invalid_input", name)
                XCTAssertThrowsError(try ranker.rank(candidates: candidates), name) { error in
                    guard case .InvalidInput? = error as? DramError else {
                        return XCTFail("\(name): expected DramError.InvalidInput, got \(error)")
                    }
                }
                continue
            }

            let expected = try XCTUnwrap(testCase["expected"] as? [String: Any])
            let wantRanking = try XCTUnwrap(expected["ranking"] as? [String])
            let wantScores = try Vectors.numbers(expected["scores"]).map { Float($0) }
            let ranked = try ranker.rank(candidates: candidates)
            XCTAssertEqual(ranked.map(\.item), wantRanking, name)
            for scored in ranked {
                let index = Int(scored.index)
                XCTAssertEqual(scored.item, candidates[index].item, name)
                XCTAssertEqual(scored.score, wantScores[index], accuracy: tolerance, "\(name): candidate \(index)")
            }
            let scores = try ranker.score(candidates: candidates)
            XCTAssertEqual(scores.count, wantScores.count, name)
            for (score, want) in zip(scores, wantScores) {
                XCTAssertEqual(score, want, accuracy: tolerance, name)
            }
        }
    }

    func testClassifierVectors() throws {
        try checkClassifierVectors("classifier.json")
    }

    func testWordPieceClassifierVectors() throws {
        try checkClassifierVectors("classifier_word_pieces.json")
    }

    private func checkClassifierVectors(_ file: String) throws {
        let vectors = try Vectors.json(file)
        let bytes = try Data(contentsOf: Vectors.url(try XCTUnwrap(vectors["model"] as? String)))
        let model = try DramModel.fromBytes(bytes: bytes)
        XCTAssertEqual(model.task(), "classifier")
        let classifier = try Classifier(model: model)
        let labels = try XCTUnwrap(vectors["labels"] as? [String])
        XCTAssertEqual(classifier.labels(), labels)
        let tolerance = try XCTUnwrap(vectors["tolerance"] as? NSNumber).floatValue
        let cases = try XCTUnwrap(vectors["cases"] as? [[String: Any]])
        let texts = try cases.map { try XCTUnwrap($0["text"] as? String) }
        let batch = try classifier.classifyBatch(texts: texts)
        XCTAssertEqual(batch.count, cases.count)
        for ((testCase, text), pairs) in zip(zip(cases, texts), batch) {
            XCTAssertEqual(try classifier.classify(text: text), pairs, "\(text): one text and a batch agree")
            XCTAssertEqual(pairs.map(\.probability), pairs.map(\.probability).sorted(by: >), "\(text): most probable first")
            let want = try Vectors.numbers(testCase["probabilities"])
            for pair in pairs {
                let column = try XCTUnwrap(labels.firstIndex(of: pair.label))
                XCTAssertEqual(pair.probability, Float(want[column]), accuracy: tolerance, "\(text) \(pair.label)")
            }
        }
    }
}
