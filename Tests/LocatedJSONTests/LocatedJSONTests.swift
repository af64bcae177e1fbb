import LocatedJSON
import Testing

@Suite struct LocatedJSONTests {
    @Test func aLocatorAgreesWithAFullScanEverywhere() {
        let bytes =
            Array("ab\né\n\n{\"x\": \"ü\"}\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: 3000)
            + Array("\nz".utf8)
        let locator = SourceLocator(bytes)
        for offset in 0...bytes.count {
            var line = 1
            var column = 1
            for byte in bytes.prefix(offset) {
                if byte == 0x0A {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            #expect(locator.location(of: offset) == SourceLocation(line: line, column: column), "offset \(offset)")
        }
    }

    @Test func syntaxErrorsCarryOffsetLocationAndWhetherTheTextEndedEarly() {
        do {
            _ = try JSONDocument.parse(Array("\u{FEFF}{\n  \"a\": [1,".utf8))
            Issue.record("parsed an unfinished document")
        } catch {
            #expect(error.endedEarly)
            #expect(error.location.line == 2)
        }
    }

    @Test func excerptsAreEscapedAndBounded() {
        #expect(JSONString.excerpt("a\nb\"c") == #"a\nb\"c"#)
        #expect(JSONString.excerpt(String(repeating: "x", count: 100)) == String(repeating: "x", count: 80) + "…")
        #expect(JSONString.quote("\u{1B}") == #""\u001b""#)
    }
}
