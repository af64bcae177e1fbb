import ImageGeneration
import LocatedJSON
import SceneManifest
import Testing

@Suite struct ModelTableFileTests {
    func apply(_ text: String) throws(ModelTableError) -> ModelCatalog {
        try ModelTableFile.apply(Array(text.utf8), to: .builtIn)
    }

    func error(_ text: String) -> ModelTableError? {
        do {
            _ = try apply(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func aPriceChangeKeepsEverythingElse() throws {
        let catalog = try apply(#"{"models": {"gemini-nano-banana-2.1": {"price_per_image": {"2K": 0.11}}}}"#)
        let flash = try #require(catalog["gemini-nano-banana-2.1"])
        #expect(flash.price(size: "2K") == 0.11)
        #expect(flash.price(size: "1K") == 0.0336)
        #expect(flash.imageSizes == ModelCatalog.builtIn["gemini-nano-banana-2.1"]?.imageSizes)
        #expect(flash.outputs == ModelCatalog.builtIn["gemini-nano-banana-2.1"]?.outputs)
        #expect(flash.tokenPrices == ModelCatalog.builtIn["gemini-nano-banana-2.1"]?.tokenPrices)
        let plan = ModelPlan(
            quality: .production,
            manifestModel: nil,
            aspectRatio: "16:9",
            width: 1920,
            height: 1080,
            catalog: catalog
        )
        #expect(plan.steps.map(\.pricePerImage) == [0.134, 0.11])
    }

    @Test func aNewModelAndChainsArePlanned() throws {
        let catalog = try apply(
            """
            {"models": {"acme-image-1": {"aspect_ratios": ["16:9"], "image_sizes": ["1K", "2K"],
                        "outputs": {"1K": {"16:9": "1280x720"}, "2K": {"16:9": "2560x1440"}},
                        "price_per_image": {"1K": 0.02, "2K": 0.04}},
                        "acme-legacy": {"aspect_ratios": ["16:9"], "image_sizes": [], "outputs": {"": {"16:9": "1024x576"}}, "price_per_image": {"": 0.01}}},
             "chains": {"draft": ["acme-legacy"], "production": ["acme-image-1", "gemini-3.1-flash-image"]}}
            """
        )
        let draft = ModelPlan(
            quality: .draft,
            manifestModel: nil,
            aspectRatio: "16:9",
            width: 1920,
            height: 1080,
            catalog: catalog
        )
        #expect(
            draft.steps == [.init(model: "acme-legacy", imageSize: nil, pricePerImage: 0.01, batchPricePerImage: 0.005)]
        )
        let production = ModelPlan(
            quality: .production,
            manifestModel: nil,
            aspectRatio: "16:9",
            width: 1920,
            height: 1080,
            catalog: catalog
        )
        #expect(
            production.steps == [
                .init(model: "acme-image-1", imageSize: "2K", pricePerImage: 0.04, batchPricePerImage: 0.02),
                .init(
                    model: "gemini-3.1-flash-image",
                    imageSize: "2K",
                    pricePerImage: 0.101,
                    batchPricePerImage: 0.0505,
                    timeout: 90,
                    tokenPrices: .init(imageOutput: 60, textOutput: 3, input: 0.5)
                ),
            ]
        )
        let square = ModelPlan(
            quality: .production,
            manifestModel: nil,
            aspectRatio: "1:1",
            width: 1024,
            height: 1024,
            catalog: catalog
        )
        #expect(square.skipped.map(\.model) == ["acme-image-1"], "an unsupported ratio is skipped, never sent")
    }

    /// The fields the contract's `scenedrop models --json` lists can be set from the file, each merged over
    /// the built-in model's.
    @Test func tokenPricesLimitsDeadlinesAndDeprecationAreData() throws {
        let catalog = try apply(
            """
            {"models": {"gemini-nano-banana-2.1": {"price_per_million_tokens": {"image_output": 35},
                          "max_reference_images": {"objects": 8}, "timeout_seconds": {"4K": 300},
                          "deprecated": "2027-01-31"},
                        "gemini-3.1-flash-image": {"deprecated": null}}}
            """
        )
        let banana = try #require(catalog["gemini-nano-banana-2.1"])
        #expect(banana.tokenPrices == .init(imageOutput: 35, textOutput: 7.5, input: 1.5))
        #expect(banana.referenceLimits == .init(total: 14, characters: 4, objects: 8))
        #expect(banana.timeout(size: "4K") == 300 && banana.timeout(size: "1K") == 60)
        #expect(banana.deprecated == "2027-01-31")
        #expect(catalog["gemini-3.1-flash-image"]?.deprecated == nil)
        #expect(ModelCatalog.builtIn["gemini-3.1-flash-image"]?.deprecated == "2026-10-06")
        #expect(ModelCatalog.builtIn["gemini-3.1-flash-lite-image"]?.imageSizes == ["1K"], "Lite takes 1K only")
        let chains = ModelCatalog.builtIn.draftChain + ModelCatalog.builtIn.productionChain
        #expect(chains.allSatisfy { ModelCatalog.builtIn[$0]?.deprecated == nil }, "no deprecated model by default")
        #expect(chains.filter { $0 == "gemini-nano-banana-2.1" }.count == 2, "2.1 in both default chains")
    }

    @Test func everyMistakeIsLocatedAndSaysWhatToDo() {
        let cases: [(String, String, Int, Int, String)] = [
            (#"{"model": {}}"#, "model", 1, 2, "unknown field"),
            ("{\"models\": {\n  \"x\": {\"prices\": 1}}}", "models.x.prices", 2, 9, "price_per_image"),
            (
                #"{"models": {"gemini-3-pro-image": {"aspect_ratios": ["16/9"]}}}"#,
                "models.gemini-3-pro-image.aspect_ratios", 1, 53, "16:9"
            ),
            (
                #"{"models": {"gemini-3-pro-image": {"image_sizes": ["8K"]}}}"#,
                "models.gemini-3-pro-image.image_sizes", 1, 51, "512, 1K, 2K, 4K"
            ),
            (
                #"{"models": {"gemini-3-pro-image": {"outputs": {"1K": {"16:9": "wide"}}}}}"#,
                "models.gemini-3-pro-image.outputs.1K.16:9", 1, 63, "1376x768"
            ),
            (
                #"{"models": {"gemini-3-pro-image": {"price_per_image": {"1K": "cheap"}}}}"#,
                "models.gemini-3-pro-image.price_per_image.1K", 1, 62, "USD"
            ),
            (
                #"{"models": {"new-model": {"aspect_ratios": ["1:1"], "image_sizes": ["1K"], "outputs": {"1K": {"1:1": "1024x1024"}}}}}"#,
                "models.new-model", 1, 26, "needs a price for size 1K"
            ),
            (
                #"{"models": {"new-model": {"aspect_ratios": ["1:1"], "image_sizes": ["1K"], "price_per_image": {"1K": 0.1}}}}"#,
                "models.new-model", 1, 26, "output size for 1:1 at 1K"
            ),
            (
                #"{"models": {"gemini-3-pro-image": {"timeout_seconds": {"4K": 0}}}}"#,
                "models.gemini-3-pro-image.timeout_seconds.4K", 1, 62, "from 1 to 3600"
            ),
            (
                #"{"models": {"gemini-3-pro-image": {"deprecated": "soon"}}}"#,
                "models.gemini-3-pro-image.deprecated", 1, 50, "2026-10-06"
            ),
            (
                #"{"models": {"gemini-3-pro-image": {"max_reference_images": {"total": 2.5}}}}"#,
                "models.gemini-3-pro-image.max_reference_images.total", 1, 70, "whole number"
            ),
            (
                #"{"models": {"gemini-3-pro-image": {"price_per_million_tokens": {"image": 30}}}}"#,
                "models.gemini-3-pro-image.price_per_million_tokens.image", 1, 65, "image_output"
            ),
            (
                #"{"models": {"acme": {"price_per_million_tokens": {"input": 1}}}}"#,
                "models.acme.price_per_million_tokens", 1, 50, "needs all of image_output"
            ),
            (#"{"chains": {"draft": ["no-such-model"]}}"#, "chains.draft", 1, 22, "add it under \"models\""),
            (#"{"chains": {"draft": []}}"#, "chains.draft", 1, 22, "at least one"),
            (#"{"chains": {"nightly": ["gemini-3-pro-image"]}}"#, "chains.nightly", 1, 13, "draft, production"),
            (#"{"models": {"a b": {}}}"#, "models.a b", 1, 13, "not a model id"),
            (#"{"models": {}, "models": {}}"#, "models", 1, 16, "appears twice"),
            ("{\"models\": {\n", "", 2, 1, "ends before"),
            ("[]", "", 1, 1, "expected an object"),
        ]
        for (text, path, line, column, hint) in cases {
            guard let found = error(text) else {
                Issue.record("accepted: \(text)")
                continue
            }
            #expect(found.path == path, "\(text)")
            #expect(found.location == LocatedJSON.SourceLocation(line: line, column: column), "\(text): \(found)")
            #expect(found.message.contains(hint), "\(text): \(found.message)")
        }
    }
}
