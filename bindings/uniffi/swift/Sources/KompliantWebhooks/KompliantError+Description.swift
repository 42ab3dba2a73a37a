// Hand-written (not generated): UniFFI 0.32 gives `KompliantError` the Rust `Display` text as
// `description` but does not declare the conformance, so `String(describing:)`, string
// interpolation and `localizedDescription` would print the raw enum case instead of the log
// line "CODE: detail". Declaring it here makes every one of them print the Display text.
// (If a later UniFFI declares it itself, delete this file.)
extension KompliantError: CustomStringConvertible {}
