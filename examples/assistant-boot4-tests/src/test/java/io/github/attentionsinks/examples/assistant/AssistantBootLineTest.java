package io.github.attentionsinks.examples.assistant;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;

/** This module exists to run the assistant's tests on Spring Boot 4: it fails if the class path is another line. */
class AssistantBootLineTest {
    @Test
    void theAssistantsTestsRunOnSpringBoot4() {
        String version = SpringBootVersion.getVersion();
        assertTrue(version != null && version.startsWith("4.0."), "Spring Boot on the class path: " + version);
    }
}
