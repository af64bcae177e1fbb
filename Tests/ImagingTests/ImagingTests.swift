import Dispatch
import Foundation
import Imaging
import Synchronization
import TestSupport
import Testing

@Suite struct ImagingTests {
    @Test func placeholderCardIsALegibleImageAtTheTargetSize() throws {
        let card = PlaceholderCard(
            sceneNumber: 1,
            prompt: "A happy cat drinking coffee, cinematic lighting",
            style: "cinematic",
            width: 1920,
            height: 1080,
            format: .png
        )
        let bytes = try card.render()
        let info = try ImageInspector.check(bytes, width: 1920, height: 1080)
        #expect(info.format == .png)
        // TC-1 of the seed: not empty, over 10 KB.
        #expect(bytes.count > 10_000)
    }

    @Test(arguments: [(64, 64), (320, 180), (1080, 1920), (8192, 64)])
    func placeholderRendersAtExtremeSizes(width: Int, height: Int) throws {
        let card = PlaceholderCard(
            sceneNumber: 999_999,
            prompt: String(repeating: "long words & <markup> ", count: 400),
            style: "comic_panel",
            width: width,
            height: height,
            format: .jpeg
        )
        let bytes = try card.render()
        let info = try ImageInspector.check(bytes, width: width, height: height)
        #expect(info.format == .jpeg)
    }

    @Test func backgroundColourIsStableAndDependsOnThePrompt() {
        let a = PlaceholderCard(sceneNumber: 1, prompt: "cat", style: "x", width: 64, height: 64, format: .png)
        let b = PlaceholderCard(sceneNumber: 2, prompt: "cat", style: "y", width: 64, height: 64, format: .png)
        let c = PlaceholderCard(
            sceneNumber: 1,
            prompt: "dog on a skateboard",
            style: "x",
            width: 64,
            height: 64,
            format: .png
        )
        #expect(a.backgroundColour == b.backgroundColour)
        #expect(a.backgroundColour != c.backgroundColour)
    }

    @Test func markupIsEscaped() {
        let card = PlaceholderCard(
            sceneNumber: 3,
            prompt: "<b>bold</b> & more",
            style: "a<b",
            width: 64,
            height: 64,
            format: .png
        )
        #expect(card.markup.contains("&lt;b&gt;bold&lt;/b&gt; &amp; more"))
        #expect(card.markup.contains("Scene 3"))
        #expect(card.markup.contains("PLACEHOLDER"))
    }

    @Test func truncatedImageFailsTheFullDecode() throws {
        let bytes = try PlaceholderCard(
            sceneNumber: 1,
            prompt: "truncate me",
            style: "minimal",
            width: 640,
            height: 360,
            format: .png
        ).render()
        let cut = Array(bytes.prefix(bytes.count / 2))
        #expect(ImageFormat(magic: cut) == .png)
        #expect(throws: ImagingError.self) { try ImageInspector.inspect(cut) }
        let jpeg = try PlaceholderCard(
            sceneNumber: 1,
            prompt: "truncate me",
            style: "minimal",
            width: 640,
            height: 360,
            format: .jpeg
        ).render()
        #expect(throws: ImagingError.self) { try ImageInspector.inspect(Array(jpeg.prefix(jpeg.count / 2))) }
        // The resize decodes every pixel too, so it refuses the same data (the provider relies on it).
        #expect(throws: ImagingError.self) { try ImageResizer.cover(cut, width: 320, height: 180, format: .png) }
        #expect(throws: ImagingError.self) {
            try ImageResizer.cover(Array(jpeg.prefix(jpeg.count / 2)), width: 320, height: 180, format: .png)
        }
        #expect(throws: Never.self) { try ImageResizer.cover(jpeg, width: 320, height: 180, format: .png) }
    }

    @Test func garbageIsAnUnknownFormat() {
        #expect(throws: ImagingError.self) { try ImageInspector.inspect(Array("{\"not\": \"an image\"}".utf8)) }
    }

    @Test func coverScalesAndCropsTheCentre() throws {
        let source = try PlaceholderCard(
            sceneNumber: 1,
            prompt: "wide",
            style: "minimal",
            width: 2752,
            height: 1536,
            format: .jpeg
        ).render()
        let png = try ImageResizer.cover(source, width: 1920, height: 1080, format: .png)
        #expect(try ImageInspector.check(png, width: 1920, height: 1080).format == .png)
        let square = try ImageResizer.cover(source, width: 512, height: 512, format: .jpeg)
        #expect(try ImageInspector.check(square, width: 512, height: 512).format == .jpeg)
        // Upscaling also works: a 1K image for a 2K target.
        let up = try ImageResizer.cover(square, width: 2048, height: 1152, format: .png)
        #expect(try ImageInspector.inspect(up).width == 2048)
    }

    /// libvips 8.14's own text rendering crashed (SIGFPE in pango) after a few hundred cards drawn
    /// in parallel; the card now lays out text itself. Short-lived threads made it worse, so use them:
    /// threads of their own, and GCD's. GCD's at utility QoS: its default-QoS threads are the test
    /// pool's two, and forty renders on them stalled every other test for seconds.
    @Test func placeholderRenderingIsSafeFromManyThreads() async throws {
        let failures = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let gcdDone = Atomic<Int>(0)
        for batch in 0..<6 {
            let threads = (0..<8).map { index in
                Thread {
                    for n in 0..<10 {
                        let card = PlaceholderCard(
                            sceneNumber: n,
                            prompt: "thread \(batch)-\(index) card \(n)",
                            style: "minimal",
                            width: 128,
                            height: 72,
                            format: .png
                        )
                        if (try? card.render()) == nil { failures.add(1, ordering: .relaxed) }
                    }
                    done.add(1, ordering: .relaxed)
                }
            }
            for thread in threads { thread.start() }
            for n in 0..<40 {
                DispatchQueue.global(qos: .utility).async {
                    let card = PlaceholderCard(
                        sceneNumber: n,
                        prompt: "gcd \(batch) \(n)",
                        style: "anime",
                        width: 160,
                        height: 90,
                        format: .jpeg
                    )
                    if (try? card.render()) == nil { failures.add(1, ordering: .relaxed) }
                    gcdDone.add(1, ordering: .relaxed)
                }
            }
            try await waitUntil("batch \(batch) of rendering threads") {
                done.load(ordering: .relaxed) == (batch + 1) * 8 && gcdDone.load(ordering: .relaxed) == (batch + 1) * 40
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }
}

@Suite struct PlaceholderBoundsTests {
    /// The largest legal card (8192x8192) is drawn at 2048 and scaled up: a whole, legible image of the size
    /// asked for, made in bounded time. The time is printed (the benchmark measures, tests do not time).
    @Test func theLargestCardIsDrawnSmallAndScaledUp() async throws {
        let card = PlaceholderCard(
            sceneNumber: 7,
            prompt: "A very large scene",
            style: "cinematic",
            width: 8192,
            height: 8192,
            format: .png
        )
        let started = ContinuousClock.now
        let bytes = try await onOwnThread { try card.render() }
        print("placeholder 8192x8192: \(ContinuousClock.now - started), \(bytes.count) bytes")
        let info = try ImageInspector.check(bytes, width: 8192, height: 8192)
        #expect(info.format == .png)
        let wide = try await onOwnThread {
            try PlaceholderCard(
                sceneNumber: 1,
                prompt: "wide",
                style: "minimal",
                width: 8192,
                height: 3456,
                format: .jpeg
            ).render()
        }
        #expect(try ImageInspector.check(wide, width: 8192, height: 3456).format == .jpeg)
    }
}
