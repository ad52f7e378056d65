package io.github.attentionsinks.spring;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.attentionsinks.AttentionSinkModel;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A context start logs the model's one INFO line, with the cache S+W the starter knows from its properties (the
 * core logs it at load; the starter adds nothing of its own, so it is printed once). The absence of DJL's CUDA
 * probe warnings is checked in a fresh JVM by the core module's StartupLogTest.
 */
class StartupLogLineTest {
    @Test
    void oneInfoLineWithDeviceDtypeThreadsAndCache() {
        Logger logger = (Logger) LoggerFactory.getLogger("io.github.attentionsinks");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Level before = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
        try {
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(AttentionSinksAutoConfiguration.class))
                    .withPropertyValues(Stories.baseProperties())
                    .withPropertyValues("langchain4j.attention-sinks.attention-sink-size=2",
                            "langchain4j.attention-sinks.window-size=30")
                    .run(context -> assertThat(context).hasNotFailed().hasSingleBean(AttentionSinkModel.class));
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(before);
        }
        // stories260K has no chat template, which the chat model notes in an INFO line of its own; a chat model's
        // checkpoint has one, and then the load line is the only one.
        List<String> info = appender.list.stream().filter(e -> e.getLevel() == Level.INFO)
                .map(ILoggingEvent::getFormattedMessage).filter(m -> !m.contains("has no chat_template")).toList();
        assertThat(info).as("INFO lines of io.github.attentionsinks").hasSize(1);
        assertThat(info.get(0)).startsWith("Loaded llama model " + Stories.dir())
                .contains("device cpu", "dtype float32", "intra-op threads", "cache sinks(2+30)");
    }
}
