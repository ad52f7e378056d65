package io.github.attentionsinks.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hugging Face Hub cache layout of one model repository, the same one huggingface_hub, transformers and
 * {@code huggingface-cli download} read and write, so that each tool reuses the others' downloads:
 *
 * <pre>
 * &lt;cache&gt;/models--org--name/
 *     blobs/&lt;etag&gt;                      file contents, named by git sha1 (small files) or sha256 (LFS files)
 *     blobs/&lt;etag&gt;.incomplete           a partial download, resumed with a Range request
 *     refs/&lt;revision&gt;                   the commit sha a branch or tag pointed to when last resolved
 *     snapshots/&lt;commit&gt;/&lt;file&gt;         relative symlink to ../../blobs/&lt;etag&gt;
 *     .no_exist/&lt;commit&gt;/&lt;file&gt;         empty marker: the repo has no such file at that commit
 * &lt;cache&gt;/.locks/models--org--name/&lt;etag&gt;.lock
 * </pre>
 */
public final class HfCacheLayout {
    private static final Logger log = LoggerFactory.getLogger(HfCacheLayout.class);
    private static final Pattern SAFE_ETAG = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private final Path cacheDir;
    private final String repo;
    private final Path repoDir;

    /**
     * @param cacheDir the hub cache root, e.g. {@code ~/.cache/huggingface/hub}
     * @param repo a model repository id such as {@code org/name}
     */
    public HfCacheLayout(Path cacheDir, String repo) {
        this.cacheDir = cacheDir;
        this.repo = repo;
        this.repoDir = cacheDir.resolve(folderName(repo));
    }

    /**
     * The hub cache directory that huggingface_hub uses for the given environment: {@code $HF_HUB_CACHE}, else the
     * legacy {@code $HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub},
     * else {@code ~/.cache/huggingface/hub}.
     */
    public static Path defaultCacheDir(Map<String, String> env, Path userHome) {
        String hubCache = nonBlank(env.get("HF_HUB_CACHE"));
        if (hubCache == null) {
            hubCache = nonBlank(env.get("HUGGINGFACE_HUB_CACHE"));
        }
        if (hubCache != null) {
            return expandHome(hubCache, userHome);
        }
        return hfHome(env, userHome).resolve("hub");
    }

    /** {@code $HF_HOME}, else {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface}. */
    public static Path hfHome(Map<String, String> env, Path userHome) {
        String home = nonBlank(env.get("HF_HOME"));
        if (home != null) {
            return expandHome(home, userHome);
        }
        String xdg = nonBlank(env.get("XDG_CACHE_HOME"));
        Path base = xdg != null ? expandHome(xdg, userHome) : userHome.resolve(".cache");
        return base.resolve("huggingface");
    }

    /** {@code models--org--name}: the repository's folder name inside the cache. */
    public static String folderName(String repo) {
        return "models--" + repo.replace("/", "--");
    }

    public Path cacheDir() {
        return cacheDir;
    }

    public String repo() {
        return repo;
    }

    /** {@code <cache>/models--org--name}. */
    public Path repoDir() {
        return repoDir;
    }

    public Path refFile(String revision) {
        return repoDir.resolve("refs").resolve(revision);
    }

