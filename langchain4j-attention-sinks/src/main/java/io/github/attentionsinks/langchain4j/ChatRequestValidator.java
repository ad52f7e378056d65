package io.github.attentionsinks.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import java.nio.file.Path;
import java.util.List;

/**
 * Refuses, before anything is queued, what a chat model cannot do. Both chat models call it from {@code chat}, so a
 * refused request throws to the caller (as LangChain4j's provider conformance suites expect) instead of reaching the
 * streaming handler.
 *
 * <p>A feature this runtime lacks (images and other non-text content, JSON response format, forced tool calls, tools
 * on a template without tools, another model's name, frequency/presence penalties) is refused with LangChain4j's
 * {@link UnsupportedFeatureException}, worded as LangChain4j's own {@code ChatRequestValidationUtils} words it
 * ("... is not supported ...") plus the fix. A value out of range ({@code maxOutputTokens <= 0}, ...) is an
 * {@link IllegalArgumentException}.
 */
final class ChatRequestValidator {
    private final ChatTemplate template;
    private final String modelName;
    private final Path modelDirectory;

    /**
     * @param template       the template requests are rendered with (decides whether tools can be shown)
     * @param modelName      the only model name a request may carry (the loaded model's)
     * @param modelDirectory the checkpoint, named in messages
     */
    ChatRequestValidator(ChatTemplate template, String modelName, Path modelDirectory) {
        this.template = template;
        this.modelName = modelName;
        this.modelDirectory = modelDirectory;
    }

    /** The validator for an engine's template and model. */
    static ChatRequestValidator of(ChatSessionEngine engine) {
        return new ChatRequestValidator(engine.template(), engine.modelName(), engine.model().directory());
    }

    /**
     * Refuses what this model cannot do, with a message that names the parameter and the fix.
     *
     * @throws UnsupportedFeatureException for a feature this model does not have
     * @throws IllegalArgumentException    for an empty message list or a parameter value out of range
     */
    void validate(ChatRequest request) {
        List<ChatMessage> messages = request.messages();
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("messages must not be empty: send at least one user message");
        }
        for (ChatMessage m : messages) {
            ChatTemplate.toMap(m); // refuses images, audio, video, PDF and custom messages
        }
        ChatRequestParameters p = request.parameters();
        if (p == null) {
            return;
        }
        validateParameters(p);
    }

    /** The checks on parameters alone; also applied to a builder's default request parameters. */
    void validateParameters(ChatRequestParameters p) {
        validateModelName(p.modelName());
        if (p.maxOutputTokens() != null && p.maxOutputTokens() <= 0) {
            throw new IllegalArgumentException("maxOutputTokens must be > 0, got " + p.maxOutputTokens());
        }
        if (p.temperature() != null && !(p.temperature() >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), got " + p.temperature());
        }
        if (p.topP() != null && !(p.topP() > 0 && p.topP() <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + p.topP());
        }
        if (p.topK() != null && p.topK() < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + p.topK());
        }
        if (p.frequencyPenalty() != null && p.frequencyPenalty() != 0) {
            throw new UnsupportedFeatureException("'frequencyPenalty' parameter is not supported by attention-sink "
                    + "models (got " + p.frequencyPenalty() + "); use the builder's repetitionPenalty(...) instead");
        }
        if (p.presencePenalty() != null && p.presencePenalty() != 0) {
            throw new UnsupportedFeatureException("'presencePenalty' parameter is not supported by attention-sink "
                    + "models (got " + p.presencePenalty() + "); use the builder's repetitionPenalty(...) instead");
        }
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("JSON response format"
                    + (p.responseFormat().jsonSchema() != null ? " (with schema)" : "") + " is not supported by "
                    + "attention-sink models yet (no constrained decoding); ask for JSON in the prompt instead");
        }
        // Before the tools check: REQUIRED is refused on every template, and says so.
        if (p.toolChoice() == ToolChoice.REQUIRED) {
            throw new UnsupportedFeatureException("ToolChoice.REQUIRED is not supported by attention-sink models: a "
                    + "tool call cannot be forced (no constrained decoding); use ToolChoice.AUTO and ask for the tool "
                    + "in the prompt");
        }
        boolean tools = p.toolSpecifications() != null && !p.toolSpecifications().isEmpty();
        if (tools && !template.supportsTools()) {
            throw new UnsupportedFeatureException("tool specifications are not supported by the chat template of "
                    + modelDirectory
                    + (template.isFallback() ? " (the model has none; the plain-text fallback has no tools)"
                            : " (it has no 'tools' variable)")
                    + "; remove the tools or give a template that supports them (builder chatTemplate(...))");
        }
    }

    /** A chat model serves the one model it loaded: a request naming another is refused, not silently ignored. */
    private void validateModelName(String requested) {
        if (requested != null && !requested.equals(modelName)) {
            throw new UnsupportedFeatureException("modelName '" + requested + "' is not supported: this chat model "
                    + "serves only '" + modelName + "' (" + modelDirectory + "); omit modelName, or build another "
                    + "chat model for that model");
        }
    }
}
