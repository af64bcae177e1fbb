import ArgumentParser
import Foundation
import GoogleGenAI
import ImageGeneration
import SceneDropCore
import SystemSupport

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the model table in effect: sizes, prices, chains.",
        usage: "scenedrop models [--models-file <file>] [--json] [<options>]",
        discussion: """
            The table is built in and can be changed without a new release by a JSON \
            file (--models-file or SCENEDROP_MODELS_FILE), read by watch, process and \
            this command:

              { "models": {
                  "gemini-nano-banana-2.1": { "price_per_image": { "2K": 0.05 },
                                              "timeout_seconds": { "4K": 240 } },
                  "my-image-model": {
                    "aspect_ratios": ["16:9", "1:1"], "image_sizes": ["1K"],
                    "outputs": { "1K": { "16:9": "1376x768", "1:1": "1024x1024" } },
                    "price_per_image": { "1K": 0.05 } } },
                "chains": { "draft": ["my-image-model", "gemini-nano-banana-2.1"] } }

            A model already in the table keeps what the file leaves out; outputs and \
            prices merge size by size; lists replace. A new model needs aspect ratios, \
            an output size for each ratio at each size, and a price per size (a model \
            without size control has "image_sizes": [] and uses the size key ""). \
            Chains may name only models in the table.
            """
    )

    @OptionGroup var models: ModelOptions

    @Flag(name: .long, help: "Print the table as JSON (the --models-file format).")
    var json = false

    @Flag(
        name: .long,
        help:
            "Ask the Gemini API which models the key can use (GEMINI_API_KEY, GOOGLE_API_KEY or --api-key-file) and print the table beside that list."
    )
    var check = false

    @Option(
        name: .customLong("api-key-file"),
        help: ArgumentHelp("Read the Gemini API key from this file.", valueName: "file")
    )
    var apiKeyFile: String?

    @Option(
        name: .customLong("gemini-base-url"),
        help: ArgumentHelp("The Gemini API endpoint (or set SCENEDROP_GEMINI_BASE_URL).", valueName: "url")
    )
    var geminiBaseURL: String?

    func validate() throws {
        _ = try models.catalog()
    }

    func run() async throws {
        if check {
            try await runCheck()
            return
        }
        let catalog = try models.catalog()
        let ids = catalog.models.keys.sorted()
        if json {
            var table: [String: Any] = [:]
            for id in ids {
                guard let spec = catalog[id] else { continue }
                table[id] =
                    [
                        "aspect_ratios": spec.aspectRatios, "image_sizes": spec.imageSizes,
                        "outputs": spec.outputs.mapValues { $0.mapValues { "\($0.width)x\($0.height)" } },
                        "price_per_image": spec.pricePerImage,
                        "batch_price_per_image": Dictionary(
                            uniqueKeysWithValues: (spec.imageSizes.isEmpty ? [""] : spec.imageSizes).compactMap {
                                size in
                                spec.batchPrice(size: size).map { (size, $0) }
                            }
                        ),
                        "price_per_million_tokens": spec.tokenPrices.map {
                            ["image_output": $0.imageOutput, "text_output": $0.textOutput, "input": $0.input]
                        } as Any? ?? NSNull(),
                        "max_reference_images": spec.referenceLimits.map {
                            ["total": $0.total, "characters": $0.characters, "objects": $0.objects]
                        } as Any? ?? NSNull(),
                        "timeout_seconds": spec.timeouts,
                        "deprecated": spec.deprecated as Any? ?? NSNull(),
                    ] as [String: Any]
            }
            let object: [String: Any] = [
                "models": table, "chains": ["draft": catalog.draftChain, "production": catalog.productionChain],
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("draft chain:      \(catalog.draftChain.joined(separator: " → "))")
        print("production chain: \(catalog.productionChain.joined(separator: " → "))")
        for id in ids {
            guard let spec = catalog[id] else { continue }
            let sizes = spec.imageSizes.isEmpty ? [""] : spec.imageSizes
            let qualities = spec.qualities.isEmpty ? [nil] : Set(spec.qualities.values).sorted().map { Optional($0) }
            let prices = qualities.flatMap { quality in
                sizes.map { size in
                    let key = ModelSpec.priceKey(size: size, quality: quality)
                    let price = spec.price(size: key).map { String(format: "$%.4g", $0) } ?? "?"
                    return key.isEmpty ? price : "\(key) \(price)"
                }
            }
            let batchPrices = sizes.map { size in
                let price = spec.batchPrice(size: size).map { String(format: "$%.4g", $0) } ?? "?"
                return size.isEmpty ? price : "\(size) \(price)"
            }
            print("")
            print(id + (spec.deprecated.map { "  (deprecated \($0); in no default chain)" } ?? ""))
            print("  sizes:  \(spec.imageSizes.isEmpty ? "no size control" : spec.imageSizes.joined(separator: ", "))")
            print("  prices: \(prices.joined(separator: ", ")) per image")
            if spec.provider == "gemini" {
                print("  batch:  \(batchPrices.joined(separator: ", ")) per image (--priority batch)")
            }
            print("  served by: \(spec.provider == "gemini" ? "gemini, vertex" : spec.provider)")
            print("  ratios: \(spec.aspectRatios.joined(separator: " "))")
            if let tokens = spec.tokenPrices {
                print(
                    "  tokens: $\(tokens.imageOutput) image output, $\(tokens.textOutput) text and thinking, $\(tokens.input) input, per million"
                )
            }
            let deadlines = sizes.compactMap { size in
                spec.timeout(size: size).map { (size.isEmpty ? "" : size + " ") + "\(Int(saturating: $0))s" }
            }
            if !deadlines.isEmpty {
                print("  deadline: \(deadlines.joined(separator: ", ")) (--request-timeout overrides)")
            }
            if let refs = spec.referenceLimits {
                print("  references: up to \(refs.total) (\(refs.characters) characters, \(refs.objects) objects)")
            }
        }
    }

    /// `--check`: the table's Google models beside the live list, and image models the API offers that the
    /// table lacks. Exit 1 when the list cannot be read.
    func runCheck() async throws {
        let catalog = try models.catalog()
        let keyText =
            try apiKeyFile.map { path in
                String(
                    decoding: try FileSystem.readRegularFile(FileSystem.resolvingLink(path), limit: 65_536),
                    as: UTF8.self
                )
            } ?? environment("GEMINI_API_KEY") ?? environment("GOOGLE_API_KEY")
        guard let key = keyText.flatMap(APIKey.init) else {
            throw ValidationError("--check needs a Gemini API key: GEMINI_API_KEY, GOOGLE_API_KEY or --api-key-file")
        }
        let base =
            geminiBaseURL ?? environment("SCENEDROP_GEMINI_BASE_URL") ?? "https://generativelanguage.googleapis.com"
        let list = try await APITransport.withHTTPClient { http in
            await GeminiClient(http: http, baseURL: base, key: key).listModels()
        }
        guard case .listed(let live) = list else {
            if case .failed(let failure) = list {
                print("the models could not be listed: \(Secrets.scrub(ModelProvider.describe(failure)))")
            }
            throw ExitCode(1)
        }
        let chains = Set((catalog.draftChain + catalog.productionChain).map { catalog.link($0).model })
        print("model                              table        live list    in a chain")
        for id in catalog.models.keys.sorted() where catalog[id]?.provider == "gemini" {
            let state = live.contains(id) ? "listed" : "NOT LISTED"
            let deprecated = catalog[id]?.deprecated.map { "deprecated \($0)" } ?? "current"
            let chain = chains.contains(id) ? (live.contains(id) ? "yes" : "yes, left out") : "no"
            print(
                id.padding(toLength: 35, withPad: " ", startingAt: 0)
                    + deprecated.padding(toLength: 13, withPad: " ", startingAt: 0)
                    + state.padding(toLength: 13, withPad: " ", startingAt: 0) + chain
            )
        }
        for id in live.sorted() where id.contains("image") && catalog[id] == nil {
            print(
                id.padding(toLength: 35, withPad: " ", startingAt: 0)
                    + "not in table listed       no (add it with --models-file)"
            )
        }
    }
}
