package io.github.attentionsinks.hub;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1, shaped like the real one: {@code /api/models/{repo}/revision/{rev}}
 * returns the commit sha and siblings; {@code /{repo}/resolve/{rev}/{file}} answers small files directly with their
 * git-sha1 ETag and LFS files (*.safetensors) with a 302 to a second "CDN" server (another port, so another
 * origin) carrying X-Linked-Etag = sha256 and X-Linked-Size. The CDN honours Range requests and can be told to
 * drop the connection, stall, or corrupt bytes. Every request is recorded.
 */
final class FakeHub implements AutoCloseable {
    /** One request as the server saw it. */
    record Request(String server, String method, String path, String range, String authorization) {}

    /** A repository: commit sha, files by name, optionally gated behind a token. */
    static final class Repo {
        final String id;
        final String sha;
        final Map<String, byte[]> files = new LinkedHashMap<>();
        String requiredToken;

        Repo(String id, String sha) {
            this.id = id;
            this.sha = sha;
        }

        Repo file(String name, byte[] content) {
            files.put(name, content);
            return this;
        }

        Repo file(String name, String content) {
            return file(name, content.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static final Pattern API = Pattern.compile("/api/models/(.+)/revision/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobsBySha256 = new ConcurrentHashMap<>();
    private final List<Request> requests = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    /** The real Hub answers 401 (not 404) for an unknown repository when no token is sent. */
    volatile int unknownRepoStatus = 404;

    /** CDN faults: the next {@code dropCount} GETs of a blob send {@code dropAfterBytes} bytes then drop. */
    private volatile String faultSha256;
    private final AtomicInteger dropsLeft = new AtomicInteger();
    private volatile int dropAfterBytes;
    private volatile boolean stall;
    private volatile boolean corrupt;

    FakeHub() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", this::handleHub);
        cdn.createContext("/", this::handleCdn);
        hub.setExecutor(executor);
        cdn.setExecutor(executor);
        hub.start();
        cdn.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    String cdnBase() {
        return "http://127.0.0.1:" + cdn.getAddress().getPort();
    }

    Repo add(Repo repo) {
        repos.put(repo.id, repo);
        for (Map.Entry<String, byte[]> e : repo.files.entrySet()) {
            if (isLfs(e.getKey())) {
                blobsBySha256.put(sha256(e.getValue()), e.getValue());
            }
        }
        return repo;
    }

    /** The next {@code times} CDN GETs of this content send {@code afterBytes} bytes and drop the connection. */
    void dropConnection(byte[] content, int afterBytes, int times) {
        faultSha256 = sha256(content);
        dropAfterBytes = afterBytes;
        dropsLeft.set(times);
    }

    /** The next CDN GET of this content sends {@code afterBytes} bytes and then stops sending, until close(). */
    void stallConnection(byte[] content, int afterBytes) {
        dropConnection(content, afterBytes, 1);
        stall = true;
    }

    /** The CDN flips one byte of every blob it serves. */
    void corruptBlobs() {
        corrupt = true;
    }

    synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    synchronized List<Request> requests(String server, String method) {
        return requests.stream().filter(r -> r.server().equals(server) && r.method().equals(method)).toList();
    }

    static boolean isLfs(String file) {
        return file.endsWith(".safetensors");
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The git blob id, which the Hub uses as the ETag of files stored in git rather than LFS. */
    static String gitSha1(byte[] content) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha1.digest(content));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private synchronized void record(String server, HttpExchange ex) {
        Headers h = ex.getRequestHeaders();
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                h.getFirst("Range"), h.getFirst("Authorization")));
    }

    private void handleHub(HttpExchange ex) throws IOException {
        record("hub", ex);
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            Matcher api = API.matcher(path);
            Matcher resolve = RESOLVE.matcher(path);
            if (api.matches()) {
                Repo repo = authorized(ex, api.group(1));
                String rev = decode(api.group(2));
                if (repo == null || !revisionExists(ex, repo, rev)) {
                    return;
                }
                StringBuilder json = new StringBuilder("{\"id\":\"" + repo.id + "\",\"sha\":\"" + repo.sha
                        + "\",\"siblings\":[");
                int i = 0;
                for (String name : repo.files.keySet()) {
                    json.append(i++ == 0 ? "" : ",").append("{\"rfilename\":\"").append(name).append("\"}");
                }
                send(ex, 200, json.append("]}").toString().getBytes(StandardCharsets.UTF_8));
            } else if (resolve.matches()) {
                Repo repo = authorized(ex, resolve.group(1));
                String rev = decode(resolve.group(2));
                if (repo == null || !revisionExists(ex, repo, rev)) {
                    return;
                }
                String file = decode(resolve.group(3));
                byte[] content = repo.files.get(file);
                if (content == null) {
                    error(ex, 404, "EntryNotFound", file + " does not exist");
                    return;
                }
                Headers out = ex.getResponseHeaders();
                out.set("X-Repo-Commit", repo.sha);
                if (isLfs(file)) {
                    String sha = sha256(content);
                    out.set("ETag", "\"" + gitSha1(("pointer " + sha).getBytes(StandardCharsets.UTF_8)) + "\"");
                    out.set("X-Linked-Etag", "\"" + sha + "\"");
                    out.set("X-Linked-Size", String.valueOf(content.length));
                    out.set("Location", cdnBase() + "/repos/" + sha);
                    ex.sendResponseHeaders(302, -1);
                } else {
                    out.set("ETag", "\"" + gitSha1(content) + "\"");
                    send(ex, 200, content);
                }
            } else {
                error(ex, 404, null, "no route " + path);
            }
        }
    }

