// Hand-written (not generated): the default reporting of a watched keyring.
import Foundation

extension Keyring {
    /// Loads the keyring file at `path` and follows it, writing each reload and problem as one
    /// line to standard error (`StandardErrorKeyringFileListener`). The default way to load a
    /// receiver's keys from a file:
    ///
    /// ```swift
    /// let receiver = try WebhookReceiver(keyring: try Keyring.watch(path: "/etc/acme/kompliant-keys.json"))
    /// ```
    ///
    /// A key another process adds to the file (a rotation storing its secret with
    /// `addToKeyringFile`) is used by the next `decrypt`, at most `interval` seconds (default 1)
    /// after the change, and at once by a webhook naming a key id the keyring does not hold
    /// yet. If the file becomes invalid the keyring keeps its last good keys and reports the
    /// problem once. To report elsewhere (your logger, a metric), pass a listener:
    /// `Keyring.watch(path:interval:listener:)`.
    ///
    /// Throws as `Keyring.fromFile(path:)`: the file must load now (`IO_ERROR` if it is
    /// missing, `INVALID_KEY` if it is not a keyring with at least one key).
    public static func watch(path: String, interval: TimeInterval? = nil) throws -> Keyring {
        try watch(path: path, interval: interval, listener: StandardErrorKeyringFileListener())
    }
}

/// The listener `Keyring.watch(path:)` uses when none is given: each event as one line on
/// standard error, `kompliant_webhooks info: <event>` for a reload and
/// `kompliant_webhooks warning: <event>` for a problem (the event's `description`, which
/// never contains a secret).
public final class StandardErrorKeyringFileListener: KeyringFileListener {
    public init() {}

    /// Writes `event` as one line to standard error.
    public func onEvent(event: KeyringFileEvent) {
        let level: String
        switch event {
        case .reloaded: level = "info"
        case .problem: level = "warning"
        }
        FileHandle.standardError.write(Data("kompliant_webhooks \(level): \(event.description)\n".utf8))
    }
}
