package io.github.attentionsinks.hub;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A Hugging Face Hub model id with an optional revision: {@code org/name}, {@code org/name@revision} or the
 * legacy un-namespaced {@code name}. The revision is a branch, a tag or a 40-hex commit sha; it defaults to
 * {@code main}.
 *
 * @param repo the repository id, e.g. {@code HuggingFaceTB/SmolLM2-135M-Instruct}
 * @param revision the branch, tag or commit sha, e.g. {@code main}
 */
public record ModelId(String repo, String revision) {
    /** The revision used when none is given, as in huggingface_hub. */
    public static final String DEFAULT_REVISION = "main";

    // The Hub's own naming rule: letters, digits, '.', '_', '-'; no "--" or ".." (they would break the cache layout).
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._/-]{1,255}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public ModelId {
        if (repo == null || !isValidRepo(repo)) {
            throw new IllegalArgumentException("'" + repo + "' is not a Hugging Face model id (expected org/name, e.g. "
                    + "HuggingFaceTB/SmolLM2-135M-Instruct)");
        }
        if (revision == null || !isValidRevision(revision)) {
            throw new IllegalArgumentException("'" + revision + "' is not a valid revision of " + repo
                    + " (expected a branch, a tag or a commit sha)");
        }
    }

    /**
     * Parses {@code org/name[@revision]}.
     *
     * @return the id, or empty when the text is not shaped like a Hub id (for example a filesystem path)
     */
    public static Optional<ModelId> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = text.strip();
        int at = s.indexOf('@');
        String repo = at < 0 ? s : s.substring(0, at);
        String revision = at < 0 ? DEFAULT_REVISION : s.substring(at + 1);
        if (!isValidRepo(repo) || !isValidRevision(revision)) {
            return Optional.empty();
        }
        return Optional.of(new ModelId(repo, revision));
    }

    /** True when the revision is a full commit sha, which names one snapshot and needs no {@code refs/} lookup. */
    public boolean revisionIsCommit() {
        return COMMIT.matcher(revision).matches();
    }

    static boolean isCommit(String s) {
        return s != null && COMMIT.matcher(s).matches();
    }

    private static boolean isValidRepo(String repo) {
        String[] parts = repo.split("/", -1);
        if (parts.length > 2) {
            return false;
        }
        for (String part : parts) {
            if (!NAME.matcher(part).matches() || part.contains("--") || part.contains("..") 
                    || part.endsWith(".") || part.endsWith("-")) {
                return false;
            }
        }
        return true;
    }

    private static boolean isValidRevision(String revision) {
        if (!REVISION.matcher(revision).matches() || revision.startsWith("/") || revision.endsWith("/")) {
            return false;
        }
        for (String segment : revision.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /** {@code org/name} for the default revision, else {@code org/name@revision}. */
    @Override
    public String toString() {
        return DEFAULT_REVISION.equals(revision) ? repo : repo + "@" + revision;
    }
}
