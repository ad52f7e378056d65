package io.github.attentionsinks.spring.aiservice;

import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.service.spring.AiService;

@AiService
public interface Storyteller {
    /** Blocking: served by the AttentionSinkChatModel bean. */
    @SystemMessage("You tell short stories.")
    String tell(@MemoryId String user, @UserMessage String message);

    /** Streaming: served by the AttentionSinkStreamingChatModel bean. */
    @SystemMessage("You tell short stories.")
    TokenStream stream(@MemoryId String user, @UserMessage String message);
}