    /** The commit sha recorded for a branch or tag, if this cache has resolved it before. */
    public Optional<String> readRef(String revision) {
        Path ref = refFile(revision);
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String sha = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return ModelId.isCommit(sha) ? Optional.of(sha) : Optional.empty();
        } catch (IOException e) {
            throw new ModelResolutionException(ModelResolutionException.Reason.IO,
                    ref + ": cannot read the cached revision: " + e.getMessage(), e);
        }
    }

    /** Records that {@code revision} points at {@code commit}; nothing to do when the revision is the commit. */
    public void writeRef(String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = refFile(revision);
        if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).strip().equals(commit)) {
            return; // unchanged: leave read-only shared caches alone
        }
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        moveAtomically(tmp, ref);
    }

    public Path snapshotDir(String commit) {
        return repoDir.resolve("snapshots").resolve(commit);
    }

    /** {@code snapshots/<commit>/<file>}; {@code file} uses '/' separators as in the repository. */
    public Path snapshotFile(String commit, String file) {
        return snapshotDir(commit).resolve(checkedRelative(file));
    }

    public Path blob(String etag) {
        return repoDir.resolve("blobs").resolve(checkedEtag(etag));
    }

    public Path incompleteBlob(String etag) {
        return repoDir.resolve("blobs").resolve(checkedEtag(etag) + ".incomplete");
    }

    public Path noExistMarker(String commit, String file) {
        return repoDir.resolve(".no_exist").resolve(commit).resolve(checkedRelative(file));
    }

    /** True when an earlier resolution recorded that the repository has no {@code file} at {@code commit}. */
    public boolean knownMissing(String commit, String file) {
        return Files.exists(noExistMarker(commit, file));
    }

    public void markMissing(String commit, String file) throws IOException {
        Path marker = noExistMarker(commit, file);
        Files.createDirectories(marker.getParent());
        if (!Files.exists(marker)) {
            Files.createFile(marker);
        }
    }

    public Path lockFile(String etag) {
        return cacheDir.resolve(".locks").resolve(folderName(repo)).resolve(checkedEtag(etag) + ".lock");
    }

    /**
     * Points {@code snapshots/<commit>/<file>} at {@code blobs/<etag>} with a relative symlink, as huggingface_hub
     * does. Where symlinks are not allowed (Windows without developer mode) the blob is copied instead.
     */
    public Path link(String commit, String file, String etag) throws IOException {
        Path target = snapshotFile(commit, file);
        Path blob = blob(etag);
        Files.createDirectories(target.getParent());
        Path relative = target.getParent().relativize(blob);
        Files.deleteIfExists(target);
        try {
            Files.createSymbolicLink(target, relative);
        } catch (FileAlreadyExistsException e) {
            // Another process linked it between delete and create; fine when it points at the same blob.
            if (!Files.isSymbolicLink(target) || !Files.isSameFile(target, blob)) {
                throw e;
            }
        } catch (UnsupportedOperationException | IOException e) {
            log.debug("Symlinks unavailable in {} ({}); copying {} instead", cacheDir, e.toString(), file);
            Files.copy(blob, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    /** True when the snapshot has the file and, for a symlink, its blob is there too. */
    public boolean hasFile(String commit, String file) {
        return Files.isRegularFile(snapshotFile(commit, file)); // follows the symlink: a dangling one is missing
    }

    static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String checkedEtag(String etag) {
        if (etag == null || !SAFE_ETAG.matcher(etag).matches()) {
            throw new ModelResolutionException(ModelResolutionException.Reason.PROTOCOL,
                    "The Hub sent an unusable ETag '" + etag + "' (expected a git sha1 or sha256 hex string)");
        }
        return etag;
    }

    /** Repository file names come from the server: refuse anything that could escape the snapshot folder. */
    static String checkedRelative(String file) {
        if (file == null || file.isEmpty() || file.startsWith("/") || file.contains("\\") || file.contains(":")) {
            throw new ModelResolutionException(ModelResolutionException.Reason.PROTOCOL,
                    "Unsafe file name '" + file + "' in repository listing");
        }
        for (String segment : file.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new ModelResolutionException(ModelResolutionException.Reason.PROTOCOL,
                        "Unsafe file name '" + file + "' in repository listing");
            }
        }
        return file;
    }

    private static Path expandHome(String path, Path userHome) {
        if (path.equals("~")) {
            return userHome;
        }
        if (path.startsWith("~/")) {
            return userHome.resolve(path.substring(2));
        }
        return Path.of(path);
    }

    private static String nonBlank(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
