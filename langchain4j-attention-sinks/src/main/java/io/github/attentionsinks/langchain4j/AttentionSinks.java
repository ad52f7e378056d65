package io.github.attentionsinks.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequest;
import java.util.function.BiFunction;

/**
 * Glue between LangChain4j AI services and the attention-sink chat models.
 *
 * <pre>{@code
 * Assistant assistant = AiServices.builder(Assistant.class)
 *         .streamingChatModel(model)
 *         .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(20))
 *         .chatRequestTransformer(AttentionSinks.memoryIdTransformer())
 *         .build();
 * }</pre>
 */
public final class AttentionSinks {
    private AttentionSinks() {}

    /**
     * A request transformer for {@code AiServices.builder(..).chatRequestTransformer(..)} that copies the
     * {@code @MemoryId} of each invocation (the string {@code "default"} when a method has none) into
     * {@link AttentionSinkChatRequestParameters}, so that every conversation keeps its own session. It is applied
     * to every model call of an invocation, tool-loop follow-ups included, and keeps all other parameters.
     */
    public static BiFunction<ChatRequest, Object, ChatRequest> memoryIdTransformer() {
        return (request, memoryId) -> {
            if (memoryId == null) {
                return request;
            }
            AttentionSinkChatRequestParameters parameters = AttentionSinkChatRequestParameters.builder()
                    .overrideWith(request.parameters())
                    .memoryId(memoryId)
                    .build();
            return request.toBuilder().parameters(parameters).build();
        };
    }
}
