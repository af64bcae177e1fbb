import ImageGeneration
import Imaging
import SceneManifest
import Testing

/// References as a capability of the shared request (contract §7): the plan, the prompt, the cache key.
@Suite struct ReferenceRequestTests {
    static func reference(
        _ name: String,
        _ kind: Manifest.ReferenceKind,
        sha: String = "0",
        description: String? = nil
    )
        -> ReferenceImage
    {
        ReferenceImage(
            name: name,
            file: name + ".png",
            kind: kind,
            description: description,
            sha256: sha,
            image: APIReference(bytes: [1, 2, 3], mimeType: "image/jpeg", fileName: name + ".jpg")
        )
    }

    static func request(_ references: [ReferenceImage], model: String? = nil) -> ImageRequest {
        var request = ImageRequest(
            session: "s",
            sceneNumber: 1,
            prompt: "Mika pours latte art",
            negativePrompt: nil,
            style: .cinematic,
            aspectRatio: .widescreen,
            width: 1920,
            height: 1080,
            quality: .production,
            model: model,
            format: .png
        )
        request.references = references
        return request
    }

    @Test func aModelWhoseLimitsAreTooSmallIsSkippedWithTheReason() {
        // Pro takes 5 characters; 2.1 takes 4. Five characters: Pro serves, 2.1 is skipped.
        let five = (1...5).map { Self.reference("c\($0)", .character) }
        let plan = ModelPlan(for: Self.request(five), catalog: .builtIn)
        #expect(plan.steps.map(\.model) == ["gemini-3-pro-image"])
        #expect(plan.skipped.map(\.model) == ["gemini-nano-banana-2.1"])
        #expect(
            plan.skipped.first?.reason
                == "gemini-nano-banana-2.1 cannot take this scene's references: 5 characters (it takes 4)"
        )
        // 2.5 Flash Image takes 3 in all; a model the table does not know is tried anyway.
        let four = (1...4).map { Self.reference("o\($0)", .object) }
        let named = ModelPlan(for: Self.request(four, model: "gemini-2.5-flash-image"), catalog: .builtIn)
        #expect(named.skipped.first?.reason.contains("4 images (it takes 3)") == true)
        let unknown = ModelPlan(for: Self.request(four, model: "gemini-9-image"), catalog: .builtIn)
        #expect(unknown.steps.first?.model == "gemini-9-image")
        #expect(ReferenceNeed().refusal(by: nil, model: "m") == nil, "no references: any model")
        #expect(
            ReferenceNeed(objects: 1).refusal(by: nil, model: "m") == "m takes no reference images; this scene has 1"
        )
    }

    @Test func thePromptNamesTheImagesInOrder() {
        let request = Self.request([
            Self.reference("mika", .character, description: "Mika, the barista: green apron."),
            Self.reference("cafe", .object),
        ])
        let prompt = ModelProvider.prompt(for: request)
        #expect(prompt.hasPrefix("Image 1: Mika, the barista: green apron.\nImage 2: cafe.\n"))
        #expect(prompt.contains("\n\nMika pours latte art"))
        #expect(!ModelProvider.prompt(for: Self.request([])).contains("Image 1"))
    }

    @Test func theCacheKeyHoldsEveryReferenceInOrder() {
        let step = ModelPlan.Step(model: "m", imageSize: "1K", pricePerImage: 0.1)
        func key(_ shas: [String]) -> String {
            ImageCache.Key(step, prompt: "p", request: Self.request(shas.map { Self.reference("r", .object, sha: $0) }))
                .digest
        }
        #expect(key(["a", "b"]) != key(["b", "a"]))
        #expect(key(["a", "b"]) != key(["a", "c"]))
        #expect(key(["a"]) == key(["a"]))
        // Without references the key is what it was before references existed: the cache stays warm.
        let plain = ImageCache.Key(
            model: "m",
            prompt: "p",
            aspectRatio: "16:9",
            imageSize: "1K",
            format: .png,
            width: 1920,
            height: 1080
        )
        #expect(key([]) == plain.digest)
    }
}