    private void handleCdn(HttpExchange ex) throws IOException {
        record("cdn", ex);
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            if (!path.startsWith("/repos/") || ex.getRequestHeaders().containsKey("Authorization")) {
                // Like a presigned CDN URL: a stray Authorization header is refused.
                error(ex, 400, null, "bad request");
                return;
            }
            String sha = path.substring("/repos/".length());
            byte[] content = blobsBySha256.get(sha);
            if (content == null) {
                error(ex, 404, null, "no blob");
                return;
            }
            if (corrupt) {
                content = content.clone();
                content[content.length / 2] ^= 0x5a;
            }
            long start = 0;
            String range = ex.getRequestHeaders().getFirst("Range");
            if (range != null) {
                Matcher m = RANGE.matcher(range);
                if (!m.matches()) {
                    error(ex, 400, null, "unsupported range " + range);
                    return;
                }
                start = Long.parseLong(m.group(1));
                if (start >= content.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range",
                        "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
            }
            int from = (int) start;
            int length = content.length - from;
            ex.getResponseHeaders().set("Accept-Ranges", "bytes");
            ex.sendResponseHeaders(range != null ? 206 : 200, length);
            OutputStream body = ex.getResponseBody();
            if (sha.equals(faultSha256) && dropsLeft.getAndDecrement() > 0) {
                body.write(content, from, Math.min(dropAfterBytes, length));
                body.flush();
                if (stall) {
                    stall = false;
                    awaitRelease();
                } else {
                    pause(); // let the client take in what was sent; a real drop may lose the tail, a test should not
                }
                // Throwing from the handler makes the server close the socket mid-body.
                throw new IOException("fake hub: dropping the connection on purpose");
            }
            body.write(content, from, length);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitRelease() {
        try {
            release.await(30, TimeUnit.SECONDS); // bounded: close() releases it at the end of every test
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Repo authorized(HttpExchange ex, String repoId) throws IOException {
        Repo repo = repos.get(decode(repoId));
        if (repo == null) {
            error(ex, unknownRepoStatus, "RepoNotFound", "Repository not found");
            return null;
        }
        if (repo.requiredToken != null
                && !("Bearer " + repo.requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            boolean anyToken = ex.getRequestHeaders().containsKey("Authorization");
            error(ex, anyToken ? 403 : 401, "GatedRepo", "Access to model " + repo.id + " is restricted.");
            return null;
        }
        return repo;
    }

    private boolean revisionExists(HttpExchange ex, Repo repo, String rev) throws IOException {
        if (rev.equals("main") || rev.equals(repo.sha)) {
            return true;
        }
        error(ex, 404, "RevisionNotFound", "Invalid rev id: " + rev);
        return false;
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        if (code != null) {
            ex.getResponseHeaders().set("X-Error-Code", code);
        }
        ex.getResponseHeaders().set("X-Error-Message", message);
        send(ex, status, ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", String.valueOf(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        ex.getResponseBody().write(body);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        release.countDown();
        hub.stop(0);
        cdn.stop(0);
        executor.shutdownNow();
    }
}
