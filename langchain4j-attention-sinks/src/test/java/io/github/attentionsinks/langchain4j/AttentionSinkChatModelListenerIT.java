package io.github.attentionsinks.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelListenerIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import org.junit.jupiter.api.AfterEach;

/** LangChain4j's {@link AbstractChatModelListenerIT} on {@link AttentionSinkChatModel} with stories260K. */
class AttentionSinkChatModelListenerIT extends AbstractChatModelListenerIT {
    /** Raises on every conversation: a failure while the turn runs, as a provider's HTTP error would be. */
    static final String FAILING_TEMPLATE = "{{ raise_exception('this template refuses every conversation') }}";

    private final Conformance conformance = new Conformance();

    @Override
    protected ChatModel createModel(ChatModelListener listener) {
        return conformance.track(StoriesChat.blocking().listeners(listener).temperature(temperature()).topP(topP())
                .maxNewTokens(maxTokens()).build());
    }

    @Override
    protected String modelName() {
        return "stories260K";
    }

    @Override
    protected ChatModel createFailingModel(ChatModelListener listener) {
        return conformance.track(StoriesChat.blocking().listeners(listener).chatTemplate(FAILING_TEMPLATE).build());
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
