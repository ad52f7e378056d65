package io.github.attentionsinks.hub;

import static io.github.attentionsinks.hub.ModelResolutionException.Reason;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProxySelector;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The few Hugging Face Hub HTTP calls model resolution needs, in the shapes huggingface_hub uses:
 * {@code GET {endpoint}/api/models/{repo}/revision/{revision}} for the commit sha and file list, and
 * {@code HEAD/GET {endpoint}/{repo}/resolve/{commit}/{file}} whose {@code X-Repo-Commit}, {@code ETag},
 * {@code X-Linked-Etag} and {@code X-Linked-Size} headers identify the file and whose redirect leads to the CDN.
 * The token is only ever sent to the endpoint's own host, never to a CDN it redirects to.
 */
final class HubClient {
    private static final int MAX_REDIRECTS = 5;
    private static final int BUFFER = 1 << 20;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hub-download-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** The commit a revision points at, and the repository's file names at that commit. */
    record RepoRevision(String sha, List<String> files) {}

    /** What {@code HEAD .../resolve/...} says about one file. */
    record FileMetadata(String file, String commit, String etag, long size, URI location) {
        /** LFS files are named by their sha256, which is then also a checksum of the content. */
        boolean etagIsSha256() {
            return SHA256.matcher(etag).matches();
        }
    }

    /** Thrown when the body stopped part-way; the bytes received so far are on disk. */
    static final class TransferInterruptedException extends IOException {
        private static final long serialVersionUID = 1L;
        final long bytesOnDisk;

        TransferInterruptedException(String message, long bytesOnDisk, Throwable cause) {
            super(message, cause);
            this.bytesOnDisk = bytesOnDisk;
        }
    }

    /** Thrown when writing the downloaded bytes failed (disk full, permissions). */
    static final class WriteFailedException extends IOException {
        private static final long serialVersionUID = 1L;
        final long bytesOnDisk;

        WriteFailedException(IOException cause, long bytesOnDisk) {
            super(cause.getMessage(), cause);
            this.bytesOnDisk = bytesOnDisk;
        }
    }

    private final URI endpoint;
    private final String token;
    private final HttpClient http;
    private final Duration metadataTimeout;
    private final Duration readTimeout;

    HubClient(URI endpoint, String token, Duration connectTimeout, Duration metadataTimeout, Duration readTimeout) {
        this.endpoint = endpoint;
        this.token = token;
        this.metadataTimeout = metadataTimeout;
        this.readTimeout = readTimeout;
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand: the token must not reach a CDN
                .version(HttpClient.Version.HTTP_1_1);
        ProxySelector proxies = ProxySelector.getDefault();
        if (proxies != null) {
            b.proxy(proxies); // -Dhttps.proxyHost / -Djava.net.useSystemProxies=true
        }
        this.http = b.build();
    }

    URI endpoint() {
        return endpoint;
    }

    boolean hasToken() {
        return token != null;
    }

