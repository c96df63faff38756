// Named errors of the Hub client: callers branch on the class, users read one sentence.

/** The Hub, the network or the cache refused a request; the message says what to do. */
export class HubError extends Error {
  override readonly name: string = 'HubError';
}

/** The repository is gated or private and the request had no (valid) token. */
export class HubAuthError extends HubError {
  override readonly name = 'HubAuthError';
}

/** A downloaded file does not match the checksum the Hub announced for it. */
export class ChecksumError extends HubError {
  override readonly name = 'ChecksumError';
}

/** A connection ended before the whole body arrived: worth resuming with a Range request. */
export class ConnectionDroppedError extends HubError {
  override readonly name = 'ConnectionDroppedError';
}
