package io.github.attentionsinks.examples.assistant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page in headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, installed by
 * {@code .ci/run}): tokens appear before the reply is complete, and after a reload the conversation is still there.
 */
class ChatPageBrowserTest {
    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

    private static RunningApp app;
    private static WebDriver browser;
    private static Path profile;

    @BeforeAll
    static void start() throws Exception {
        if (!CHROMIUM.canExecute() || !CHROMEDRIVER.canExecute()) {
            throw new IllegalStateException("The browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
                    + ": apt-get install -y chromium chromium-driver (.ci/run does)");
        }
        // Long replies, so that the page is seen while a reply is still streaming.
        app = RunningApp.start(Map.of("langchain4j.attention-sinks.max-new-tokens", "150"));
        profile = Files.createTempDirectory("assistant-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        // Even with background networking off, Chromium looked up start.duckduckgo.com (its default search engine)
        // and clients2.google.com over DNS, 51 queries a run: it resolves no name but the loopback now.
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER)
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (app != null) {
            app.close();
        }
        // Chromium's profile (about 2.4 MB): left behind, every test run added one to the temporary folder.
        if (profile != null) {
            try (Stream<Path> files = Files.walk(profile)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    @Test
    void repliesStreamIntoThePageAndTheConversationSurvivesAReload() {
        browser.get("http://127.0.0.1:" + app.port() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(5));
        wait.until(d -> d.findElement(By.id("status")).getText().contains("new conversation"));
        String id = storedId();

        // Seen mid-reply: text in the assistant's bubble while it is still marked streaming, recorded in the page by
        // a MutationObserver as the page changes. Polling for it through WebDriver (a round trip per look) missed
        // replies that stream in under 100 ms (stories260K on the heap decoder) and timed out in CI.
        ((JavascriptExecutor) browser).executeScript("window.midReply = null; new MutationObserver(() => {"
                + " const r = document.querySelector('.assistant[data-state=streaming]');"
                + " if (window.midReply === null && r && r.textContent) { window.midReply = r.textContent; } })"
                + ".observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});");
        send("Tell me a story about a red ball.");
        wait.until(d -> !d.findElements(By.cssSelector(".assistant[data-state=done]")).isEmpty());
        String partial = (String) ((JavascriptExecutor) browser).executeScript("return window.midReply;");
        assertNotNull(partial, "no text was shown while the reply was streaming");
        String first = browser.findElement(By.cssSelector(".assistant")).getText();
        // The page handles a network read's events in one task, so text seen while the bubble is still "streaming"
        // came in a read before the one with "done": tokens were shown before the reply was complete.
        assertTrue(first.startsWith(partial), "'" + partial + "' then '" + first + "'");
        assertTrue(browser.findElement(By.id("status")).getText().matches("[0-9.]+ tokens/s · cache \\d+ / 64 tokens · 1 turns"),
                browser.findElement(By.id("status")).getText());

        send("What happened next?");
        wait.until(d -> d.findElements(By.cssSelector(".assistant[data-state=done]")).size() == 2);
        List<String> before = texts();
        assertEquals(4, before.size());

        browser.navigate().refresh();
        wait.until(d -> d.findElements(By.cssSelector(".msg")).size() == 4);
        assertEquals(before, texts(), "the page shows the same conversation after a reload");
        assertEquals(id, storedId());
        assertEquals(4, app.client().messages(id).size());

        browser.findElement(By.id("new")).click();
        wait.until(d -> d.findElements(By.cssSelector(".msg")).isEmpty() && !id.equals(storedId()));
        assertNotEquals(id, storedId());
        assertEquals(404, app.client().request("GET", "/api/conversations/" + id + "/messages", null).status(),
                "the old conversation was deleted");
        assertFalse(browser.findElement(By.id("status")).getText().isEmpty());
    }

    private static void send(String text) {
        // The page disables Send until the previous reply's stream has ended.
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> d.findElement(By.id("send")).isEnabled());
        WebElement input = browser.findElement(By.id("text"));
        input.sendKeys(text);
        browser.findElement(By.id("send")).click();
    }

    private static List<String> texts() {
        return browser.findElements(By.cssSelector(".msg")).stream().map(e -> e.getAttribute("class") + ": " + e.getText())
                .toList();
    }

    private static String storedId() {
        return (String) ((JavascriptExecutor) browser)
                .executeScript("return localStorage.getItem('attention-sinks-assistant.conversation');");
    }
}