    /** {@code GET {endpoint}/api/models/{repo}/revision/{revision}}. */
    RepoRevision revision(ModelId id) throws IOException, InterruptedException {
        URI uri = URI.create(endpoint + "/api/models/" + id.repo() + "/revision/" + encodeSegment(id.revision()));
        HttpResponse<byte[]> r = http.send(request(uri, metadataTimeout).GET().header("Accept", "application/json")
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw httpError(r, id, null, "looking up revision '" + id.revision() + "'");
        }
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new ModelResolutionException(Reason.PROTOCOL, uri + " did not return JSON: " + e.getMessage(), e);
        }
        String sha = json == null ? null : json.path("sha").asText(null);
        if (!ModelId.isCommit(sha)) {
            throw new ModelResolutionException(Reason.PROTOCOL, uri + " returned no commit sha (field 'sha'): "
                    + abbreviate(new String(r.body(), StandardCharsets.UTF_8)));
        }
        List<String> files = new ArrayList<>();
        for (JsonNode sibling : json.path("siblings")) {
            String name = sibling.path("rfilename").asText(null);
            if (name != null) {
                files.add(name);
            }
        }
        return new RepoRevision(sha, List.copyOf(files));
    }

    /**
     * {@code HEAD {endpoint}/{repo}/resolve/{commit}/{file}}, following only same-host redirects (a renamed repo);
     * a redirect to another host is the CDN location of an LFS file, whose headers carry the real etag and size.
     */
    FileMetadata metadata(ModelId id, String commit, String file) throws IOException, InterruptedException {
        URI uri = resolveUri(id.repo(), commit, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<Void> r = http.send(request(uri, metadataTimeout)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept-Encoding", "identity") // sizes must be those of the stored bytes
                    .build(), HttpResponse.BodyHandlers.discarding());
            int status = r.statusCode();
            if (isRedirect(status)) {
                URI location = location(r, uri);
                if (sameOrigin(location, endpoint)) {
                    uri = location;
                    continue;
                }
                return metadataFrom(r, id, file, commit, location);
            }
            if (status >= 200 && status < 300) {
                return metadataFrom(r, id, file, commit, uri);
            }
            throw httpError(r, id, file, "looking up " + file);
        }
        throw new ModelResolutionException(Reason.PROTOCOL, "More than " + MAX_REDIRECTS + " redirects for " + file
                + " of " + id.repo() + " (last: " + uri + ")");
    }

    /**
     * Downloads {@code meta.location} into {@code incomplete}, continuing after the bytes already there with a
     * Range request. Returns the sha256 of the whole file. Bytes received before a failure stay on disk.
     */
    String download(ModelId id, FileMetadata meta, Path incomplete, DownloadProgress.Transfer progress)
            throws IOException, InterruptedException {
        try (FileChannel out = FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            long offset = out.size();
            if (meta.size() >= 0 && offset > meta.size()) {
                out.truncate(0); // not a prefix of this file: start over
                offset = 0;
            }
            MessageDigest digest = sha256();
            hashPrefix(out, offset, digest);
            if (meta.size() >= 0 && offset == meta.size()) {
                return HexFormat.of().formatHex(digest.digest());
            }
            HttpResponse<InputStream> r = openBody(id, meta, offset);
            if (r == null) { // 416: the partial file does not fit the server's copy; start over
                out.truncate(0);
                offset = 0;
                digest.reset();
                r = openBody(id, meta, 0);
            }
            try (InputStream body = r.body()) {
                if (r.statusCode() == 200 && offset > 0) {
                    out.truncate(0); // the server ignored the Range header and sends the whole file
                    offset = 0;
                    digest.reset();
                } else if (r.statusCode() == 206) {
                    long start = contentRangeStart(r);
                    if (start != offset) {
                        throw new ModelResolutionException(Reason.PROTOCOL, "Asked " + meta.location() + " for bytes "
                                + offset + "- but got Content-Range " + r.headers().firstValue("Content-Range").orElse("")
                                + "; delete " + incomplete + " and try again");
                    }
                }
                out.position(offset);
                progress.update(offset);
                return HexFormat.of().formatHex(copy(body, out, offset, meta, digest, progress));
            }
        }
    }

    private byte[] copy(InputStream body, FileChannel out, long offset, FileMetadata meta, MessageDigest digest,
            DownloadProgress.Transfer progress) throws IOException {
        AtomicLong lastData = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        long period = Math.max(50, Math.min(1000, readTimeout.toMillis() / 4));
        // HttpClient has no read timeout once headers arrived: close a body that stops sending data.
        ScheduledFuture<?> watchdog = WATCHDOG.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastData.get() > readTimeout.toNanos() && stalled.compareAndSet(false, true)) {
                closeQuietly(body);
            }
        }, period, period, TimeUnit.MILLISECONDS);
        byte[] buffer = new byte[BUFFER];
        long done = offset;
        try {
            while (true) {
                int n;
                try {
                    n = body.read(buffer);
                } catch (IOException e) {
                    String why = stalled.get() ? "no data for " + readTimeout.toSeconds() + " s" : describe(e);
                    throw new TransferInterruptedException(why, done, e);
                }
                if (n < 0) {
                    break;
                }
                lastData.set(System.nanoTime());
                try {
                    ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                } catch (IOException e) {
                    throw new WriteFailedException(e, done);
                }
                digest.update(buffer, 0, n);
                done += n;
                progress.update(done);
            }
        } finally {
            watchdog.cancel(false);
        }
        if (meta.size() >= 0 && done != meta.size()) {
            throw new TransferInterruptedException("connection closed after " + done + " of " + meta.size()
                    + " bytes", done, null);
        }
        try {
            out.force(false); // durable before the atomic rename makes it visible
        } catch (IOException e) {
            throw new WriteFailedException(e, done);
        }
        return digest.digest();
    }

    /** GET with a Range header after {@code offset}; null when the server refuses that range (HTTP 416). */
    private HttpResponse<InputStream> openBody(ModelId id, FileMetadata meta, long offset)
            throws IOException, InterruptedException {
        URI uri = meta.location();
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder req = request(uri, readTimeout).GET().header("Accept-Encoding", "identity");
            if (offset > 0) {
                req.header("Range", "bytes=" + offset + "-");
            }
            HttpResponse<InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = r.statusCode();
            if (status == 200 || status == 206) {
                return r;
            }
            closeQuietly(r.body());
            if (isRedirect(status)) {
                uri = location(r, uri);
                continue;
            }
            if (status == 416 && offset > 0) {
                return null;
            }
            throw httpError(r, id, meta.file(), "downloading " + meta.file());
        }
        throw new ModelResolutionException(Reason.PROTOCOL, "More than " + MAX_REDIRECTS + " redirects downloading "
                + meta.file() + " of " + id.repo() + " (last: " + uri + ")");
    }

    private HttpRequest.Builder request(URI uri, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("User-Agent", "attention-sinks-java/hub");
        b.timeout(timeout); // until the response headers arrive; bodies are watched by the stall watchdog
        if (token != null && sameOrigin(uri, endpoint)) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private FileMetadata metadataFrom(HttpResponse<?> r, ModelId id, String file, String commit, URI location) {
        String etag = normalizeEtag(r.headers().firstValue("X-Linked-Etag")
                .or(() -> r.headers().firstValue("ETag")).orElse(null));
        if (etag == null) {
            throw new ModelResolutionException(Reason.PROTOCOL, "The Hub sent no ETag for " + file + " of " + id.repo()
                    + " (" + location + "); a proxy may be stripping headers, or HF_ENDPOINT is not a Hub");
        }
        long size = r.headers().firstValue("X-Linked-Size")
                .or(() -> r.headers().firstValue("Content-Length"))
                .map(HubClient::parseLongOrNegative).orElse(-1L);
        String repoCommit = r.headers().firstValue("X-Repo-Commit").filter(ModelId::isCommit).orElse(commit);
        return new FileMetadata(file, repoCommit, etag, size, location);
    }

    /** Turns a non-success answer into an error that says what to do. */
    ModelResolutionException httpError(HttpResponse<?> r, ModelId id, String file, String doing) {
        int status = r.statusCode();
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        String serverMessage = r.headers().firstValue("X-Error-Message").map(m -> " The Hub says: " + m).orElse("");
        String page = endpoint + "/" + id.repo();
        if ("RevisionNotFound".equals(code)) {
            return new ModelResolutionException(Reason.NOT_FOUND, "Revision '" + id.revision() + "' of " + id.repo()
                    + " was not found on " + endpoint + " (HTTP " + status + "). Use a branch, tag or commit sha that "
                    + "exists (see " + page + "/tree/main)." + serverMessage);
        }
        if ("EntryNotFound".equals(code) && file != null) {
            return new ModelResolutionException(Reason.NOT_FOUND, id.repo() + " has no file " + file + " at "
                    + id.revision() + " (HTTP " + status + ")." + serverMessage);
        }
        if ("GatedRepo".equals(code) || ((status == 401 || status == 403) && !"RepoNotFound".equals(code))) {
            if (token == null) {
                return new ModelResolutionException(Reason.UNAUTHORIZED, id.repo() + " needs authentication (HTTP "
                        + status + " while " + doing + "): it is gated or private. Accept its terms at " + page
                        + " while logged in, create a read token at " + endpoint + "/settings/tokens and set HF_TOKEN "
                        + "(or run `hf auth login`)." + serverMessage);
            }
            return new ModelResolutionException(Reason.UNAUTHORIZED, "The token in use has no access to " + id.repo()
                    + " (HTTP " + status + " while " + doing + "). If the model is gated, request access at " + page
                    + " and wait for approval; check that HF_TOKEN is valid and has read permission (fine-grained "
                    + "tokens need access to public gated repositories)." + serverMessage);
        }
        if (status == 404 || "RepoNotFound".equals(code)) {
            String what = file == null || "RepoNotFound".equals(code)
                    ? "Model repository " + id.repo() + " was not found on " + endpoint
                    : id.repo() + " has no file " + file + " at revision " + id.revision() + " on " + endpoint;
            String privateHint = token == null ? "; a private repository also needs HF_TOKEN" : "";
            return new ModelResolutionException(Reason.NOT_FOUND, what + " (HTTP " + status + "). Check the id "
                    + "(org/name, case-sensitive, e.g. HuggingFaceTB/SmolLM2-135M-Instruct)" + privateHint
                    + ", or pass an existing local model directory." + serverMessage);
        }
        if (status == 429 || status >= 500) {
            return new ModelResolutionException(Reason.NETWORK, endpoint + " answered HTTP " + status + " while "
                    + doing + " of " + id + "; the Hub is busy or down, try again later." + serverMessage);
        }
        return new ModelResolutionException(Reason.PROTOCOL, endpoint + " answered HTTP " + status + " while " + doing
                + " of " + id + "." + serverMessage);
    }

    URI resolveUri(String repo, String commit, String file) {
        StringBuilder path = new StringBuilder();
        for (String segment : file.split("/")) {
            path.append('/').append(encodeSegment(segment));
        }
        return URI.create(endpoint + "/" + repo + "/resolve/" + encodeSegment(commit) + path);
    }

    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e.isEmpty() ? null : e;
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(lower(a.getScheme()), lower(b.getScheme())) && Objects.equals(lower(a.getHost()),
                lower(b.getHost())) && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static URI location(HttpResponse<?> r, URI base) {
        Optional<String> location = r.headers().firstValue("Location");
        if (location.isEmpty()) {
            throw new ModelResolutionException(Reason.PROTOCOL, base + " answered HTTP " + r.statusCode()
                    + " without a Location header");
        }
        return base.resolve(location.get());
    }

    private static long contentRangeStart(HttpResponse<?> r) {
        String range = r.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(range.strip());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void hashPrefix(FileChannel channel, long length, MessageDigest digest) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        long position = 0;
        while (position < length) {
            buffer.clear();
            buffer.limit((int) Math.min(BUFFER, length - position));
            int n = channel.read(buffer, position);
            if (n < 0) {
                break;
            }
            buffer.flip();
            digest.update(buffer);
            position += n;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    static String encodeSegment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static long parseLongOrNegative(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** HttpClient's body stream says only "closed"; the reason (e.g. "fixed content-length: 300, bytes received: 100") is a cause. */
    private static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && !message.isBlank() && !message.equals("closed")) {
                return "connection lost: " + message;
            }
        }
        return "connection lost: " + e.getClass().getSimpleName();
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // closing only to unblock or release the connection
        }
    }
}
