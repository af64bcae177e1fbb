import Foundation
import Spend
import SystemSupport
import TestSupport
import Testing

@Suite struct CostLedgerTests {
    let noon = 1_795_060_800.0  // 2026-11-19T12:00:00Z

    func entry(_ time: Double, _ cost: Double) -> CostLedger.Entry {
        .init(time: WallClock.rfc3339(time), model: "m", imageSize: "1K", costUSD: cost, session: "s", scene: 1)
    }

    @Test func todaysSpendCountsOnlyTodayAndOtherWriters() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = CostLedger(path: dir + "/ledger.jsonl")
            await ledger.record(entry(noon - 86_400, 5))  // yesterday
            await ledger.record(entry(noon, 0.1))
            #expect(await ledger.spentToday(now: noon) == 0.1)
            // Another instance appends a line, then half of one more.
            let other = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/ledger.jsonl"))
            try other.seekToEnd()
            try other.write(
                contentsOf: Data(
                    (String(decoding: try JSONEncoder().encode(entry(noon + 1, 0.25)), as: UTF8.self) + "\n").utf8
                )
            )
            try other.write(contentsOf: Data(#"{"time":"2026-11-19T12:00:05Z","model":"m","cost_usd":1"#.utf8))
            #expect(abs(await ledger.spentToday(now: noon + 2) - 0.35) < 1e-9, "half a line is not counted yet")
            try other.write(contentsOf: Data(#","session":"s","scene":2}"#.utf8 + [0x0A]))
            try other.close()
            #expect(abs(await ledger.spentToday(now: noon + 3) - 1.35) < 1e-9)
            #expect(await ledger.spentToday(now: noon + 86_400) == 0, "a new UTC day starts at zero")
            #expect(abs(CostLedger.spentToday(files: [dir + "/ledger.jsonl"], now: noon) - 1.35) < 1e-9)
        }
    }

    /// Each instance appends to its own file; today's spend is the sum over the folder (and the single
    /// file of older versions), each file read on only when it grew.
    @Test func instancesWriteTheirOwnFilesAndTheSumCountsThemAll() async throws {
        try await withTemporaryDirectory { dir in
            let one = CostLedger(directory: dir + "/ledger", instance: "host-a-1")
            let two = CostLedger(directory: dir + "/ledger", instance: "host-b-2")
            await one.record(entry(noon, 0.5))
            await two.record(entry(noon, 0.25))
            try writeFile(
                dir + "/ledger.jsonl",
                String(decoding: try JSONEncoder().encode(entry(noon, 1)), as: UTF8.self) + "\n"
            )
            #expect(listNames(dir + "/ledger") == ["host-a-1.jsonl", "host-b-2.jsonl"])
            #expect(abs(await one.spentToday(now: noon) - 1.75) < 1e-9)
            await two.record(entry(noon, 0.25))
            #expect(abs(await one.spentToday(now: noon) - 2.0) < 1e-9, "the other instance's new line")
            #expect(abs(CostLedger.spentToday(files: CostLedger.files(in: dir + "/ledger"), now: noon) - 2.0) < 1e-9)
            #expect(
                (readText(dir + "/ledger/host-b-2.jsonl") ?? "").split(separator: "\n").count == 2,
                "whole lines, each in its writer's file"
            )
        }
    }
}
