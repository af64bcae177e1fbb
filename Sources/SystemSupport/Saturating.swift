extension Int {
    /// `value` as an `Int`, never a trap: NaN is 0, and anything beyond `Int`'s range is its nearest end.
    /// `Int(_: Double)` traps on those, and the doubles SceneDrop converts (delays an API answer asks for, sums
    /// of a ledger on a shared volume, a budget from the command line) can be anything.
    package init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.2e18 {
            self = .max
        } else if value <= -9.2e18 {
            self = .min
        } else {
            self = Int(value)
        }
    }
}
