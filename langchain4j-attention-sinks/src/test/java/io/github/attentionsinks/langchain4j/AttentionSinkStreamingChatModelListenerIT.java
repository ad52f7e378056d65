package io.github.attentionsinks.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelListenerIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import org.junit.jupiter.api.AfterEach;

/**
 * LangChain4j's {@link AbstractStreamingChatModelListenerIT} on {@link AttentionSinkStreamingChatModel} with
 * stories260K.
 */
class AttentionSinkStreamingChatModelListenerIT extends AbstractStreamingChatModelListenerIT {
    private final Conformance conformance = new Conformance();

    @Override
    protected StreamingChatModel createModel(ChatModelListener listener) {
        return conformance.track(StoriesChat.streaming().listeners(listener).temperature(temperature()).topP(topP())
                .maxNewTokens(maxTokens()).build());
    }

    @Override
    protected String modelName() {
        return "stories260K";
    }

    @Override
    protected StreamingChatModel createFailingModel(ChatModelListener listener) {
        return conformance.track(StoriesChat.streaming().listeners(listener)
                .chatTemplate(AttentionSinkChatModelListenerIT.FAILING_TEMPLATE).build());
    }

    @Override
    protected Class<? extends Exception> expectedExceptionClass() {
        return ChatTemplate.ChatTemplateException.class;
    }

    /** The plain-text fallback of stories260K renders no tools, so a request with tools is refused. */
    @Override
    protected boolean supportsTools() {
        return false;
    }

    @AfterEach
    void closeModels() throws Exception {
        conformance.closeAll();
    }
}
