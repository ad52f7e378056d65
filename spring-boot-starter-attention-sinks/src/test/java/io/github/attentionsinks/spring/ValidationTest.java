package io.github.attentionsinks.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.attentionsinks.AttentionSinkModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.validation.FieldError;

/**
 * Bad properties fail the context at startup: while binding (checked without loading anything) or, for what only
 * loading can tell (a device the machine lacks), through {@link AttentionSinksFailureAnalyzer}. The report a user
 * sees must name the property and say what to do.
 */
@ExtendWith(OutputCaptureExtension.class)
class ValidationTest {
    private static final String P = "langchain4j.attention-sinks.";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AttentionSinksAutoConfiguration.class));

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("attention-sink-size=-1", "attentionSinkSize", "must be >= 0"),
                Arguments.of("window-size=0", "windowSize", "must be >= 1"),
                Arguments.of("window-size=-20", "windowSize", "must be >= 1"),
                Arguments.of("device=tpu", "device", "use auto, cpu, cuda or cuda:N"),
                Arguments.of("device=cuda:x", "device", "use auto, cpu, cuda or cuda:N"),
                Arguments.of("dtype=bfloat16", "dtype", "use float32"),
                Arguments.of("dtype=int4", "dtype", "use float32, float16 or int8"),
                Arguments.of("cache-dtype=int8", "cacheDtype", "int8 applies to weights (dtype) only"),
                Arguments.of("cache-dtype=bfloat16", "cacheDtype", "use float32"),
                Arguments.of("kernels=mkl", "kernels", "use auto"),
                Arguments.of("temperature=-0.5", "temperature", "must be >= 0"),
                Arguments.of("top-p=1.5", "topP", "must be in (0, 1]"),
                Arguments.of("top-k=-1", "topK", "must be >= 0"),
                Arguments.of("max-new-tokens=0", "maxNewTokens", "must be >= 1"),
                Arguments.of("repetition-penalty=0", "repetitionPenalty", "must be > 0"),
                Arguments.of("max-sessions=0", "maxSessions", "must be >= 1"),
                Arguments.of("max-queued-requests=0", "maxQueuedRequests", "must be >= 1"),
                Arguments.of("prefill-chunk=0", "prefillChunk", "must be >= 1"),
                Arguments.of("long-prompt-chunk=8", "longPromptChunk", "must be at least prefill-chunk (16)"),
                Arguments.of("session-idle-timeout=0s", "sessionIdleTimeout", "positive duration"),
                Arguments.of("max-batch-size=0", "maxBatchSize", "must be >= 1"),
                Arguments.of("worker-threads=0", "workerThreads", "former name of max-batch-size"),
                Arguments.of("chat-template-location=classpath:no-such-template.jinja", "chatTemplateLocation",
                        "names no existing resource"),
                Arguments.of("model=/no/such/model/dir", "model", "does not exist"),
                Arguments.of("model=./no-such-model", "model", "does not exist"),
                Arguments.of("model=not a model id!", "model", "neither an existing directory nor"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void aBadValueFailsBindingOnThatProperty(String assignment, String field, String fix) {
        runner.withPropertyValues(Stories.baseProperties()).withPropertyValues(P + assignment).run(context -> {
            assertThat(context).hasFailed();
            BindValidationException e = find(context.getStartupFailure(), BindValidationException.class);
            List<FieldError> errors = e.getValidationErrors().getAllErrors().stream()
                    .filter(FieldError.class::isInstance).map(FieldError.class::cast).toList();
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0).getField()).isEqualTo(field);
            assertThat(errors.get(0).getDefaultMessage()).contains(fix);
        });
    }

    @Test
    void aTemplateNameNextToAReplacementTemplateIsRefused() {
        runner.withPropertyValues(Stories.baseProperties())
                .withPropertyValues(P + "chat-template-name=tool_use", P + "chat-template={{ messages }}")
                .run(context -> {
                    BindValidationException e = find(context.getStartupFailure(), BindValidationException.class);
                    assertThat(e.getValidationErrors().getAllErrors()).singleElement()
                            .isInstanceOfSatisfying(FieldError.class, err -> {
                                assertThat(err.getField()).isEqualTo("chatTemplateName");
                                assertThat(err.getDefaultMessage()).contains("set only one of them");
                            });
                });
    }

    @Test
    void aDirectoryWithoutConfigJsonIsRefused(@TempDir Path empty) {
        runner.withPropertyValues(Stories.baseProperties()).withPropertyValues(P + "model=" + empty)
                .run(context -> {
                    BindValidationException e = find(context.getStartupFailure(), BindValidationException.class);
                    assertThat(e.getValidationErrors().getAllErrors()).singleElement()
                            .satisfies(err -> assertThat(err.getDefaultMessage()).contains("has no config.json"));
                });
    }

    @Test
    void aGoodConfigurationStillStarts() {
        runner.withPropertyValues(Stories.baseProperties())
                .withPropertyValues(P + "device=auto", P + "dtype=float32", P + "attention-sink-size=0")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(AttentionSinkModel.class));
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {}

    private static void start(String... properties) {
        new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).properties(Stories.baseProperties())
                .properties(properties).run().close();
    }

    @Test
    void aNegativeSizeIsReportedWithThePropertyAndTheFix(CapturedOutput output) {
        assertThrows(Exception.class, () -> start(P + "window-size=-5"));
        assertThat(output.getOut() + output.getErr()).contains("APPLICATION FAILED TO START")
                .contains("Property: " + P + "windowSize").contains("Value: \"-5\"")
                .contains("Origin: \"" + P + "window-size\"")
                .contains("Reason: " + P + "window-size must be >= 1: the number of recent tokens kept in the cache");
    }

    @Test
    void aMissingModelDirectoryIsReportedWithThePropertyAndTheFix(CapturedOutput output) {
        assertThrows(Exception.class, () -> start(P + "model=/no/such/model/dir"));
        assertThat(output.getOut() + output.getErr()).contains("APPLICATION FAILED TO START")
                .contains("Reason: " + P + "model names directory /no/such/model/dir, which does not exist: "
                        + "fix the path");
    }

    @Test
    void anUnknownDeviceIsReportedWithThePropertyAndTheFix(CapturedOutput output) {
        assertThrows(Exception.class, () -> start(P + "device=tpu:0"));
        assertThat(output.getOut() + output.getErr()).contains("Property: " + P + "device")
                .contains("Reason: " + P + "device is not a known device: use auto, cpu, cuda or cuda:N");
    }

    @Test
    void aGpuThatIsNotThereIsReportedByTheFailureAnalyzer(CapturedOutput output) {
        // A well-formed device that no machine here has: it fails while loading, not while binding.
        Exception e = assertThrows(Exception.class, () -> start(P + "device=cuda:99"));
        AttentionSinksStartupException cause = find(e, AttentionSinksStartupException.class);
        assertThat(cause.property()).isEqualTo(P + "device");
        assertThat(output.getOut() + output.getErr()).contains("APPLICATION FAILED TO START")
                .contains("The attention-sink model could not be loaded.")
                .contains("Property: " + P + "device").contains("Value: \"cuda:99\"")
                .containsPattern("Reason: Device 'cuda:99' requested but DJL sees \\d+ GPU\\(s\\)")
                .contains("Action:").contains("Set " + P + "device=cpu");
    }

    @Test
    void aMalformedCheckpointIsReportedOnTheModelProperty(@TempDir Path dir, CapturedOutput output)
            throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\"}");
        Exception e = assertThrows(Exception.class, () -> start(P + "model=" + dir));
        assertThat(find(e, AttentionSinksStartupException.class).property()).isEqualTo(P + "model");
        assertThat(output.getOut() + output.getErr()).contains("Property: " + P + "model")
                .contains("Action:").contains("Point " + P + "model at a complete Hugging Face checkpoint");
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + failure, failure);
    }
}
