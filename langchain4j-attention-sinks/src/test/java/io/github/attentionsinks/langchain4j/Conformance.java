package io.github.attentionsinks.langchain4j;

import java.util.ArrayList;
import java.util.List;

/**
 * Shared by the subclasses of LangChain4j's conformance suites: the reasons for disabled tests, and the chat models
 * a suite builds without closing them. Every chat model here is built over the one stories260K
 * {@link StoriesChat#model()}, which closing a chat model leaves open (JUnit closes AutoCloseable test arguments
 * after each test).
 */
final class Conformance {
    /** The reason for a test that checks the content of an answer. */
    static final String NEEDS_CAPABLE_MODEL = "needs a model that answers questions; stories260K (260K parameters, "
            + "trained on children's stories) only continues stories, so it cannot answer ";

    private final List<AutoCloseable> built = new ArrayList<>();

    /** Remembers a model built inside a suite test, to close it after the class. */
    synchronized <T extends AutoCloseable> T track(T model) {
        built.add(model);
        return model;
    }

    synchronized void closeAll() throws Exception {
        for (AutoCloseable c : built) {
            c.close();
        }
        built.clear();
    }
}
