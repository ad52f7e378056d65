package io.github.attentionsinks.spring.aiservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.TokenStream;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import io.github.attentionsinks.langchain4j.ChatSessionStats;
import io.github.attentionsinks.spring.Stories;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;

/**
 * An {@code @AiService} of langchain4j-spring-boot-starter with {@code @MemoryId}, against stories260K: each memory
 * id must get its own attention-sink session, continued turn after turn (one rebuild: the first turn), for the
 * blocking and the streaming model alike. The control test shows that without the starter's wiring the ids do not
 * reach the model.
 */
@SpringBootTest(classes = StoryApp.class, properties = {
    "langchain4j.attention-sinks.model=${attentionsinks.shared.dir:../../shared}/models/stories260K",
    "langchain4j.attention-sinks.device=cpu",
    "langchain4j.attention-sinks.temperature=0",
    "langchain4j.attention-sinks.max-new-tokens=8",
    "langchain4j.attention-sinks.attention-sink-size=4",
    "langchain4j.attention-sinks.window-size=124",
})
@DirtiesContext
class AiServiceMemoryIdTest {
    @Autowired
    Storyteller storyteller;

    @Autowired
    AttentionSinkChatModel chatModel;

    @Autowired
    AttentionSinkStreamingChatModel streamingChatModel;

    @Test
    void eachMemoryIdKeepsItsOwnSessionAcrossTurns() {
        for (int turn = 1; turn <= 3; turn++) {
            assertThat(storyteller.tell("alice", "Tell me about the dog, part " + turn)).isNotNull();
        }
        storyteller.tell("bob", "Tell me about the cat");

        assertThat(chatModel.sessionIds()).containsExactlyInAnyOrder("alice", "bob");
        ChatSessionStats alice = chatModel.sessionStats("alice").orElseThrow();
        assertThat(alice.turns()).isEqualTo(3);
        assertThat(alice.rebuilds()).as("turns 2 and 3 continue alice's cache").isEqualTo(1);
        assertThat(alice.cacheLength()).isLessThanOrEqualTo(4 + 124);
        assertThat(chatModel.sessionStats("bob").orElseThrow().turns()).isEqualTo(1);
    }

    @Test
    void streamingAiServiceMethodsPassTheMemoryIdToo() throws Exception {
        for (int turn = 1; turn <= 2; turn++) {
            ChatResponse response = complete(storyteller.stream("carol", "Once upon a time, part " + turn));
            assertThat(response.aiMessage().text()).isNotNull();
        }
        assertThat(streamingChatModel.sessionIds()).contains("carol");
        ChatSessionStats carol = streamingChatModel.sessionStats("carol").orElseThrow();
        assertThat(carol.turns()).isEqualTo(2);
        assertThat(carol.rebuilds()).isEqualTo(1);
    }

    @Test
    void withoutTheWiringTheModelNeverSeesTheMemoryIds() {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(StoryApp.class)
                .web(WebApplicationType.NONE)
                .properties(Stories.baseProperties())
                .properties("langchain4j.attention-sinks.ai-service-memory-id=false")
                .run()) {
            context.getBean(Storyteller.class).tell("dave", "Tell me about the dog");
            AttentionSinkChatModel model = context.getBean(AttentionSinkChatModel.class);
            assertThat(model.sessionIds()).hasSize(1).doesNotContain("dave");
            assertThat(model.sessionIds().iterator().next().toString()).startsWith("anonymous-");
        }
    }

    private static ChatResponse complete(TokenStream stream) throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        stream.onPartialResponse(text -> {}).onCompleteResponse(done::complete).onError(done::completeExceptionally)
                .start();
        return done.get(60, TimeUnit.SECONDS);
    }
}
