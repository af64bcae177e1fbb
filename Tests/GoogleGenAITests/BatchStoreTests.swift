import GoogleGenAI
import ImageGeneration
import TestSupport
import Testing

@Suite struct BatchStoreTests {
    func record(_ sha: String) -> BatchRecord {
        BatchRecord(session: "s", manifestSHA256: sha, model: "m", imageSize: nil, submitted: 1_800_000_000, jobs: [])
    }

    /// A newer drop of other content that published first removes the session's record: the older drop,
    /// still waiting for its job, must find itself replaced (before, it wrote its record back and published its
    /// older content over the newer one). An identical drop's finish does not replace.
    @Test func aDropFinishedFirstWithOtherContentReplacesTheWaitingOne() async throws {
        try await withTemporaryDirectory { dir in
            let store = BatchStore(directory: dir)
            let older = record("aaa")
            let newer = record("bbb")
            try store.save(older)
            try store.save(newer)
            store.remove("s", manifestSHA256: "bbb")
            #expect(store.load("s") == nil)
            #expect(store.isReplaced(older))
            #expect(try store.update(older) == false)
            #expect(store.load("s") == nil, "nothing written back")
            #expect(store.all().isEmpty)

            // The same content finished: a duplicate, not a replacement.
            #expect(!store.isReplaced(newer))
            // A new drop starts afresh.
            try store.save(record("ccc"))
            #expect(!store.isReplaced(record("ccc")))
        }
    }
}
