import DropFolder
import Foundation
import ImageGeneration
import Imaging
import Logging
import Synchronization
import SystemSupport
import TestSupport
import Testing

@testable import SceneDropCore

/// A last resort that really cannot render: it hands libvips bytes that are not an image (no mock:
/// the failure is libvips' own), and counts how often it was asked.
final class UnrenderableLastResort: ImageProvider {
    let name = "placeholder"
    let isReal = false
    let calls = Atomic<Int>(0)

    func generate(_ request: ImageRequest, phases: ProviderPhases) async throws(ProviderFailure) -> ProviderResult {
        calls.add(1, ordering: .relaxed)
        let (width, height, format) = (request.width, request.height, request.format)
        let rendered = await phases.cpu {
            Result { () throws(ImagingError) in
                try ImageResizer.cover(Array("not an image".utf8), width: width, height: height, format: format)
            }
        }
        switch rendered {
        case .success(let bytes):
            return ProviderResult(
                image: ProviderImage(
                    bytes: bytes,
                    format: format.imageFormat,
                    width: width,
                    height: height,
                    model: nil,
                    imageSize: nil,
                    costUSD: 0,
                    cacheHit: false,
                    attempts: 1,
                    enhancedPrompt: request.prompt
                )
            )
        case .failure(let error):
            throw ProviderFailure(reason: .invalidImage, message: error.message, tried: [])
        }
    }
}

@Suite struct SessionProcessorTests {
    /// Before, a generation error that was not a system fault was handed back as EIO and retried
    /// forever. Now the last resort is tried a bounded number of times, then the manifest is quarantined
    /// with a reason and a message that says which scene, and nothing is published or left behind.
    @Test func aSessionThatCannotBeRenderedEndsInQuarantineAfterBoundedTries() async throws {
        try await withTemporaryDirectory { root in
            let layout = Layout(root: root)
            try layout.create()
            try writeFile(layout.inbox + "/doomed.json", manifestJSON(session: "doomed", scenes: 2))
            let work = try WorkArea(inbox: layout.inbox, workRoot: layout.work, instanceID: WorkArea.makeInstanceID())
            defer { work.close() }
            let claim = try #require(try work.claim("doomed.json"))
            let lastResort = UnrenderableLastResort()
            let processor = SessionProcessor(
                configuration: Configuration(layout: layout),
                work: work,
                chain: ProviderChain(providers: [], lastResort: lastResort),
                limiter: ConcurrencyLimiter(limit: 2),
                logger: Logger(label: "test")
            )
            let outcome = await processor.process(claim, receivedAt: WallClock.now())
            #expect(outcome == .quarantined(name: "doomed.json", reason: "processing_failed"))
            #expect(lastResort.calls.load(ordering: .relaxed) <= 2 * ProviderChain.lastResortTries)
            #expect(lastResort.calls.load(ordering: .relaxed) >= ProviderChain.lastResortTries)
            let report = try #require(jsonObject(layout.quarantine + "/doomed.json.error.json"))
            #expect(report["reason"] as? String == "processing_failed")
            let message = try #require(report["message"] as? String)
            #expect(message.contains("could not be rendered, not even as a placeholder"), "\(message)")
            #expect(((report["errors"] as? [[String: Any]])?.first?["path"] as? String)?.hasPrefix("scenes[") == true)
            #expect(listNames(layout.inbox).isEmpty, "not handed back to be retried forever")
            #expect(try publishedSessions(layout.outbox).isEmpty)
            #expect(listNames(layout.staging, hidden: true).isEmpty)
            #expect(work.claimsInHand().isEmpty)
        }
    }
}
