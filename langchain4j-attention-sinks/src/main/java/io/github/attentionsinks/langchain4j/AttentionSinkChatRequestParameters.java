package io.github.attentionsinks.langchain4j;

import static dev.langchain4j.internal.Utils.getOrDefault;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;

/**
 * Chat request parameters that carry the conversation's memory id, so that each conversation gets its own
 * attention-sink session. AiServices does not pass {@code @MemoryId} to models; install
 * {@link AttentionSinks#memoryIdTransformer()} with {@code AiServices.builder(..).chatRequestTransformer(..)} to
 * copy it here, or build these parameters yourself for direct model calls:
 *
 * <pre>{@code
 * ChatRequest request = ChatRequest.builder()
 *         .messages(history)
 *         .parameters(AttentionSinkChatRequestParameters.builder().memoryId("user-42").build())
 *         .build();
 * }</pre>
 *
 * Merging follows LangChain4j's rules: {@link #overrideWith} keeps the memory id of the overriding side when it
 * has one, so a model's defaults never erase a request's id.
 */
public class AttentionSinkChatRequestParameters extends DefaultChatRequestParameters {
    private final Object memoryId;

    protected AttentionSinkChatRequestParameters(Builder builder) {
        super(builder);
        this.memoryId = builder.memoryId;
    }

    /** The conversation this request belongs to, or null for none (see the chat models' docs). */
    public Object memoryId() {
        return memoryId;
    }

    @Override
    public AttentionSinkChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public AttentionSinkChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        return Objects.equals(memoryId, ((AttentionSinkChatRequestParameters) o).memoryId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), memoryId);
    }

    @Override
    public String toString() {
        return "AttentionSinkChatRequestParameters{memoryId=" + memoryId + ", " + super.toString() + "}";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link AttentionSinkChatRequestParameters}; all common parameters come from the parent builder. */
    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Object memoryId;

        /** Copies every parameter that {@code parameters} sets, the memory id included when it has one. */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            if (parameters == null) {
                return this;
            }
            super.overrideWith(parameters);
            if (parameters instanceof AttentionSinkChatRequestParameters sink) {
                memoryId(getOrDefault(sink.memoryId(), memoryId));
            }
            return this;
        }

        public Builder memoryId(Object memoryId) {
            this.memoryId = memoryId;
            return this;
        }

        @Override
        public AttentionSinkChatRequestParameters build() {
            return new AttentionSinkChatRequestParameters(this);
        }
    }
}
