import SystemSupport
import Testing

@Suite struct SaturatingTests {
    @Test func doublesBecomeIntsWithoutATrap() {
        #expect(Int(saturating: 41.9) == 41 && Int(saturating: -41.9) == -41)
        #expect(Int(saturating: .nan) == 0)
        #expect(Int(saturating: .infinity) == .max && Int(saturating: -.infinity) == .min)
        #expect(Int(saturating: 1e300) == .max && Int(saturating: -1e300) == .min)
        #expect(Int(saturating: 9.1e18) == 9_100_000_000_000_000_000)
    }
}
