package io.github.attentionsinks.spring;

import dev.langchain4j.model.chat.listener.ChatModelListener;

/**
 * Something that watches the auto-configured chat models (the metrics). It is not a {@link ChatModelListener} bean
 * itself, so that other providers' chat models, which collect every listener bean, do not report to it. Kept free
 * of Micrometer types so the auto-configuration loads without Micrometer.
 */
interface ChatModelObserver {
    /** A listener for the chat model of this kind ({@code streaming} or {@code blocking}). */
    ChatModelListener listener(String kind);

    /** Called once per auto-configured chat model, after it is built. */
    void track(String kind, Object chatModel);
}
