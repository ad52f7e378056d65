package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.cache.CacheMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/** Cache sizes {@code --attention-sink-size S} and {@code --window-size W}; each command declares its own --mode. */
final class CacheOptions {
    @Option(names = "--attention-sink-size", paramLabel = "S", defaultValue = "4",
            description = "First tokens kept forever in sinks mode (windowed forces 0). Default: ${DEFAULT-VALUE}.")
    int attentionSinkSize;

    @Option(names = "--window-size", paramLabel = "W", defaultValue = "1020",
            description = "Most recent tokens kept in sinks and windowed modes. Default: ${DEFAULT-VALUE}.")
    int windowSize;

    /** The cache policy; bad sizes are usage errors. */
    CacheConfig config(CommandSpec spec, CacheMode mode) {
        if (attentionSinkSize < 0) {
            throw new ParameterException(spec.commandLine(),
                    "--attention-sink-size must be >= 0, got " + attentionSinkSize);
        }
        if (windowSize < 1) {
            throw new ParameterException(spec.commandLine(), "--window-size must be >= 1, got " + windowSize);
        }
        return switch (mode) {
            case DENSE -> CacheConfig.dense();
            case WINDOWED -> CacheConfig.windowed(windowSize);
            case SINKS -> CacheConfig.sinks(attentionSinkSize, windowSize);
        };
    }

    /** Parses {@code dense}, {@code windowed} or {@code sinks} (any case). */
    static final class ModeConverter implements ITypeConverter<CacheMode> {
        @Override
        public CacheMode convert(String value) {
            try {
                return CacheMode.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("unknown mode '" + value + "': use dense, windowed or sinks");
            }
        }
    }
}
