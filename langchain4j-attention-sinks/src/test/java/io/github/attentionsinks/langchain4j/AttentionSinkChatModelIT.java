package io.github.attentionsinks.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelIT;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** LangChain4j's {@link AbstractChatModelIT} on {@link AttentionSinkChatModel} with stories260K. */
@ExtendWith(DisabledSuiteTestCondition.class)
@DisabledSuiteTest(method = "should_respect_user_message", reason = Conformance.NEEDS_CAPABLE_MODEL + "'Berlin'")
@DisabledSuiteTest(method = "should_respect_system_message", reason = Conformance.NEEDS_CAPABLE_MODEL + "'liebe'")
@DisabledSuiteTest(method = "should_respect_multiple_messages", reason = Conformance.NEEDS_CAPABLE_MODEL + "'green'")
@DisabledSuiteTest(method = "should_respect_stopSequences_in_chat_request",
        reason = Conformance.NEEDS_CAPABLE_MODEL + "\"Say 'Hello World'\" (the stop sequence is never reached; "
                + "stop sequences are covered by GenerationTest)")
@DisabledSuiteTest(method = "should_respect_stopSequences_in_default_model_parameters",
        reason = Conformance.NEEDS_CAPABLE_MODEL + "\"Say 'Hello World'\" (the stop sequence is never reached; "
                + "stop sequences are covered by GenerationTest)")
class AttentionSinkChatModelIT extends AbstractChatModelIT {
    private final Conformance conformance = new Conformance();

    @Override
    protected List<ChatModel> models() {
        return List.of(StoriesChat.blocking().build());
    }

    @Override
    protected ChatModel createModelWith(ChatRequestParameters parameters) {
        return conformance.track(StoriesChat.blocking().defaultRequestParameters(parameters).build());
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return AttentionSinkChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    /** A chat model serves the one model it loaded: another name is refused (that test runs instead). */
    @Override
    protected boolean supportsModelNameParameter() {
        return false;
    }

    /**
     * stories260K has no chat template and the plain-text fallback renders no tools, so this model refuses tools
     * (should_fail_if_tools_are_not_supported runs instead); tool calls on templates that render tools are covered by
     * ToolChatTest.
     */
    @Override
    protected boolean supportsTools() {
        return false;
    }

    /** No constrained decoding: a tool call cannot be forced (refused; that test runs instead). */
    @Override
    protected boolean supportsToolChoiceRequired() {
        return false;
    }

    /** No constrained decoding: JSON output cannot be guaranteed (refused; those tests run instead). */
    @Override
    protected boolean supportsJsonResponseFormat() {
        return false;
    }

    @Override
    protected boolean supportsJsonResponseFormatWithSchema() {
        return false;
    }

    @Override
    protected boolean supportsJsonResponseFormatWithRawSchema() {
        return false;
    }

    /** Text-only models (refused; those tests run instead). */
    @Override
    protected boolean supportsSingleImageInputAsBase64EncodedString() {
        return false;
    }

    @Override
    protected boolean supportsSingleImageInputAsPublicURL() {
        return false;
    }

    @AfterAll
    void closeModels() throws Exception {
        conformance.closeAll();
    }
}
