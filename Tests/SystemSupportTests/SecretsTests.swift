import SystemSupport
import Testing

@Suite struct SecretsTests {
    @Test func everyRegisteredSecretIsScrubbedWholeAndShortOnesAreNot() {
        Secrets.register("secrets-test-token-1234567890")
        Secrets.register("secrets-test-token-1234567890-longer")
        Secrets.register("short")
        let text = "a secrets-test-token-1234567890-longer and secrets-test-token-1234567890, short"
        #expect(Secrets.scrub(text) == "a <redacted> and <redacted>, short")
        #expect(Secrets.scrub(Array("xsecrets-test-token-1234567890x".utf8)) == Array("x<redacted>x".utf8))
        let untouched = "nothing to hide here"
        #expect(Secrets.scrub(untouched) == untouched)
    }
}
