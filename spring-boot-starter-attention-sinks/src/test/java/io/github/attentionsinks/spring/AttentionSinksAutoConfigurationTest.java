package io.github.attentionsinks.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import io.github.attentionsinks.langchain4j.ChatSessionStats;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Conditions, property binding, shared model, listeners, back-off and resource release of the auto-configuration. */
class AttentionSinksAutoConfigurationTest {
    private static final String P = "langchain4j.attention-sinks.";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AttentionSinksAutoConfiguration.class));

    static ChatRequest request(Object memoryId, String text) {
        return ChatRequest.builder().messages(List.of(UserMessage.from(text)))
                .parameters(AttentionSinkChatRequestParameters.builder().memoryId(memoryId).build()).build();
    }

    static ChatResponse stream(AttentionSinkStreamingChatModel model, ChatRequest request) throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {}

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return done.get(60, TimeUnit.SECONDS);
    }

    @Test
    void withoutTheModelPropertyNothingIsCreated() {
        runner.withPropertyValues(P + "window-size=64").run(context -> assertThat(context)
                .hasNotFailed()
                .doesNotHaveBean(AttentionSinkModel.class)
                .doesNotHaveBean(AttentionSinkStreamingChatModel.class)
                .doesNotHaveBean(AttentionSinkChatModel.class)
                .doesNotHaveBean(AttentionSinksProperties.class));
    }

    @Test
    void defaultsAreTheDocumentedOnesAndMatchTheCore() {
        runner.withPropertyValues(P + "model=" + Stories.dir(), P + "device=cpu").run(context -> {
            assertThat(context).hasNotFailed();
            AttentionSinksProperties p = context.getBean(AttentionSinksProperties.class);
            assertThat(p.getAttentionSinkSize()).isEqualTo(4).isEqualTo(CacheConfig.DEFAULT_ATTENTION_SINK_SIZE);
            assertThat(p.getWindowSize()).isEqualTo(1020).isEqualTo(CacheConfig.DEFAULT_WINDOW_SIZE);
            assertThat(p.getDtype()).isEqualTo("float32");
            assertThat(p.getMaxSessions()).isEqualTo(16);
            assertThat(p.getSessionIdleTimeout()).isEqualTo(Duration.ofMinutes(30));
            assertThat(p.getTemperature()).isNull();
            assertThat(p.isAiServiceMemoryId()).isTrue();
            // Unset generation settings come from the checkpoint's generation_config.json.
            AttentionSinkModel model = context.getBean(AttentionSinkModel.class);
            assertThat(context.getBean(AttentionSinkChatModel.class).defaultRequestParameters().maxOutputTokens())
                    .isEqualTo(model.generationDefaults().build().maxNewTokens());
        });
    }

    @Test
    void everyPropertyBindsAndReachesBothChatModels() {
        runner.withPropertyValues(P + "model=" + Stories.dir(), P + "device=CPU", P + "dtype=fp32",
                P + "attention-sink-size=2", P + "window-size=40", P + "temperature=0.5", P + "top-p=0.9",
                P + "top-k=7", P + "max-new-tokens=5", P + "repetition-penalty=1.1", P + "stop-sequences=The end,Bye",
                P + "seed=42", P + "max-sessions=3", P + "session-idle-timeout=5m", P + "max-batch-size=2",
                P + "model-name=stories").run(context -> {
            assertThat(context).hasNotFailed();
            AttentionSinksProperties p = context.getBean(AttentionSinksProperties.class);
            assertThat(p.getAttentionSinkSize()).isEqualTo(2);
            assertThat(p.getWindowSize()).isEqualTo(40);
            assertThat(p.getTopK()).isEqualTo(7);
            assertThat(p.getRepetitionPenalty()).isEqualTo(1.1);
            assertThat(p.getSeed()).isEqualTo(42L);
            assertThat(p.getStopSequences()).containsExactly("The end", "Bye");
            assertThat(p.getSessionIdleTimeout()).isEqualTo(Duration.ofMinutes(5));
            assertThat(p.getMaxBatchSize()).isEqualTo(2);
            assertThat(p.effectiveMaxBatchSize()).isEqualTo(2);
            for (AttentionSinkChatRequestParameters d : List.of(
                    context.getBean(AttentionSinkChatModel.class).defaultRequestParameters(),
                    context.getBean(AttentionSinkStreamingChatModel.class).defaultRequestParameters())) {
                assertThat(d.temperature()).isEqualTo(0.5);
                assertThat(d.topP()).isEqualTo(0.9);
                assertThat(d.topK()).isEqualTo(7);
                assertThat(d.maxOutputTokens()).isEqualTo(5);
                assertThat(d.stopSequences()).containsExactly("The end", "Bye");
                assertThat(d.modelName()).isEqualTo("stories");
            }
        });
    }

    @Test
    @SuppressWarnings("deprecation")
    void workerThreadsStillSetsTheBatchUnderItsFormerName() {
        runner.withPropertyValues(P + "model=" + Stories.dir(), P + "worker-threads=3").run(context -> {
            assertThat(context).hasNotFailed();
            AttentionSinksProperties p = context.getBean(AttentionSinksProperties.class);
            assertThat(p.getWorkerThreads()).isEqualTo(3);
            assertThat(p.effectiveMaxBatchSize()).isEqualTo(3);
        });
        runner.withPropertyValues(P + "model=" + Stories.dir(), P + "worker-threads=3", P + "max-batch-size=5")
                .run(context -> assertThat(context.getBean(AttentionSinksProperties.class).effectiveMaxBatchSize())
                        .isEqualTo(5));
    }

    @Test
    void cacheSizesAndSessionLimitReachTheSessions() {
        String longMessage = "Once upon a time there was a little dog who liked to run in the park. ".repeat(6);
        runner.withPropertyValues(Stories.baseProperties())
                .withPropertyValues(P + "attention-sink-size=2", P + "window-size=40", P + "max-sessions=2")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    AttentionSinkChatModel blocking = context.getBean(AttentionSinkChatModel.class);
                    ChatResponse reply = blocking.chat(request("long", longMessage));
                    assertThat(reply.tokenUsage().outputTokenCount()).isBetween(1, 6);
                    ChatSessionStats stats = blocking.sessionStats("long").orElseThrow();
                    assertThat(stats.streamLength()).as("the conversation outgrew S + W").isGreaterThan(42);
                    assertThat(stats.cacheLength()).isEqualTo(2 + 40);

                    AttentionSinkStreamingChatModel streaming = context.getBean(AttentionSinkStreamingChatModel.class);
                    stream(streaming, request("long", longMessage));
                    assertThat(streaming.sessionStats("long").orElseThrow().cacheLength()).isEqualTo(42);

                    blocking.chat(request("a", "Hello"));
                    blocking.chat(request("b", "Hello"));
                    assertThat(blocking.sessionIds()).hasSize(2).contains("a", "b").doesNotContain("long");
                });
    }

    /** share-prompt-prefixes reaches the chat models: a second conversation with the system prompt copies it or not. */
    @Test
    void sharePromptPrefixesReachesTheChatModels() {
        List<dev.langchain4j.data.message.ChatMessage> conversation = List.of(
                dev.langchain4j.data.message.SystemMessage.from("You tell short stories about a little red dog."),
                UserMessage.from("Hello"));
        for (boolean share : new boolean[] {true, false}) {
            runner.withPropertyValues(Stories.baseProperties())
                    .withPropertyValues(P + "share-prompt-prefixes=" + share).run(context -> {
                        assertThat(context).hasNotFailed();
                        AttentionSinkChatModel blocking = context.getBean(AttentionSinkChatModel.class);
                        for (String id : List.of("first", "second")) {
                            blocking.chat(ChatRequest.builder().messages(conversation)
                                    .parameters(AttentionSinkChatRequestParameters.builder().memoryId(id).build())
                                    .build());
                        }
                        int copied = blocking.sessionStats("second").orElseThrow().lastSharedTokens();
                        if (share) {
                            assertThat(copied).as("copied by the second conversation").isGreaterThan(8);
                        } else {
                            assertThat(copied).isZero();
                        }
                    });
        }
    }

    @Test
    void bothChatModelsShareOneLoadedModel() {
        runner.withPropertyValues(Stories.baseProperties()).run(context -> {
            assertThat(context).hasSingleBean(AttentionSinkModel.class)
                    .hasSingleBean(AttentionSinkStreamingChatModel.class)
                    .hasSingleBean(AttentionSinkChatModel.class);
            AttentionSinkModel model = context.getBean(AttentionSinkModel.class);
            assertThat(context.getBean(AttentionSinkStreamingChatModel.class).model()).isSameAs(model);
            assertThat(context.getBean(AttentionSinkChatModel.class).model()).isSameAs(model);
            assertThat(model.directory()).isEqualTo(Stories.dir());
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class ListenerConfig {
        static final List<String> events = new CopyOnWriteArrayList<>();

        @Bean
        ChatModelListener recordingListener() {
            return new ChatModelListener() {
                @Override
                public void onRequest(ChatModelRequestContext context) {
                    events.add("request");
                }

                @Override
                public void onResponse(ChatModelResponseContext context) {
                    events.add("response:" + context.chatResponse().aiMessage().text());
                }
            };
        }
    }

    @Test
    void chatModelListenerBeansAreNotifiedByBothChatModels() {
        ListenerConfig.events.clear();
        runner.withPropertyValues(Stories.baseProperties()).withUserConfiguration(ListenerConfig.class)
                .run(context -> {
                    String blockingReply = context.getBean(AttentionSinkChatModel.class)
                            .chat(request("x", "Hi")).aiMessage().text();
                    String streamingReply = stream(context.getBean(AttentionSinkStreamingChatModel.class),
                            request("y", "Hi")).aiMessage().text();
                    assertThat(ListenerConfig.events).containsExactly("request", "response:" + blockingReply,
                            "request", "response:" + streamingReply);
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnStreamingModel {
        @Bean
        AttentionSinkStreamingChatModel myStreamingModel(AttentionSinkModel model) {
            return AttentionSinkStreamingChatModel.builder().model(model).windowSize(8).maxNewTokens(3).build();
        }
    }

    @Test
    void aChatModelOfTheUsersOwnReplacesTheAutoConfiguredOne() {
        runner.withPropertyValues(Stories.baseProperties()).withUserConfiguration(OwnStreamingModel.class)
                .run(context -> {
                    assertThat(context).hasSingleBean(AttentionSinkStreamingChatModel.class)
                            .hasBean("myStreamingModel").doesNotHaveBean("attentionSinkStreamingChatModel")
                            .hasSingleBean(AttentionSinkChatModel.class);
                    assertThat(context.getBean(AttentionSinkStreamingChatModel.class).defaultRequestParameters()
                            .maxOutputTokens()).isEqualTo(3);
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class SharedSessions {
        @Bean
        AttentionSinkChatModel attentionSinkChatModel(AttentionSinkStreamingChatModel streaming) {
            return streaming.blocking();
        }
    }

    @Test
    void theBlockingViewOfTheStreamingModelSharesItsSessions() {
        runner.withPropertyValues(Stories.baseProperties()).withUserConfiguration(SharedSessions.class)
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(AttentionSinkChatModel.class)
                            .hasSingleBean(AttentionSinkStreamingChatModel.class);
                    AttentionSinkStreamingChatModel streaming = context.getBean(AttentionSinkStreamingChatModel.class);
                    AttentionSinkChatModel blocking = context.getBean(AttentionSinkChatModel.class);
                    assertThat(blocking).isSameAs(streaming.blocking());
                    blocking.chat(request("shared", "Hi"));
                    assertThat(streaming.sessionIds()).containsExactly("shared");
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnModel {
        @Bean(destroyMethod = "close")
        AttentionSinkModel myModel() {
            return AttentionSinkModel.builder().modelPath(Stories.dir()).device("cpu").load();
        }
    }

    @Test
    void aModelOfTheUsersOwnIsUsedByTheAutoConfiguredChatModels() {
        runner.withPropertyValues(Stories.baseProperties()).withUserConfiguration(OwnModel.class).run(context -> {
            assertThat(context).hasSingleBean(AttentionSinkModel.class).hasBean("myModel")
                    .doesNotHaveBean("attentionSinkModel");
            assertThat(context.getBean(AttentionSinkChatModel.class).model())
                    .isSameAs(context.getBean("myModel"));
        });
    }

    @Test
    void closingTheContextClosesTheChatModelsAndFreesTheModel() throws Exception {
        AtomicReference<AttentionSinkChatModel> blocking = new AtomicReference<>();
        AtomicReference<AttentionSinkStreamingChatModel> streaming = new AtomicReference<>();
        AtomicReference<AttentionSinkModel> model = new AtomicReference<>();
        runner.withPropertyValues(Stories.baseProperties()).run(context -> {
            blocking.set(context.getBean(AttentionSinkChatModel.class));
            streaming.set(context.getBean(AttentionSinkStreamingChatModel.class));
            model.set(context.getBean(AttentionSinkModel.class));
            blocking.get().chat(request("z", "Hi"));
            assertThat(nativeMemory(model.get()).isOpen()).isTrue();
        });
        assertThatThrownBy(() -> blocking.get().chat(request("z", "Hi again")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> stream(streaming.get(), request("z", "Hi again")))
                .as("refused at once, as LangChain4j's streaming models refuse requests")
                .isInstanceOf(IllegalStateException.class).hasMessage("this chat model is closed");
        assertThat(nativeMemory(model.get()).isOpen()).as("the model's native memory is released").isFalse();
    }

    /** The model's NDManager, which owns its weights (no public accessor: this is what close() releases). */
    private static NDManager nativeMemory(AttentionSinkModel model) throws ReflectiveOperationException {
        Field f = AttentionSinkModel.class.getDeclaredField("manager");
        f.setAccessible(true);
        return (NDManager) f.get(model);
    }
}
