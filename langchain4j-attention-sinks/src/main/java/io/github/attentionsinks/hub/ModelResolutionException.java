package io.github.attentionsinks.hub;

/**
 * A model id could not be turned into a local directory. The message names the model, what went wrong and what
 * to do about it; {@link #reason()} lets a CLI choose an exit code or a hint.
 */
public class ModelResolutionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why resolution failed. */
    public enum Reason {
        /** Neither an existing directory nor a well-formed Hub id. */
        INVALID_ID,
        /** The Hub has no such repository, revision or file (HTTP 404). */
        NOT_FOUND,
        /** The repository is gated or private and the token is missing or lacks access (HTTP 401/403). */
        UNAUTHORIZED,
        /** Offline mode forbids the network and the cache lacks files. */
        OFFLINE,
        /** The Hub could not be reached or answered with a server error. */
        NETWORK,
        /** A transfer stopped part-way; the partial file is kept and the next attempt resumes it. */
        INTERRUPTED,
        /** A downloaded file does not match the checksum the Hub published. */
        CHECKSUM,
        /** Not enough free space in the cache directory. */
        DISK_FULL,
        /** The repository holds no files this library can load (e.g. no safetensors weights). */
        UNSUPPORTED_REPO,
        /** The Hub answered with something unexpected. */
        PROTOCOL,
        /** Reading or writing the cache failed. */
        IO
    }

    private final Reason reason;

    public ModelResolutionException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ModelResolutionException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
