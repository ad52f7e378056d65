package io.github.attentionsinks.spring;

import static dev.langchain4j.agent.tool.ToolSpecifications.toolSpecificationFrom;
import static org.springframework.aop.framework.AopProxyUtils.ultimateTargetClass;
import static org.springframework.aop.support.AopUtils.isAopProxy;

import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.moderation.ModerationModel;
import dev.langchain4j.rag.RetrievalAugmentor;
import dev.langchain4j.rag.content.retriever.ContentRetriever;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.tool.DefaultToolExecutor;
import dev.langchain4j.service.tool.ToolExecutor;
import dev.langchain4j.service.tool.ToolProvider;
import io.github.attentionsinks.langchain4j.AttentionSinks;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.FactoryBean;

/**
 * Builds an {@code @AiService} bean exactly as langchain4j-spring-boot-starter's own factory does (same
 * constructor argument, same properties, same wiring), plus
 * {@code chatRequestTransformer(AttentionSinks.memoryIdTransformer())}: each call's {@code @MemoryId} travels to
 * the attention-sink chat model in {@code AttentionSinkChatRequestParameters}, so every conversation keeps its own
 * session. {@link AttentionSinksAiServicePostProcessor} puts this class in place of the starter's factory for AI
 * services wired to an attention-sink chat model.
 */
public class AttentionSinkAiServiceFactory implements FactoryBean<Object> {
    /** The properties that langchain4j-spring-boot-starter (up to 1.12.2-beta22) sets on its factory. */
    static final Set<String> PROPERTIES = Set.of("chatModel", "streamingChatModel", "chatMemory", "chatMemoryProvider",
            "contentRetriever", "retrievalAugmentor", "moderationModel", "toolProvider", "tools");

    private final Class<?> aiServiceClass;
    private ChatModel chatModel;
    private StreamingChatModel streamingChatModel;
    private ChatMemory chatMemory;
    private ChatMemoryProvider chatMemoryProvider;
    private ContentRetriever contentRetriever;
    private RetrievalAugmentor retrievalAugmentor;
    private ModerationModel moderationModel;
    private ToolProvider toolProvider;
    private List<Object> tools;

    public AttentionSinkAiServiceFactory(Class<?> aiServiceClass) {
        this.aiServiceClass = aiServiceClass;
    }

    public void setChatModel(ChatModel chatModel) {
        this.chatModel = chatModel;
    }

    public void setStreamingChatModel(StreamingChatModel streamingChatModel) {
        this.streamingChatModel = streamingChatModel;
    }

    public void setChatMemory(ChatMemory chatMemory) {
        this.chatMemory = chatMemory;
    }

    public void setChatMemoryProvider(ChatMemoryProvider chatMemoryProvider) {
        this.chatMemoryProvider = chatMemoryProvider;
    }

    public void setContentRetriever(ContentRetriever contentRetriever) {
        this.contentRetriever = contentRetriever;
    }

    public void setRetrievalAugmentor(RetrievalAugmentor retrievalAugmentor) {
        this.retrievalAugmentor = retrievalAugmentor;
    }

    public void setModerationModel(ModerationModel moderationModel) {
        this.moderationModel = moderationModel;
    }

    public void setToolProvider(ToolProvider toolProvider) {
        this.toolProvider = toolProvider;
    }

    public void setTools(List<Object> tools) {
        this.tools = tools;
    }

    @Override
    public Object getObject() {
        AiServices<?> builder = AiServices.builder(aiServiceClass);
        if (chatModel != null) {
            builder.chatModel(chatModel);
        }
        if (streamingChatModel != null) {
            builder.streamingChatModel(streamingChatModel);
        }
        if (chatMemory != null) {
            builder.chatMemory(chatMemory);
        }
        if (chatMemoryProvider != null) {
            builder.chatMemoryProvider(chatMemoryProvider);
        }
        if (retrievalAugmentor != null) {
            builder.retrievalAugmentor(retrievalAugmentor);
        } else if (contentRetriever != null) {
            builder.contentRetriever(contentRetriever);
        }
        if (moderationModel != null) {
            builder.moderationModel(moderationModel);
        }
        if (toolProvider != null) {
            builder.toolProvider(toolProvider);
        }
        if (tools != null) {
            for (Object tool : tools) {
                if (isAopProxy(tool)) {
                    builder.tools(aopEnhancedTools(tool));
                } else {
                    builder.tools(tool);
                }
            }
        }
        builder.chatRequestTransformer(AttentionSinks.memoryIdTransformer());
        return builder.build();
    }

    @Override
    public Class<?> getObjectType() {
        return aiServiceClass;
    }

    @Override
    public boolean isSingleton() {
        return true;
    }

    /** Tools on AOP-proxied beans: specification from the target class, invocation through the proxy. */
    private static Map<ToolSpecification, ToolExecutor> aopEnhancedTools(Object enhancedTool) {
        Map<ToolSpecification, ToolExecutor> executors = new HashMap<>();
        Class<?> targetClass = ultimateTargetClass(enhancedTool);
        for (Method original : targetClass.getDeclaredMethods()) {
            if (original.isAnnotationPresent(Tool.class)) {
                Arrays.stream(enhancedTool.getClass().getDeclaredMethods())
                        .filter(m -> m.getName().equals(original.getName())
                                && Arrays.equals(m.getParameterTypes(), original.getParameterTypes()))
                        .findFirst()
                        .ifPresent(enhanced -> executors.put(toolSpecificationFrom(original),
                                new DefaultToolExecutor(enhancedTool, original, enhanced)));
            }
        }
        return executors;
    }
}
